// Package database opens Folio's database and keeps its schema current: the driver, the
// connection settings that make it safe, and the migrations. Nothing else lives here.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"
)

// BusyTimeout is how long a connection waits for another process's lock (a backup, a migration
// run from the command line) before SQLite reports it busy. Within one process writes never
// wait on SQLite's lock: they queue for the single writer connection instead (see Open).
const BusyTimeout = 5 * time.Second

// SlowQuery is the duration above which a query is logged.
const SlowQuery = 200 * time.Millisecond

// Options are the settings Open needs.
type Options struct {
	Path   string       // the SQLite file (its folder is created when missing), or a postgres:// URL
	Logger *slog.Logger // receives slow queries
	// BusyTimeout replaces the package's BusyTimeout when positive: tests that wait out
	// another connection's lock need not wait five seconds for it.
	BusyTimeout time.Duration
	// Exclusive opens a SQLite file for a bulk load that has it to itself (see openExclusive),
	// and fails with ErrInUse when another connection has it open in WAL mode, as every other
	// handle of Open does. Ignored on PostgreSQL.
	Exclusive bool
}

// ErrInUse is Open's answer with Exclusive when another connection, of this process or another,
// has the file open in WAL mode.
var ErrInUse = errors.New("the database file is open elsewhere")

// Open opens the SQLite database at opts.Path, creating the file and its folder when missing,
// or the PostgreSQL database that opts.Path names with a postgres:// URL (see openPostgres).
//
// Every connection, in both pools, is set up through the DSN, because PRAGMAs are per connection:
// WAL (readers never block the writer), synchronous=FULL (a committed transaction survives a power
// cut, not only a crash), foreign keys on, and a busy timeout. A third connection copies the
// write-ahead log into the file in the background (checkpoint.go).
//
// Writes go through one connection, reads through a pool of query-only connections; GORM's
// dbresolver routes each statement (transactions, Create/Update/Delete and Exec to the writer,
// queries to the readers). SQLite admits one writer at a time whatever we do, so the choice is
// where writers wait: with several BEGIN IMMEDIATE connections they wait in SQLite's busy
// handler, which sleeps and retries and fails with SQLITE_BUSY once the busy timeout has passed;
// with one writer connection they queue in Go's pool, without sleeping and without a deadline
// of SQLite's. BenchmarkConcurrentWrites (32 goroutines, read-then-write transactions, 2 cores),
// over five runs: throughput is the same within noise (one writer 1.45-1.68 ms/op, eight
// BEGIN IMMEDIATE connections 1.33-2.00 ms/op, each ahead in some runs), but the slowest
// transaction waited 0.33-0.44 s with one writer and 2.6-3.9 s with eight, most of the way to
// the busy timeout and SQLITE_BUSY; eight deferred connections failed 94-97% of transactions
// with SQLITE_BUSY. The
// writer also begins every transaction with BEGIN IMMEDIATE (_txlock), so a transaction that
// reads before it writes cannot fail to upgrade its lock when another process (a backup, a
// migration from the command line) wrote first.
//
// One rule follows for callers: inside a transaction, use only the transaction's handle. A write
// through db while holding a transaction waits for the one writer connection, which the
// transaction holds: it would wait until its context ends.
func Open(ctx context.Context, opts Options) (*gorm.DB, error) {
	if opts.Path == "" {
		return nil, errors.New("open database: no path")
	}
	if IsPostgresURL(opts.Path) {
		return openPostgres(ctx, opts.Path, opts)
	}
	path, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create database folder: %w", err)
	}
	// The file holds password hashes and maybe the token signing key: readable by its owner
	// only. SQLite gives the -wal and -shm files the main file's permissions.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		_ = f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create database file: %w", err)
	}

	busy := BusyTimeout
	if opts.BusyTimeout > 0 {
		busy = opts.BusyTimeout
	}
	if opts.Exclusive {
		return openExclusive(ctx, path, busy, opts.Logger)
	}
	writer, err := openPool(ctx, path, false, busy)
	if err != nil {
		return nil, err
	}
	// One writer connection, kept open forever so that the per-connection settings persist.
	keepOne(writer)

	reader, err := openPool(ctx, path, true, busy)
	if err != nil {
		_ = writer.Close()
		return nil, err
	}
	readers := max(4, 2*runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	reader.SetConnMaxIdleTime(5 * time.Minute)

	db, err := gorm.Open(sqlite.New(sqlite.Config{Conn: writer}), gormConfig(opts.Logger))
	if err == nil {
		err = db.Use(dbresolver.Register(dbresolver.Config{
			Replicas: []gorm.Dialector{sqlite.New(sqlite.Config{Conn: reader})},
		}))
	}
	if err != nil {
		_ = writer.Close()
		_ = reader.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	checkpoints, err := startCheckpointer(ctx, path, busy, opts.Logger)
	if err != nil {
		_ = writer.Close()
		_ = reader.Close()
		return nil, err
	}
	writers.Store(writer, &writeQueue{checkpoints: checkpoints})
	return db, nil
}

// gormConfig is GORM's configuration of every SQLite handle.
func gormConfig(logger *slog.Logger) *gorm.Config {
	return &gorm.Config{
		Logger: newSlowLogger(logger, SlowQuery),
		// UTC, at the microsecond precision that JSON, ETags and cursors keep.
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		TranslateError: true,
	}
}

// openExclusive opens the one connection, for reads and writes, of an Exclusive handle: the file
// in rollback-journal mode until Close puts it back in WAL mode.
//
// The write-ahead log is what lets readers go on while a write runs; a bulk load that has the
// file to itself pays for it and uses none of it. Its one transaction puts every page it
// writes in the log (13 GB for a million items), copies them all again into the file at the
// end, and looks each page it reads up in the log's index, whose cost grows with the log:
// walFindFrame took 60% of the CPU while the indexes were built at a million items (perf).
// With a rollback journal the pages go to the file once, the journal keeps the few that the
// transaction changes, and a crash still leaves all of it or none: the next connection to open
// the file rolls the journal back. folio import of make bench's million items took 5 min 18 s
// this way, 11 min 5 s through the log.
//
// Leaving WAL takes the file's exclusive lock, which SQLite refuses at once, without waiting
// out the busy timeout, while another connection has the file open: then Open answers
// ErrInUse. A process that opens the file while the bulk load writes fails in turn, at once
// or after its busy timeout once the load holds the exclusive lock (openPool says why); one
// that opens it between the handle's transactions puts it back in WAL mode, which the handle
// then follows.
func openExclusive(ctx context.Context, path string, busy time.Duration, logger *slog.Logger) (*gorm.DB, error) {
	p, err := sql.Open(driverName, fileURI(path, settings(false, busy)))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	keepOne(p)
	var mode string
	err = p.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode)
	if err == nil && mode != "delete" {
		err = ErrInUse
	}
	var db *gorm.DB
	if err == nil {
		if db, err = gorm.Open(sqlite.New(sqlite.Config{Conn: p}), gormConfig(logger)); err != nil {
			_, _ = p.ExecContext(ctx, "PRAGMA journal_mode = WAL") // as it was
		}
	}
	if err != nil {
		_ = p.Close()
		if IsBusy(err) {
			err = ErrInUse
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	writers.Store(p, &writeQueue{exclusive: true})
	return db, nil
}

// driverName is SQLite's driver with the settings that its DSN does not take: every connection
// leaves the write-ahead log to the checkpointer (checkpoint.go) up to backstopPages, rather
// than checkpointing it itself after a commit once it holds 1,000 pages.
const driverName = "sqlite3_folio"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", backstopPages), nil)
		return err
	}})
}

