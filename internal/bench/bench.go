package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// adminEmail is the account the benchmark creates items with.
const adminEmail = "bench@example.com"

// Connections of the scenarios.
const (
	defaultConns = 8
	variedConns  = 16
	searchConns  = 8
)

// harness is one run of the benchmark: where it keeps its files and what it has built.
type harness struct {
	o        options
	dir      string
	bin      string
	corpus   *corpus
	key      string // names the corpus and the seeded database: generator, size and seed
	password string
	secret   string
	metrics  string // token of /metrics, where the response cache counts its hits
	pg       pgInfo // the PostgreSQL server, with -db postgres
	runDB    string // the PostgreSQL database of the run
	progress func(format string, a ...any)
}

func benchmark(ctx context.Context, o options, stdout, stderr io.Writer) (err error) {
	h := &harness{
		o:        o,
		corpus:   newCorpus(o.seed, o.n),
		key:      fmt.Sprintf("v%d-n%d-s%d", corpusVersion, o.n, o.seed),
		password: randomString(24),
		secret:   randomString(48),
		metrics:  randomString(24),
		progress: func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) },
	}
	root, err := repoRoot(ctx)
	if err != nil {
		return err
	}
	h.dir = o.keep
	if h.dir == "" {
		if h.dir, err = os.MkdirTemp("", "folio-bench-"); err != nil {
			return err
		}
		// A failure keeps the folder for its logs; an interruption does not, since it may hold
		// gigabytes nobody asked to keep.
		defer func() {
			if err != nil && ctx.Err() == nil {
				h.progress("kept %s, with the logs of the server and the import", h.dir)
				return
			}
			err = errors.Join(err, os.RemoveAll(h.dir))
		}()
	} else if err := os.MkdirAll(h.dir, 0o755); err != nil {
		return err
	}

	if o.postgres() {
		if h.pg, err = (pgServer{admin: o.pg}).info(ctx); err != nil {
			return err
		}
	}
	// Described before the build, so that the header names what was built and measured even
	// if the tree changes during a long run.
	warmup := min(2*time.Second, o.duration/5)
	header := h.header(ctx, root, warmup)
	h.bin = filepath.Join(h.dir, "folio")
	h.progress("building folio")
	if err := buildFolio(ctx, root, h.bin); err != nil {
		return err
	}
	corpusFile, err := h.writeCorpus(ctx)
	if err != nil {
		return err
	}
	var (
		db       string
		imported result
	)
	if o.postgres() {
		var drop func() error
		if db, imported, drop, err = h.seedPostgres(ctx, corpusFile); err != nil {
			return err
		}
		// By the time it runs, measureServer has stopped the servers.
		defer func() { err = errors.Join(err, drop()) }()
	} else {
		db = filepath.Join(h.dir, "folio.db")
		if imported, err = h.seed(ctx, corpusFile, db); err != nil {
			return err
		}
	}

	rep := &report{baselines: map[int]float64{}, header: header, title: "Folio benchmark on SQLite", postgres: o.postgres()}
	if o.postgres() {
		rep.title = "Folio benchmark on PostgreSQL"
		if o.replicas > 1 {
			rep.title = fmt.Sprintf("Folio benchmark on PostgreSQL, %d replicas", o.replicas)
		}
	}
	if err := h.measureBaselines(ctx, rep, warmup); err != nil {
		return err
	}
	serverPeak, err := h.measureServer(ctx, rep, db, warmup)
	if err != nil {
		return err
	}
	memoryRow := result{name: nameMemory, peakKiB: serverPeak, cacheHits: -1}
	if o.replicas > 1 {
		memoryRow.name, memoryRow.goal = "memory: the larger server, whole run", nameMemory
	}
	rep.rows = append(rep.rows, imported, memoryRow)
	if imported.note != "" {
		rep.notes = append(rep.notes, imported.note)
	}

	var failed []string
	for _, r := range rep.rows {
		if r.errors > 0 {
			failed = append(failed, r.name)
			rep.notes = append(rep.notes, fmt.Sprintf("%s: %d errors of %d requests; the first: %s", r.name, r.errors, r.requests, r.firstErr))
		}
	}
	var out strings.Builder
	if err := rep.write(&out); err != nil {
		return err
	}
	fmt.Fprint(stdout, out.String())
	if err := os.WriteFile(o.out, []byte(out.String()), 0o644); err != nil {
		return err
	}
	h.progress("results written to %s", o.out)
	if len(failed) > 0 {
		return fmt.Errorf("errors in: %s", strings.Join(failed, ", "))
	}
	return nil
}

