package database

import (
	"context"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/gorm"

	"github.com/foliocms/folio/migrations"
)

// Migrations returns a goose provider for db's schema, reading the SQL files of db's dialect
// embedded in the binary. Migrations run in a transaction each. On PostgreSQL, where several
// processes may start at once, a session advisory lock makes exactly one of them migrate while
// the others wait, then find nothing to do.
func Migrations(db *gorm.DB) (*goose.Provider, error) {
	dialect, gooseDialect := "sqlite", goose.DialectSQLite3
	var opts []goose.ProviderOption
	if IsPostgres(db) {
		dialect, gooseDialect = "postgres", goose.DialectPostgres
		// One lock per schema: processes on the same schema wait for each other, and those on
		// other schemas of the database (tests run in parallel, one schema each) need not.
		var schema string
		if err := db.Raw("SELECT current_schema()").Row().Scan(&schema); err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(schemaLockKey("migrations", schema)))
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	fsys, err := migrations.FS(dialect)
	if err != nil {
		return nil, err
	}
	conn, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(gooseDialect, conn, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration and returns what it applied.
func Migrate(ctx context.Context, db *gorm.DB) ([]*goose.MigrationResult, error) {
	p, err := Migrations(db)
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return res, fmt.Errorf("apply migrations: %w", err)
	}
	return res, nil
}
