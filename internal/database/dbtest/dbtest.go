// Package dbtest gives each test a database of its own: a new SQLite file in a temporary
// folder, or, when the suite runs on PostgreSQL (FOLIO_TEST_DB=postgres), a new schema on the
// database that FOLIO_TEST_POSTGRES names, dropped when the test ends, so that tests stay
// independent and may run in parallel on one server.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// EnvPostgres names the variable that holds the URL of a PostgreSQL database tests may use.
const EnvPostgres = "FOLIO_TEST_POSTGRES"

// EnvBackend names the variable that runs the suite on PostgreSQL when it says "postgres".
const EnvBackend = "FOLIO_TEST_DB"

// Postgres reports whether the suite runs on PostgreSQL.
func Postgres() bool { return os.Getenv(EnvBackend) == "postgres" }

// Location returns where a test's database goes: a SQLite file in a new temporary folder, or
// on PostgreSQL (Postgres) a new schema's URL. On PostgreSQL without FOLIO_TEST_POSTGRES it
// fails the test: a suite asked to run there must not pass by skipping.
func Location(t testing.TB) string {
	t.Helper()
	if !Postgres() {
		return filepath.Join(t.TempDir(), "folio.db")
	}
	if os.Getenv(EnvPostgres) == "" {
		t.Fatalf("%s=postgres, but %s does not name a database", EnvBackend, EnvPostgres)
	}
	return PostgresURL(t)
}

// SQLiteOnly skips a test of SQLite itself (a query plan, FTS5, the database file) when the
// suite runs on PostgreSQL.
func SQLiteOnly(t testing.TB) {
	t.Helper()
	if Postgres() {
		t.Skip("checks SQLite itself; the suite runs on PostgreSQL")
	}
}

// InWALMode reports whether the SQLite file at path is in WAL mode, from its header (bytes 18
// and 19 are 2 in WAL mode, 1 with a rollback journal), without opening it.
func InWALMode(t testing.TB, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 20 {
		t.Fatalf("read the header of %s: %v", path, err)
	}
	return b[18] == 2 && b[19] == 2
}

// PostgresURL returns the URL of a new, empty schema on the test PostgreSQL database (its
// search_path names only that schema), or skips the test when FOLIO_TEST_POSTGRES is unset.
// The schema is dropped, with everything in it, when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skip(EnvPostgres + " is not set: no PostgreSQL to test against")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if err := createSchema(t.Context(), admin, schema); err != nil {
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		// t.Context() has ended by now: the drop gets its own.
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dbtest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("dbtest: %s is not a URL", EnvPostgres) // the error would show its password
	}
	q := u.Query()
	// public stays on the path for the extensions (unaccent), which live there once per database.
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

// unaccentLock is the advisory lock under which tests create the unaccent extension: two
// concurrent CREATE EXTENSION IF NOT EXISTS can both try to create it, and one then fails.
const unaccentLock = 0x666f6c696f + 1

// createSchema creates the schema, and the unaccent extension in public where migration 00005
// expects it (it belongs to the database, not to a schema; the migration then finds it there).
func createSchema(ctx context.Context, admin *sql.DB, schema string) error {
	tx, err := admin.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // after Commit, a no-op
	for _, stmt := range []string{
		fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", unaccentLock),
		"CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public",
		"CREATE SCHEMA " + schema,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return tx.Commit()
}
