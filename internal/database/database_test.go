package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"

	"github.com/foliocms/folio/internal/database/dbtest"
)

func openTest(t testing.TB) *gorm.DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "nested", "folio.db"))
}

// openAt opens the database at path for the test, and closes it after.
func openAt(t testing.TB, path string) *gorm.DB {
	t.Helper()
	db, err := Open(t.Context(), Options{Path: path})
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	t.Cleanup(func() {
		if err := Close(db); err != nil {
			t.Errorf("Close() error = %v", err)
		}
	})
	return db
}

// pragma reads one PRAGMA on a specific connection.
func pragma(t *testing.T, conn *sql.Conn, name string) string {
	t.Helper()
	var v string
	if err := conn.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

// plan is the query plan of a statement on a connection, with its arguments bound.
func plan(t *testing.T, conn *sql.Conn, query string, args ...any) string {
	t.Helper()
	rows, err := conn.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", query, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(steps)
}

// TestOpenConfiguresEveryConnection: every connection of both pools has the settings of Open,
// and plans a statement without looking at the values bound to it (sqlite.go): the partial
// index serves a = 'x' written into the SQL, and a = ? whatever is bound (else SQLite would
// prepare the statement again each time it is run with another value).
func TestOpenConfiguresEveryConnection(t *testing.T) {
	db := openTest(t)
	if err := db.Exec("CREATE TABLE t (a TEXT, b INTEGER); CREATE INDEX t_x ON t (b) WHERE a = 'x'").Error; err != nil {
		t.Fatal(err)
	}
	ps := pools(db)
	if len(ps) != 2 {
		t.Fatalf("pools() = %d pools; want writer and reader", len(ps))
	}
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "5000",
		"wal_autocheckpoint": strconv.Itoa(backstopPages)}
	for i, p := range ps {
		// Hold several connections at once so the pool must open new ones, each of which must
		// carry the settings (a PRAGMA run through the pool would reach only one of them).
		n := min(p.Stats().MaxOpenConnections, 4)
		conns := make([]*sql.Conn, n)
		for j := range conns {
			c, err := p.Conn(t.Context())
			if err != nil {
				t.Fatalf("pool %d: Conn() error = %v", i, err)
			}
			conns[j] = c
		}
		for j, c := range conns {
			for name, v := range want {
				if got := pragma(t, c, name); got != v {
					t.Errorf("pool %d conn %d: PRAGMA %s = %s, want %s", i, j, name, got, v)
				}
			}
			wantQueryOnly := map[int]string{0: "0", 1: "1"}[i]
			if got := pragma(t, c, "query_only"); got != wantQueryOnly {
				t.Errorf("pool %d conn %d: PRAGMA query_only = %s, want %s", i, j, got, wantQueryOnly)
			}
			const query = "SELECT b FROM t WHERE a = ? ORDER BY b"
			literal := plan(t, c, "SELECT b FROM t WHERE a = 'x' ORDER BY b")
			boundX, boundY := plan(t, c, query, "x"), plan(t, c, query, "y")
			if !strings.Contains(literal, "t_x") || boundX != boundY {
				t.Errorf("pool %d conn %d: plans %s with 'x' written in, %s with 'x' bound, %s with 'y' bound; want the index for 'x' written in, and one plan whatever is bound",
					i, j, literal, boundX, boundY)
			}
		}
		for _, c := range conns {
			_ = c.Close()
		}
	}
	if got := ps[0].Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", got)
	}
}