// settings are a connection's settings in its DSN, but for its journal mode.
func settings(readOnly bool, busy time.Duration) url.Values {
	q := url.Values{}
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	// Keep prepared statements per connection: the application's queries are a small fixed set,
	// and preparing one costs as much as running it (half of an authenticated request's lookup).
	q.Set("_stmt_cache_size", "128")
	if readOnly {
		// query_only makes a write that the resolver sent here by mistake fail loudly instead of
		// competing with the writer for SQLite's lock.
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
	}
	return q
}

// openPool opens a connection pool on path and checks that SQLite accepted the settings.
func openPool(ctx context.Context, path string, readOnly bool, busy time.Duration) (*sql.DB, error) {
	q := settings(readOnly, busy)
	q.Set("_journal_mode", "WAL")
	db, err := sql.Open(driverName, fileURI(path, q))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		_ = db.Close()
		if IsBusy(err) {
			// Only a connection that has the file to itself keeps it from WAL mode this way.
			return nil, fmt.Errorf("open database %s: %w (another process has it to itself, as folio import does when nothing else has the file open: start once it is done)", path, err)
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if mode != "wal" {
		_ = db.Close()
		return nil, fmt.Errorf("open database %s: journal mode is %q, want wal (is it on a network file system?)", path, mode)
	}
	return db, nil
}

// keepOne makes p a pool of one connection, opened once and kept.
func keepOne(p *sql.DB) {
	p.SetMaxOpenConns(1)
	p.SetMaxIdleConns(1)
	p.SetConnMaxLifetime(0)
	p.SetConnMaxIdleTime(0)
}

// fileURI builds a SQLite URI for path, escaped so that a '?' or '#' in a file name is a file name.
func fileURI(path string, q url.Values) string {
	return (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String()
}

// Ping checks that the database answers a query, through the read pool so that a long write
// transaction does not make the process look unready.
func Ping(ctx context.Context, db *gorm.DB) error {
	var n int
	if IsPostgres(db) {
		return db.WithContext(ctx).Raw("SELECT 1").Row().Scan(&n)
	}
	return db.WithContext(ctx).Raw("SELECT count(*) FROM sqlite_schema").Row().Scan(&n)
}

// Close checkpoints the write-ahead log into the main file, so that a copied or inspected file
// is complete, and closes every connection. The background checkpoints stop first: the last
// one is this one, which waits for readers and empties the log. An Exclusive handle puts the
// file back in WAL mode instead.
func Close(db *gorm.DB) error {
	var errs []error
	ps := pools(db)
	last := "PRAGMA wal_checkpoint(TRUNCATE)"
	for _, p := range ps {
		q, ok := writers.Load(p)
		if !ok {
			continue
		}
		if q.(*writeQueue).exclusive {
			last = "PRAGMA journal_mode = WAL"
		}
		if q.(*writeQueue).checkpoints != nil {
			if err := q.(*writeQueue).checkpoints.close(); err != nil {
				errs = append(errs, fmt.Errorf("checkpointer: %w", err))
			}
		}
	}
	if !IsPostgres(db) {
		if err := db.Exec(last).Error; err != nil {
			errs = append(errs, fmt.Errorf("close: %s: %w", last, err))
		}
	}
	for _, p := range ps {
		writers.Delete(p)
		if err := p.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// pools returns the writer and the reader pools behind db.
func pools(db *gorm.DB) []*sql.DB {
	var out []*sql.DB
	if w, err := db.DB(); err == nil {
		out = append(out, w)
	}
	if r, ok := db.Plugins[(&dbresolver.DBResolver{}).Name()].(*dbresolver.DBResolver); ok {
		// The callback never fails, so neither does Call.
		_ = r.Call(func(p gorm.ConnPool) error {
			if s, ok := p.(*sql.DB); ok && (len(out) == 0 || s != out[0]) {
				out = append(out, s)
			}
			return nil
		})
	}
	return out
}

// IsBusy reports whether err means that the database was held by another writer for longer
// than the busy timeout: SQLite's "database is locked", PostgreSQL's lock timeout.
func IsBusy(err error) bool {
	var se sqlite3.Error
	return (errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)) || isPostgresBusy(err)
}
