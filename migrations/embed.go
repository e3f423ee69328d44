// Package migrations holds Folio's schema as versioned goose SQL files, one folder per SQL
// dialect, embedded in the binary. The schema is these files: nothing else creates tables.
//
// A new migration is a new file NNNNN_name.sql in every dialect's folder, with the same number
// and the same meaning, so that a database can move between dialects at any version.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// FS returns the migrations for dialect: "sqlite" or "postgres".
func FS(dialect string) (fs.FS, error) {
	sub, err := fs.Sub(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", dialect, err)
	}
	if _, err := fs.Stat(files, dialect); err != nil {
		return nil, fmt.Errorf("no migrations for dialect %q", dialect)
	}
	return sub, nil
}