// writeCorpus writes the corpus file, or reuses a kept one of the same key.
func (h *harness) writeCorpus(ctx context.Context) (string, error) {
	path := filepath.Join(h.dir, "corpus-"+h.key+".ndjson")
	if h.o.keep != "" {
		if _, err := os.Stat(path); err == nil {
			h.progress("reusing the corpus %s", path)
			return path, nil
		}
	}
	h.progress("writing a corpus of %d items", h.o.n)
	start := time.Now()
	// Written under another name and renamed when complete, so that an interrupted run never
	// leaves a partial corpus to be reused.
	partial := path + ".partial"
	f, err := os.Create(partial)
	if err != nil {
		return "", err
	}
	werr := h.corpus.write(ctx, f)
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(partial)
		return "", fmt.Errorf("write the corpus: %w", err)
	}
	if err := os.Rename(partial, path); err != nil {
		return "", err
	}
	h.progress("corpus written in %v", time.Since(start).Round(time.Millisecond))
	return path, nil
}

// env is the environment of every folio command the benchmark runs: the machine's, without the
// FOLIO_ settings it may have, and the benchmark's. The access log is turned off (it is written
// at info level): a benchmark that waits on writing a line per request to a file measures
// the file.
func (h *harness) env(db string, more ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FOLIO_") {
			env = append(env, kv)
		}
	}
	return append(append(env,
		"FOLIO_DB="+db,
		"FOLIO_JWT_SECRET="+h.secret,
		"FOLIO_ADMIN_EMAIL="+adminEmail,
		"FOLIO_ADMIN_PASSWORD="+h.password,
		"FOLIO_LOG_LEVEL=warn",
		"FOLIO_LOG_FORMAT=json",
	), more...)
}

// seed fills the database at dbPath with the corpus through `folio import`, and measures the
// import. With -keep, the seeded database is kept and copied for each run, and a kept one of
// the same key is reused (with the import figures of the run that made it).
func (h *harness) seed(ctx context.Context, corpusFile, dbPath string) (result, error) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return result{}, err
		}
	}
	if h.o.keep == "" {
		return h.importCorpus(ctx, corpusFile, dbPath)
	}

	seeded := filepath.Join(h.dir, "seeded-"+h.key+".db")
	figures := seeded + ".json"
	var r result
	if b, err := os.ReadFile(figures); err == nil {
		var kept keptImport
		if err := json.Unmarshal(b, &kept); err != nil {
			return result{}, fmt.Errorf("%s: %w", figures, err)
		}
		h.progress("reusing the database %s, seeded %s", seeded, kept.At.Format(time.RFC3339))
		r = kept.result()
	} else {
		partial := seeded + ".partial"
		if r, err = h.importCorpus(ctx, corpusFile, partial); err != nil {
			return result{}, err
		}
		if err := renameDB(partial, seeded); err != nil {
			return result{}, err
		}
		b, err := json.Marshal(keptImport{At: time.Now().UTC(), Rate: r.rate, PeakKiB: r.peakKiB})
		if err != nil {
			return result{}, err
		}
		if err := os.WriteFile(figures, b, 0o644); err != nil {
			return result{}, err
		}
	}
	h.progress("copying the seeded database")
	if err := copyFile(seeded, dbPath); err != nil {
		return result{}, err
	}
	return r, h.setPassword(ctx, dbPath)
}

// setPassword gives the admin of a copy of a kept database the password of this run, since it
// has the password of the run that seeded it.
func (h *harness) setPassword(ctx context.Context, db string) error {
	cmd := exec.CommandContext(ctx, h.bin, "user", "set-password", "--email", adminEmail)
	cmd.Env = h.env(db)
	cmd.Stdin = strings.NewReader(h.password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("folio user set-password: %w\n%s", err, out)
	}
	return nil
}

