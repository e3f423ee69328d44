package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/dbcopy"
)

const migrateDataUsage = "usage: folio migrate-data --from SRC --to DST (each a SQLite file or a postgres:// URL)"

// migrateData copies a whole database into an empty one: folio migrate-data --from SRC --to DST.
func migrateData(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var from, to string
	cfg, logger, err := setup("migrate-data", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&from, "from", "", "the database to copy: a SQLite file or a postgres:// URL")
		fs.StringVar(&to, "to", "", "the empty database to copy into: a SQLite file (created when missing) or a postgres:// URL")
	})
	if err != nil {
		return err
	}
	switch {
	case len(cfg.Args) > 0:
		return usageError(fmt.Sprintf("migrate-data takes no arguments, got %q; %s", cfg.Args, migrateDataUsage))
	case from == "" || to == "":
		return usageError("--from and --to are required; " + migrateDataUsage)
	case sameDatabase(from, to):
		return usageError("--from and --to name the same database")
	}
	if err := existingDatabase("migrate-data", from); err != nil {
		return err
	}
	src, err := database.Open(ctx, database.Options{Path: from, Logger: logger})
	if err != nil {
		return err
	}
	defer database.Close(src)
	dst, err := database.Open(ctx, database.Options{Path: to, Logger: logger})
	if err != nil {
		return err
	}
	defer database.Close(dst)

	fmt.Fprintf(stderr, "copying %s to %s\n", database.Redact(from), database.Redact(to))
	start := time.Now()
	tables, err := dbcopy.Copy(ctx, src, dst, dbcopy.Options{Copied: func(t dbcopy.Table) {
		fmt.Fprintf(stderr, "  %-15s %9d rows  %v\n", t.Name, t.Rows, t.Elapsed.Round(time.Millisecond))
	}})
	if err != nil {
		return fmt.Errorf("migrate-data: %w", err)
	}
	elapsed := time.Since(start)

	var rows int64
	fmt.Fprintf(stdout, "%-15s %9s  %s\n", "table", "rows", "checksum (SHA-256)")
	for _, t := range tables {
		fmt.Fprintf(stdout, "%-15s %9d  %s\n", t.Name, t.Rows, t.Checksum)
		rows += t.Rows
	}
	fmt.Fprintf(stdout, "verified: %d rows in %d tables copied from %s to %s in %v (%.0f rows/s)\n",
		rows, len(tables), database.Redact(from), database.Redact(to), elapsed.Round(time.Millisecond), float64(rows)/elapsed.Seconds())
	return nil
}

// sameDatabase reports whether two locations name one database: the same URL, or the same file
// by whatever path.
func sameDatabase(a, b string) bool {
	if database.IsPostgresURL(a) || database.IsPostgresURL(b) {
		return a == b
	}
	if sa, err := os.Stat(a); err == nil {
		if sb, err := os.Stat(b); err == nil {
			return os.SameFile(sa, sb)
		}
	}
	pa, errA := filepath.Abs(a)
	pb, errB := filepath.Abs(b)
	return errors.Join(errA, errB) == nil && pa == pb
}
