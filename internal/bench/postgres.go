package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultPostgres is the server -db postgres uses when neither -pg nor FOLIO_TEST_POSTGRES
// names one: a local PostgreSQL with trust authentication, as a developer's machine has it.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// pgServer is the PostgreSQL server of a run, reached through an admin URL whose role may
// create and drop databases. Each run measures a database of its own, created for it.
type pgServer struct {
	admin string
}

// databaseURL is the admin URL with its database replaced by name.
func (s pgServer) databaseURL(name string) (string, error) {
	u, err := url.Parse(s.admin)
	if err != nil {
		return "", fmt.Errorf("-pg: %w", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// redacted is the server's URL without its password or database, for the report.
func (s pgServer) redacted() string {
	u, err := url.Parse(s.admin)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	u.Path, u.RawPath, u.RawQuery = "", "", ""
	return u.Redacted()
}

func (s pgServer) exec(ctx context.Context, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL %s: %w", s.redacted(), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// create creates the database name, a copy of template when it is not empty.
func (s pgServer) create(ctx context.Context, name, template string) error {
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	return s.exec(ctx, sql)
}

// drop drops the database name, ending the sessions still on it. It runs when the benchmark
// ends, interrupted or not, so it does not take the benchmark's context.
func (s pgServer) drop(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

func (s pgServer) exists(ctx context.Context, name string) (bool, error) {
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return false, fmt.Errorf("connect to PostgreSQL %s: %w", s.redacted(), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n)
	return n > 0, err
}

// pgInfo is what the report says of the server, and where its processes are, when it runs
// on this machine.
type pgInfo struct {
	version, sharedBuffers, synchronousCommit string
	postmaster                                int // 0 when the server's processes are not visible here
}

func (s pgServer) info(ctx context.Context) (pgInfo, error) {
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return pgInfo{}, fmt.Errorf("connect to PostgreSQL %s: %w", s.redacted(), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var i pgInfo
	var backend int
	err = conn.QueryRow(ctx, "SELECT current_setting('server_version'), current_setting('shared_buffers'), current_setting('synchronous_commit'), pg_backend_pid()").
		Scan(&i.version, &i.sharedBuffers, &i.synchronousCommit, &backend)
	if err != nil {
		return pgInfo{}, err
	}
	// A backend's parent is the postmaster, whose children are the whole server. Seen only
	// when the server runs here and not in a container of its own.
	if ppid, err := procStatus(backend, "PPid"); err == nil && processName(ppid) == "postgres" {
		i.postmaster = ppid
	}
	return i, nil
}

// seedPostgres creates the run's database and seeds it, and returns its URL and how to drop
// it. Without -keep it imports into the run's database. With -keep it imports once into a
// database that is kept and named in the keep folder, and each run measures a copy of it made
// by CREATE DATABASE … TEMPLATE, as a kept SQLite file is copied: the creates of a run must
// not be in the next one's database.
func (h *harness) seedPostgres(ctx context.Context, corpusFile string) (db string, r result, drop func() error, err error) {
	s := pgServer{admin: h.o.pg}
	run := "folio_bench_" + randomHex(6)
	h.runDB = run
	if h.o.keep == "" {
		if err := s.create(ctx, run, ""); err != nil {
			return "", result{}, nil, err
		}
		drop = func() error { return s.drop(run) }
		if db, err = s.databaseURL(run); err == nil {
			r, err = h.importCorpus(ctx, corpusFile, db)
		}
		if err != nil {
			return "", result{}, nil, errors.Join(err, drop())
		}
		return db, r, drop, nil
	}

	figures := filepath.Join(h.dir, "postgres-"+h.key+".json")
	var kept keptImport
	if b, err := os.ReadFile(figures); err == nil {
		if err := json.Unmarshal(b, &kept); err != nil {
			return "", result{}, nil, fmt.Errorf("%s: %w", figures, err)
		}
		if ok, err := s.exists(ctx, kept.Database); err != nil {
			return "", result{}, nil, err
		} else if !ok {
			h.progress("the kept database %s is gone from %s: seeding again", kept.Database, s.redacted())
			kept = keptImport{}
		}
	}
	if kept.Database != "" {
		h.progress("reusing the database %s, seeded %s", kept.Database, kept.At.Format(time.RFC3339))
		r = kept.result()
	} else {
		seeded := "folio_bench_" + strings.ReplaceAll(h.key, "-", "_") + "_" + randomHex(4)
		if err := s.create(ctx, seeded, ""); err != nil {
			return "", result{}, nil, err
		}
		if db, err = s.databaseURL(seeded); err == nil {
			r, err = h.importCorpus(ctx, corpusFile, db)
		}
		if err == nil {
			kept = keptImport{At: time.Now().UTC(), Rate: r.rate, PeakKiB: r.peakKiB, Database: seeded}
			var b []byte
			if b, err = json.Marshal(kept); err == nil {
				err = os.WriteFile(figures, b, 0o644)
			}
		}
		if err != nil {
			return "", result{}, nil, errors.Join(err, s.drop(seeded))
		}
		h.progress("kept the seeded database %s (drop it when the keep folder goes)", seeded)
	}
	h.progress("copying the seeded database")
	if err := s.create(ctx, run, kept.Database); err != nil {
		return "", result{}, nil, err
	}
	drop = func() error { return s.drop(run) }
	if db, err = s.databaseURL(run); err == nil {
		err = h.setPassword(ctx, db)
	}
	if err != nil {
		return "", result{}, nil, errors.Join(err, drop())
	}
	return db, r, drop, nil
}

// randomHex is n random bytes in lower-case hex, fit for a PostgreSQL name without quoting.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // documented never to return an error
	return hex.EncodeToString(b)
}

// clockTicks is the unit of the CPU times in /proc/PID/stat: USER_HZ, 100 on Linux.
const clockTicks = 100

// cpuTicks is the CPU time, user and system, that a process has used.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces; the fields after it do not.
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	return utime + stime, errors.Join(err1, err2)
}

func processName(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// clusterPIDs are the postmaster and its children.
func clusterPIDs(postmaster int) []int {
	pids := []int{postmaster}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return pids
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, err := procStatus(pid, "PPid"); err == nil && ppid == postmaster {
			pids = append(pids, pid)
		}
	}
	return pids
}

// pss is a process's proportional set size in KiB: its private memory and its share of the
// memory it shares, so that summed over PostgreSQL's processes it counts shared_buffers once.
func pss(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pss:"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, fmt.Errorf("no Pss in /proc/%d/smaps_rollup", pid)
}

// runPIDs are the PostgreSQL processes that work for the run: the backends on its database
// and the server's own processes (WAL writer, checkpointer, …), which serve every database.
// The backends of other databases, which other work on a shared server may keep busy, are
// left out.
func runPIDs(ctx context.Context, conn *pgx.Conn, postmaster int, database string) []int {
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity
		WHERE (datname = $1 OR backend_type NOT IN ('client backend', 'autovacuum worker')) AND pid <> pg_backend_pid()`, database)
	if err != nil {
		return []int{postmaster}
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return []int{postmaster}
	}
	return append(pids, postmaster)
}

// usage measures, over one scenario, the CPU that the servers, PostgreSQL and this process
// (the load generator) use, and the peak of PostgreSQL's memory, sampled.
type usage struct {
	servers    []int
	postmaster int
	pgPIDs     func() []int // the PostgreSQL processes whose CPU counts

	start      time.Time
	serverCPU  int64
	clusterCPU map[int]int64
	selfCPU    int64
	stopping   func() int
}

func (u *usage) begin() {
	u.start = time.Now()
	u.serverCPU = sumTicks(u.servers)
	u.selfCPU, _ = cpuTicks(os.Getpid())
	u.clusterCPU = map[int]int64{}
	for _, pid := range u.pgPIDs() {
		u.clusterCPU[pid], _ = cpuTicks(pid)
	}
	u.stopping = samplePSS(u.postmaster)
}

// end returns the cores used by the servers, PostgreSQL and the load generator, and
// PostgreSQL's peak memory in KiB. A PostgreSQL process that ended during the scenario is not
// counted, one that started is counted from its start.
func (u *usage) end() (cores []float64, pgKiB int) {
	seconds := time.Since(u.start).Seconds()
	pgKiB = u.stopping()
	var cluster int64
	for _, pid := range u.pgPIDs() {
		if t, err := cpuTicks(pid); err == nil {
			cluster += t - u.clusterCPU[pid]
		}
	}
	self, _ := cpuTicks(os.Getpid())
	share := func(ticks int64) float64 { return float64(ticks) / clockTicks / seconds }
	return []float64{share(sumTicks(u.servers) - u.serverCPU), share(cluster), share(self - u.selfCPU)}, pgKiB
}

func sumTicks(pids []int) int64 {
	var sum int64
	for _, pid := range pids {
		if t, err := cpuTicks(pid); err == nil {
			sum += t
		}
	}
	return sum
}

// samplePSS sums the PSS of PostgreSQL's processes every 200 ms until the returned function is
// called, which returns the highest sum. Less often than the server's RSS: reading the memory
// maps of a dozen processes costs CPU that the measurement shares.
func samplePSS(postmaster int) func() int {
	return sampleMax(200*time.Millisecond, func() (int, error) {
		sum := 0
		for _, pid := range clusterPIDs(postmaster) {
			if kib, err := pss(pid); err == nil {
				sum += kib
			}
		}
		return sum, nil
	})
}