// keptImport is what a kept database remembers of the import that seeded it.
type keptImport struct {
	At       time.Time `json:"at"`
	Rate     float64   `json:"items_per_second"`
	PeakKiB  int       `json:"peak_rss_kib"`
	Database string    `json:"database,omitempty"` // the PostgreSQL database, with -db postgres
}

func (k keptImport) result() result {
	return result{
		name: nameImport, rate: k.Rate, peakKiB: k.PeakKiB, cacheHits: -1,
		note: fmt.Sprintf("%s: measured when the kept database was seeded, %s", nameImport, k.At.Format(time.RFC3339)),
	}
}

// importCorpus runs `folio import` into db and measures it: items per second over the wall
// time of the whole command, and its peak resident memory.
func (h *harness) importCorpus(ctx context.Context, corpusFile, db string) (result, error) {
	logPath := filepath.Join(h.dir, "import.log")
	p, err := newProcess(ctx, logPath, h.bin, "import", corpusFile)
	if err != nil {
		return result{}, err
	}
	p.cmd.Env = h.env(db)
	h.progress("importing %d items", h.o.n)
	start := time.Now()
	if err := p.start(); err != nil {
		return result{}, err
	}
	if err := p.wait(); err != nil {
		return result{}, fmt.Errorf("folio import: %w (log: %s)", err, logPath)
	}
	elapsed := time.Since(start)
	r := result{name: nameImport, rate: float64(h.o.n) / elapsed.Seconds(), cacheHits: -1}
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.peakKiB = int(ru.Maxrss) // KiB on Linux
	}
	h.progress("imported in %v: %.0f items/s", elapsed.Round(time.Millisecond), r.rate)
	return r, nil
}

// renameDB moves a closed SQLite database, with its WAL and shared-memory files if they were
// left behind.
func renameDB(from, to string) error {
	for _, suffix := range []string{"-wal", "-shm", ""} {
		err := os.Rename(from+suffix, to+suffix)
		if err != nil && (suffix == "" || !errors.Is(err, os.ErrNotExist)) {
			return err
		}
	}
	return nil
}

// copyChunk is how much copyFile copies before it drops what it read (a variable for tests).
var copyChunk int64 = 64 << 20

// copyFile copies the seeded database into the run's own, which the server then reads, and
// keeps the seeded one out of the kernel's page cache as it goes. At a million items each is
// 15 GB and the machine 24 GB: with both cached, part of the copy was not, and reads of items
// and searches went to the disk in some runs and not in others (four runs at a million items,
// with changes between them worth a tenth at most: items by slug 3,300 to 5,900 req/s,
// searches 80 to 190).
func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	for off := int64(0); err == nil; off += copyChunk {
		var n int64
		n, err = io.CopyN(dst, src, copyChunk)
		if err == nil || (errors.Is(err, io.EOF) && n > 0) {
			if dropErr := dropFromPageCache(src, off, n); dropErr != nil {
				err = dropErr
			}
		}
	}
	if errors.Is(err, io.EOF) {
		err = dst.Sync() // written back now, not by the kernel during a scenario
	}
	return errors.Join(err, dst.Close())
}

