package database

import (
	"context"
	"fmt"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"

	"github.com/foliocms/folio/migrations"
)

// Dialect names the SQL dialect of db's migrations.
const Dialect = "sqlite"

// Migrations returns a goose provider for db's schema, reading the SQL files embedded in the
// binary. Migrations run on the writer connection, each in its own transaction.
func Migrations(db *gorm.DB) (*goose.Provider, error) {
	fsys, err := migrations.FS(Dialect)
	if err != nil {
		return nil, err
	}
	writer, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, writer, fsys)
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
