package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// IsPostgresURL reports whether s names a PostgreSQL database rather than a SQLite file.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Redact returns a database location fit for a log line: a PostgreSQL URL without its password.
func Redact(location string) string {
	if !IsPostgresURL(location) {
		return location
	}
	u, err := url.Parse(location)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	// libpq's URLs may carry the password as an option, too.
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// PostgresPoolSize is the most connections one process opens (one of them listens for other
// processes' writes, see Listen): enough for the two cores' handlers to wait on the database in
// parallel, few enough that ten replicas (80) stay below PostgreSQL's default max_connections
// of 100.
const PostgresPoolSize = 8

// openPostgres opens a pool on the PostgreSQL database at rawURL.
//
// Every process on the database shares it: write transactions take the schema's advisory lock
// (see Write), which keeps them as serial across all replicas as SQLite's one writer keeps them
// in one process, and lock_timeout plays the busy timeout.
// Times come back in UTC, as they are stored: pgx would give them the process's time zone,
// and a replica in another zone would render other JSON, and other ETags, for the same item.
func openPostgres(ctx context.Context, rawURL string, opts Options) (*gorm.DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(rawURL), err)
	}
	busy := BusyTimeout
	if opts.BusyTimeout > 0 {
		busy = opts.BusyTimeout
	}
	// Every wait for a lock (the write lock above all) gives up after the busy timeout.
	cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(busy.Milliseconds(), 10)
	// PostgreSQL's default random_page_cost (4) is a spinning disk's. With it the planner reads
	// the whole search table, each item's document out of line (TOAST), rather than the GIN
	// index, for a word that a few items have: 61 ms instead of 1.4 ms on 10,000 items
	// (measured). 1.1 is the usual value for SSDs and for data that fits in memory; an operator
	// who wants another gives it in FOLIO_DB (…?random_page_cost=2).
	if _, set := cfg.RuntimeParams["random_page_cost"]; !set {
		cfg.RuntimeParams["random_page_cost"] = "1.1"
	}
	utc := stdlib.OptionAfterConnect(func(_ context.Context, conn *pgx.Conn) error {
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID, Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	})
	pool := stdlib.OpenDB(*cfg, utc)
	pool.SetMaxOpenConns(PostgresPoolSize)
	pool.SetMaxIdleConns(PostgresPoolSize)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("open database %s: %w", Redact(rawURL), err)
	}
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: pool}), &gorm.Config{
		Logger:         newSlowLogger(opts.Logger, SlowQuery),
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		TranslateError: true,
	})
	if err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("open database %s: %w", Redact(rawURL), err)
	}
	var schema string
	if err := db.WithContext(ctx).Raw("SELECT current_schema()").Row().Scan(&schema); err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("open database %s: %w", Redact(rawURL), err)
	}
	writers.Store(pool, &writeQueue{lockKey: schemaLockKey("writes", schema)})
	return db, nil
}

// schemaLockKey is an advisory lock of a schema's, for a purpose (writes, migrations): one per
// schema, so that several Folio databases (schemas) on one PostgreSQL database do not wait for
// each other.
func schemaLockKey(purpose, schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("folio " + purpose + " " + schema))
	return int64(h.Sum64() >> 1)
}

// IsPostgres reports whether db is a PostgreSQL database.
func IsPostgres(db *gorm.DB) bool { return db.Name() == "postgres" }

// isPostgresBusy reports a PostgreSQL error that a retry may not meet: a lock not granted
// within lock_timeout, a deadlock, a serialization failure.
func isPostgresBusy(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "55P03" || pe.Code == "40P01" || pe.Code == "40001")
}

// Listen calls notified whenever the PostgreSQL channel is notified, until ctx ends. It holds
// one connection of db's pool for it (LISTEN is per connection), and when the connection fails
// it logs that and listens again a second later: a caller that must not miss a change also
// checks on its own from time to time (changes.Watch polls).
func Listen(ctx context.Context, db *gorm.DB, channel string, notified func(), logger *slog.Logger) {
	pool, err := db.DB()
	if err != nil {
		logger.Warn("listen", "channel", channel, "error", err)
		return
	}
	for ctx.Err() == nil {
		err := listenOnce(ctx, pool, channel, notified)
		if ctx.Err() != nil {
			return
		}
		logger.Warn("listen; listening again in a second", "channel", channel, "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func listenOnce(ctx context.Context, pool *sql.DB, channel string, notified func()) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen: a %T is not a pgx connection", driverConn)
		}
		pc := c.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
			return err
		}
		// A connection back in the pool must not keep listening (a failed UNLISTEN leaves one
		// that only gets notifications nobody reads), nor hang on a dead network.
		defer func() {
			unlistenCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_, _ = pc.Exec(unlistenCtx, "UNLISTEN *")
		}()
		// Every change from here on is notified; one check now covers those before.
		notified()
		for {
			if _, err := pc.WaitForNotification(ctx); err != nil {
				return err
			}
			notified()
		}
	})
}