// measureBaselines measures the baseline server at each number of connections the scenarios
// use, so that each scenario is compared with the baseline at its own.
func (h *harness) measureBaselines(ctx context.Context, rep *report, warmup time.Duration) (err error) {
	p, base, err := startBaseline(ctx, filepath.Join(h.dir, "baseline.log"))
	if err != nil {
		return err
	}
	defer func() {
		if serr := p.stop(); serr != nil && err == nil {
			err = fmt.Errorf("the baseline server: %w", serr)
		}
	}()
	mem := &memory{pid: p.pid()}
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: base + baselinePath})
	for _, conns := range []int{defaultConns, variedConns} {
		l := newLoad(conns)
		l.run(ctx, "warm-up", warmup, tr)
		mem.begin()
		r := l.run(ctx, fmt.Sprintf("baseline (Echo, 2 KB JSON, %d conns)", conns), h.o.duration, tr)
		r.peakKiB, r.sampled = mem.end()
		l.close()
		h.progress("%s: %.0f req/s", r.name, r.rate)
		rep.rows = append(rep.rows, r)
		rep.baselines[conns] = r.rate
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// measureServer starts folio serve on the seeded database, as many as -replicas, and runs the
// scenarios against them. It returns the servers' highest peak resident memory over the whole
// run, in KiB.
func (h *harness) measureServer(ctx context.Context, rep *report, db string, warmup time.Duration) (peakKiB int, err error) {
	// Enough idle connections for the walk of list pages, which would otherwise open a new one
	// for most requests.
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: variedConns}}
	defer client.CloseIdleConnections()
	var (
		targets []*target
		procs   []*process
		mems    []*memory
		pids    []int
	)
	for i := range h.o.replicas {
		t, p, err := h.startServer(ctx, db, i, client)
		if err != nil {
			return 0, err
		}
		defer func() {
			if serr := p.stop(); serr != nil && err == nil {
				err = fmt.Errorf("folio serve: %w (log: %s)", serr, p.logPath)
			}
		}()
		targets, procs = append(targets, t), append(procs, p)
		mems = append(mems, &memory{pid: p.pid()})
		pids = append(pids, p.pid())
	}
	t := targets[0]
	if err := h.checkSeeded(ctx, t); err != nil {
		return 0, err
	}
	token, err := t.login(ctx, adminEmail, h.password)
	if err != nil {
		return 0, err
	}
	var use *usage
	if h.pg.postmaster != 0 {
		conn, err := pgx.Connect(ctx, h.o.pg)
		if err != nil {
			return 0, err
		}
		defer conn.Close(context.WithoutCancel(ctx))
		use = &usage{servers: pids, postmaster: h.pg.postmaster, pgPIDs: func() []int {
			return runPIDs(ctx, conn, h.pg.postmaster, h.runDB)
		}}
	}

	measure := func(name string, conns int, tr vegeta.Targeter) error {
		if !h.o.runs(name) {
			return nil
		}
		tr = alternate(tr, targets)
		l := newLoad(conns)
		defer l.close()
		l.run(ctx, "warm-up", warmup, tr)
		before, cerr := counters(ctx, targets, h.metrics)
		for _, m := range mems {
			m.begin()
		}
		if use != nil {
			use.begin()
		}
		r := l.run(ctx, name, h.o.duration, tr)
		if use != nil {
			r.cpu, r.pgKiB = use.end()
		}
		for _, m := range mems {
			peak, sampled := m.end()
			r.peakKiB, r.sampled = max(r.peakKiB, peak), r.sampled || sampled
		}
		after, cerr2 := counters(ctx, targets, h.metrics)
		if cerr == nil && cerr2 == nil {
			delta := func(name string) float64 { return after[name] - before[name] }
			hits := delta("folio_response_cache_hits_total")
			if lookups := hits + delta("folio_response_cache_misses_total"); lookups > 0 {
				r.cacheHits = hits / lookups
			}
			if tx := delta("folio_db_write_transactions_total"); name == nameCreates && tx > 0 {
				writes := delta("folio_db_writes_total")
				// The servers' write locks are one on PostgreSQL, so their busy times add up.
				rep.notes = append(rep.notes, fmt.Sprintf("(e): the write lock was held %.0f %% of the time, %.1f writes a transaction, each waiting %s for its turn on average",
					100*delta("folio_db_write_busy_seconds_total")/r.elapsed.Seconds(), writes/tx, ms(time.Duration(delta("folio_db_write_wait_seconds_total")/writes*float64(time.Second)))))
			}
		}
		if name == nameCreates && h.o.postgres() {
			// synchronous=FULL is SQLite's; PostgreSQL's durability is its own setting.
			r.name, r.goal = fmt.Sprintf("(e) creates, synchronous_commit=%s (items/s)", h.pg.synchronousCommit), nameCreates
		}
		h.progress("%s: %.0f req/s, p50 %s, p99 %s, %d errors", r.name, r.rate, ms(r.p50), ms(r.p99), r.errors)
		rep.rows = append(rep.rows, r)
		for _, p := range procs {
			if done, err := p.exited(); done {
				return fmt.Errorf("folio serve exited during %s (%s; log: %s)", name, exitReason(err), p.logPath)
			}
		}
		return ctx.Err()
	}

	if err := measure(nameBySlug, defaultConns, vegeta.NewStaticTargeter(t.itemsBySlug()...)); err != nil {
		return 0, err
	}
	if err := measure(nameHot, defaultConns, vegeta.NewStaticTargeter(t.hotListPage()...)); err != nil {
		return 0, err
	}
	if h.o.runs(nameVaried) {
		h.progress("walking list pages for their cursors")
		pages, err := t.listPages(ctx, variedConns, warmup+h.o.duration)
		if err != nil {
			return 0, fmt.Errorf("collect list pages: %w", err)
		}
		h.progress("%d list pages", len(pages))
		rep.notes = append(rep.notes, fmt.Sprintf("(c) drew its %d pages from real cursors, up to %d pages deep; a page is asked for again only once all have been", len(pages), maxDepth))
		if err := measure(nameVaried, variedConns, vegeta.NewStaticTargeter(pages...)); err != nil {
			return 0, err
		}
	}
	if err := measure(nameSearch, searchConns, newSearches(t.base, h.corpus, h.o.seed).targeter()); err != nil {
		return 0, err
	}
	// Last: every write empties the response cache, and the new items would change what the
	// reads above see.
	if err := measure(nameCreates, defaultConns, t.creates(token)); err != nil {
		return 0, err
	}

	if mems[0].sampled != nil {
		rep.notes = append(rep.notes, "peak RSS marked (sampled): the highest VmRSS read every 10 ms, which can miss short spikes, since the high-water mark could not be reset: "+mems[0].sampled.Error())
	}
	for _, m := range mems {
		peakKiB = max(peakKiB, m.peak())
	}
	return peakKiB, nil
}