// TestOpenExclusive: an Exclusive handle has the file with a rollback journal and one
// connection, which migrates, writes and reads; Close puts the file back in WAL mode, with
// everything written in it. While another handle has the file open, Open with Exclusive
// answers ErrInUse at once rather than after the busy timeout, and leaves the file as it was.
func TestOpenExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "folio.db")
	first, err := Open(t.Context(), Options{Path: path}) // the file starts in WAL mode, as a server leaves it
	if err != nil {
		t.Fatal(err)
	}
	Close(first)
	if !dbtest.InWALMode(t, path) {
		t.Fatal("Open did not leave the file in WAL mode")
	}
	db, err := Open(t.Context(), Options{Path: path, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	db.Raw("PRAGMA journal_mode").Scan(&mode)
	if mode != "delete" {
		t.Errorf("journal mode of an Exclusive handle = %q, want delete", mode)
	}
	if _, err := Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	err = Write(t.Context(), db, func(tx *gorm.DB) error {
		if err := tx.Exec("INSERT INTO settings (key, value, updated_at) VALUES ('exclusive', 'yes', CURRENT_TIMESTAMP)").Error; err != nil {
			return err
		}
		// A server that starts meanwhile cannot put the file in WAL mode, and says why.
		other, err := Open(t.Context(), Options{Path: path})
		if err == nil {
			Close(other)
			t.Error("Open beside an Exclusive handle's write succeeded")
		} else if !IsBusy(err) || !strings.Contains(err.Error(), "another process has it to itself") {
			t.Errorf("Open beside an Exclusive handle's write = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var value string
	if err := db.Raw("SELECT value FROM settings WHERE key = 'exclusive'").Scan(&value).Error; err != nil || value != "yes" {
		t.Errorf("read back %q, %v", value, err)
	}
	if err := Close(db); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if !dbtest.InWALMode(t, path) {
		t.Error("after Close the file is not in WAL mode")
	}

	shared := openAt(t, path)
	value = ""
	shared.Raw("SELECT value FROM settings WHERE key = 'exclusive'").Scan(&value)
	if value != "yes" {
		t.Errorf("a handle opened after it reads %q", value)
	}
	start := time.Now()
	if _, err := Open(t.Context(), Options{Path: path, Exclusive: true}); !errors.Is(err, ErrInUse) {
		t.Errorf("Open with Exclusive beside another handle = %v, want ErrInUse", err)
	}
	if d := time.Since(start); d > BusyTimeout/2 {
		t.Errorf("Open with Exclusive beside another handle took %v", d)
	}
	if !dbtest.InWALMode(t, path) {
		t.Error("a refused Exclusive open left the file out of WAL mode")
	}
	if err := Write(t.Context(), shared, func(tx *gorm.DB) error {
		return tx.Exec("UPDATE settings SET value = 'no' WHERE key = 'exclusive'").Error
	}); err != nil {
		t.Errorf("the other handle cannot write after the refused open: %v", err)
	}
}

func TestResolverRoutesReadsAndWrites(t *testing.T) {
	db := openTest(t)
	if err := db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").Error; err != nil {
		t.Fatalf("create table: %v", err)
	}
	if err := db.Exec("INSERT INTO notes (body) VALUES (?)", "hello").Error; err != nil {
		t.Fatalf("insert: %v", err)
	}
	var body string
	if err := db.Raw("SELECT body FROM notes WHERE id = 1").Scan(&body).Error; err != nil || body != "hello" {
		t.Fatalf("read = %q, %v; want hello", body, err)
	}
	// A write sent to the read pool must fail rather than contend for the lock.
	err := db.Clauses(dbresolver.Read).Exec("INSERT INTO notes (body) VALUES ('x')").Error
	if err == nil {
		t.Fatal("write through the read pool succeeded, want an error from query_only")
	}

	// Reads do not wait for the writer: while a transaction holds the only writer connection,
	// a query through db still answers.
	hold, release := make(chan struct{}), make(chan struct{})
	go db.Transaction(func(tx *gorm.DB) error {
		tx.Exec("INSERT INTO notes (body) VALUES ('uncommitted')")
		close(hold)
		<-release
		return nil
	})
	<-hold
	defer close(release)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	var n int
	if err := db.WithContext(ctx).Raw("SELECT count(*) FROM notes WHERE body != ''").Scan(&n).Error; err != nil {
		t.Fatalf("read while the writer is held: %v (did it go to the writer?)", err)
	}
	if n != 1 {
		t.Errorf("read saw %d notes, want the 1 committed one", n)
	}
}

func TestFilesAreOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(t.Context(), Options{Path: filepath.Join(dir, "f.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer Close(db)
	if err := Backup(t.Context(), db, filepath.Join(dir, "b.db")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"f.db", "f.db-wal", "b.db"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", name, st.Mode().Perm())
		}
	}
}

func TestBackupLeavesNothingOnFailure(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	target := filepath.Join(t.TempDir(), "b.db")
	if err := Backup(ctx, db, target); err == nil {
		t.Fatal("Backup with a cancelled context succeeded")
	}
	if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed backup left %s behind (%v)", target, err)
	}
}

func TestMigrationsUpAndDown(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	p, err := Migrations(db)
	if err != nil {
		t.Fatalf("Migrations() error = %v", err)
	}
	sources := p.ListSources()
	if len(sources) == 0 {
		t.Fatal("no migrations embedded")
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("Up() error = %v", err)
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != sources[len(sources)-1].Version {
		t.Fatalf("version after Up = %d, %v; want %d", v, err, sources[len(sources)-1].Version)
	}
	if !hasTable(t, db, "settings") {
		t.Error("table settings missing after Up")
	}
	// 00010 sets how often FTS5 merges the search index, and its Down sets FTS5's default back.
	automerge := func() (n int) {
		db.Raw("SELECT v FROM items_fts_config WHERE k = 'automerge'").Scan(&n)
		return n
	}
	if n := automerge(); n != 8 {
		t.Errorf("automerge after Up = %d, want 8", n)
	}
	if _, err := p.DownTo(ctx, 9); err != nil || automerge() != 4 {
		t.Errorf("DownTo(9) = %v, automerge %d; want 4", err, automerge())
	}
	// Every migration must be reversible, down to an empty schema.
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("DownTo(0) error = %v", err)
	}
	var tables []string
	db.Raw("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'goose_db_version'").Scan(&tables)
	if len(tables) != 0 {
		t.Errorf("tables left after DownTo(0): %v", tables)
	}
	// And up again, so that the down steps left nothing that breaks a re-run.
	if res, err := Migrate(ctx, db); err != nil || len(res) != len(sources) {
		t.Fatalf("Migrate() after down = %d results, %v; want %d", len(res), err, len(sources))
	}
	status, err := p.Status(ctx)
	if err != nil {
		t.Fatalf("Status() error = %v", err)
	}
	for _, s := range status {
		if s.State != goose.StateApplied {
			t.Errorf("migration %s is %s, want applied", s.Source.Path, s.State)
		}
	}
}

func hasTable(t *testing.T, db *gorm.DB, name string) bool {
	t.Helper()
	var n int
	db.Raw("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", name).Scan(&n)
	return n == 1
}

// TestConcurrentWritesNeverBusy runs many read-then-write transactions at once, the shape
// that fails with SQLITE_BUSY under deferred transactions, and requires every one to commit.
func TestConcurrentWritesNeverBusy(t *testing.T) {
	db := openTest(t)
	if err := db.Exec("CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	db.Exec("INSERT INTO counters (id, n) VALUES (1, 0)")
	const workers, each = 32, 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				errs <- db.Transaction(func(tx *gorm.DB) error {
					var n int
					if err := tx.Raw("SELECT n FROM counters WHERE id = 1").Scan(&n).Error; err != nil {
						return err
					}
					return tx.Exec("UPDATE counters SET n = ? WHERE id = 1", n+1).Error
				})
				// Reads run beside the writes, through the read pool.
				var n int
				errs <- db.Raw("SELECT n FROM counters WHERE id = 1").Scan(&n).Error
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent transaction failed: %v (busy: %v)", err, IsBusy(err))
		}
	}
	var n int
	db.Raw("SELECT n FROM counters WHERE id = 1").Scan(&n)
	if n != workers*each {
		t.Errorf("counter = %d, want %d: an update was lost", n, workers*each)
	}
}

func TestBackup(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	if err := db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		db.Exec("INSERT INTO notes (body) VALUES (?)", fmt.Sprint("note ", i))
	}

	// Keep writing while the backup runs: none of the writes may fail (they queue behind it).
	stop := make(chan struct{})
	var written atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.Exec("INSERT INTO notes (body) VALUES ('during')").Error; err != nil {
				t.Errorf("write during backup: %v", err)
				return
			}
			written.Add(1)
		}
	})
	target := filepath.Join(t.TempDir(), "backup.db")
	err := Backup(ctx, db, target)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup() error = %v", err)
	}

	copyDB, err := sql.Open("sqlite3", fileURI(target, url.Values{"mode": {"ro"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var n int64
	if err := copyDB.QueryRow("SELECT count(*) FROM notes").Scan(&n); err != nil {
		t.Fatalf("read backup: %v", err)
	}
	if n < 100 || n > 100+written.Load() {
		t.Errorf("backup holds %d notes, want between 100 and %d", n, 100+written.Load())
	}

	if err := Backup(ctx, db, target); !errors.Is(err, ErrBackupExists) {
		t.Errorf("Backup() over an existing file error = %v, want ErrBackupExists", err)
	}
}

func TestSlowQueriesAreLoggedWithoutValues(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	db, err := Open(t.Context(), Options{Path: filepath.Join(t.TempDir(), "f.db"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer Close(db)
	db.Logger = newSlowLogger(log, 0) // everything is slow
	db.Exec("CREATE TABLE secrets (v TEXT)")
	db.Exec("INSERT INTO secrets (v) VALUES (?)", "hunter2-password-hash")
	out := buf.String()
	if !contains(out, "slow query") || !contains(out, "INSERT INTO secrets") {
		t.Errorf("log = %q, want a slow query line with the SQL", out)
	}
	if contains(out, "hunter2") {
		t.Errorf("log = %q, must not contain bound values", out)
	}
}

// BenchmarkConcurrentWrites compares the ways to let many goroutines write: the chosen single
// writer connection, a pool of writer connections with BEGIN IMMEDIATE, and a pool with
// deferred transactions. Each operation is a read-then-write transaction. busy/op counts
// SQLITE_BUSY failures (the chosen configuration must have none); p99-ms and max-ms are the
// latencies of single transactions, waiting included.
//
//	go test -tags sqlite_fts5 -run '^$' -bench ConcurrentWrites -benchtime 2000x ./internal/database
func BenchmarkConcurrentWrites(b *testing.B) {
	configs := []struct {
		name   string
		conns  int
		txlock string
	}{
		{"single-writer", 1, "immediate"},
		{"pool8-immediate", 8, "immediate"},
		{"pool8-deferred", 8, "deferred"},
	}
	for _, c := range configs {
		b.Run(c.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.db")
			q := url.Values{"_journal_mode": {"WAL"}, "_synchronous": {"FULL"}, "_busy_timeout": {"5000"}, "_txlock": {c.txlock}}
			pool, err := sql.Open("sqlite3", fileURI(path, q))
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			pool.SetMaxOpenConns(c.conns)
			pool.SetMaxIdleConns(c.conns)
			pool.Exec("CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
			pool.Exec("INSERT INTO counters VALUES (1, 0)")
			var (
				busy      atomic.Int64
				mu        sync.Mutex
				latencies []time.Duration
			)
			b.SetParallelism(16) // 16 goroutines per GOMAXPROCS, like concurrent requests
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					start := time.Now()
					err := readThenWrite(context.Background(), pool)
					mine = append(mine, time.Since(start))
					if err != nil {
						if IsBusy(err) {
							busy.Add(1)
							continue
						}
						b.Error(err)
						return
					}
				}
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			slices.Sort(latencies)
			b.ReportMetric(float64(busy.Load())/float64(b.N), "busy/op")
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "max-ms")
		})
	}
}

func readThenWrite(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT n FROM counters WHERE id = 1").Scan(&n); err != nil {
		return err
	}
	time.Sleep(50 * time.Microsecond) // the work a handler does between its read and its write
	if _, err := tx.ExecContext(ctx, "UPDATE counters SET n = ? WHERE id = 1", n+1); err != nil {
		return err
	}
	return tx.Commit()
}