// startServer starts the i-th folio serve on db and waits until it is ready.
func (h *harness) startServer(ctx context.Context, db string, i int, client *http.Client) (*target, *process, error) {
	addr, err := freeAddr(ctx)
	if err != nil {
		return nil, nil, err
	}
	logPath := filepath.Join(h.dir, "server.log")
	if i > 0 {
		logPath = filepath.Join(h.dir, fmt.Sprintf("server-%d.log", i+1))
	}
	p, err := newProcess(ctx, logPath, h.bin, "serve")
	if err != nil {
		return nil, nil, err
	}
	p.cmd.Env = h.env(db, append([]string{"FOLIO_ADDR=" + addr, "FOLIO_METRICS_TOKEN=" + h.metrics}, h.o.env...)...)
	if err := p.start(); err != nil {
		return nil, nil, err
	}
	t := &target{base: "http://" + addr, client: client, corpus: h.corpus, seed: h.o.seed}
	if err := waitReady(ctx, client, p, t.base+"/readyz"); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("folio serve: %w (log: %s)", err, logPath), p.stop())
	}
	return t, p, nil
}

// alternate sends the targets' requests to the servers in turn. The targeter writes URLs of
// the first server.
func alternate(tr vegeta.Targeter, servers []*target) vegeta.Targeter {
	if len(servers) == 1 {
		return tr
	}
	var next atomic.Uint64
	return func(tgt *vegeta.Target) error {
		if err := tr(tgt); err != nil {
			return err
		}
		s := servers[next.Add(1)%uint64(len(servers))]
		tgt.URL = s.base + strings.TrimPrefix(tgt.URL, servers[0].base)
		return nil
	}
}

// counters sums the servers' counters (target.counters).
func counters(ctx context.Context, servers []*target, metricsToken string) (map[string]float64, error) {
	sum := map[string]float64{}
	for _, t := range servers {
		c, err := t.counters(ctx, metricsToken)
		if err != nil {
			return nil, err
		}
		for k, v := range c {
			sum[k] += v
		}
	}
	return sum, nil
}

// checkSeeded checks that the server sees as many published items as the corpus has: an
// import that skipped some would make the reads measure 404s.
func (h *harness) checkSeeded(ctx context.Context, t *target) error {
	want := 0
	for i := range h.corpus.n {
		if h.corpus.head(h.corpus.rng(i), i).Status == "published" {
			want++
		}
	}
	var list struct {
		Meta struct {
			Total int `json:"total"`
		} `json:"meta"`
	}
	if err := t.getJSON(ctx, "/api/v1/items?page=1&limit=1&select=id", &list); err != nil {
		return err
	}
	if list.Meta.Total != want {
		return fmt.Errorf("the server lists %d published items, the corpus has %d", list.Meta.Total, want)
	}
	return nil
}

// header describes the run: when, on what, with what.
func (h *harness) header(ctx context.Context, root string, warmup time.Duration) []string {
	output := func(dir, name string, args ...string) string {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			return "unknown"
		}
		return strings.TrimSpace(string(out))
	}
	settings := "other settings default"
	if len(h.o.env) > 0 {
		settings = strings.Join(h.o.env, " ") + ", other settings default"
	}
	database := "database: SQLite, a file in the run's folder"
	server := "server: folio serve on loopback"
	peak := "peak RSS: the measured process's (the baseline server, folio serve, folio import) peak resident memory during the measurement: VmHWM, reset before each scenario through /proc/PID/clear_refs"
	if h.o.postgres() {
		database = fmt.Sprintf("database: PostgreSQL %s at %s (shared_buffers %s, synchronous_commit %s), a database created for the run", h.pg.version, pgServer{admin: h.o.pg}.redacted(), h.pg.sharedBuffers, h.pg.synchronousCommit)
		if h.o.keep != "" {
			database += " as a copy of the kept seeded one"
		}
		database += "; PostgreSQL shares the machine with the server and the load generator"
	}
	if h.o.replicas > 1 {
		server = fmt.Sprintf("server: %d folio serve processes on loopback on the one database, the requests of every scenario alternating between them", h.o.replicas)
		peak += "; of the two servers, the larger"
	}
	lines := []string{
		"date: " + time.Now().UTC().Format(time.RFC3339),
		"folio: " + output(root, "git", "describe", "--tags", "--always", "--dirty"),
		"go: " + output(root, "go", "version"),
		fmt.Sprintf("machine: GOMAXPROCS %d, NumCPU %d, %s", runtime.GOMAXPROCS(0), runtime.NumCPU(), cpuModel()),
		fmt.Sprintf("corpus: N = %d items (seed %d), %d tags, %d words", h.o.n, h.o.seed, len(corpusTags), vocabularySize),
		fmt.Sprintf("duration: %v per scenario, after a warm-up of %v", h.o.duration, warmup),
		database,
		server + ", FOLIO_LOG_LEVEL=warn (no access log), " + settings + "; the load generator runs on the same machine",
		"req/s: 2xx responses per second; × baseline: req/s over the baseline's at the same number of connections; p50, p99: latency of all responses; errors: non-2xx answers and transport errors",
		peak,
		"cache hits: share of the server's response-cache lookups answered from memory during the measurement; search queries are each sent once (a repeat in other letter case) so that the search itself is measured",
	}
	switch {
	case h.o.postgres() && h.pg.postmaster != 0:
		lines = append(lines,
			"CPU cores: CPU time over the measurement's wall time, of folio serve (all replicas), of PostgreSQL (the backends on the run's database and the server's own processes, not other databases' backends), and of the benchmark process, which is the load generator",
			"PostgreSQL PSS: the highest sum, read every 200 ms, of the proportional set size of every PostgreSQL process (other databases' backends included), which counts shared_buffers once; not in peak RSS, which is Folio's alone")
	case h.o.postgres():
		lines = append(lines, "PostgreSQL's processes are not visible from here: their CPU and memory are not measured, and peak RSS is Folio's alone")
	}
	return lines
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// randomString is n random bytes, base64-encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // documented never to return an error
	return base64.RawURLEncoding.EncodeToString(b)
}
