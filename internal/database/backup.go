package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"gorm.io/gorm"
)

// ErrBackupExists is returned when the backup's target already exists: a backup never
// overwrites anything.
var ErrBackupExists = errors.New("backup target already exists")

// Backup writes a consistent copy of db to path while the database stays in use. VACUUM INTO
// reads inside one transaction, so the copy is a snapshot of one moment, including what is
// still in the write-ahead log. Under WAL it blocks no other process's writers (the server's,
// when `folio backup` runs beside it); within this process it runs on the writer connection,
// so this process's writes wait for it. The copy is readable by its owner only, like the
// database, synced to disk and checked with PRAGMA integrity_check; on any failure it is
// removed, so that a retry does not find it in the way.
func Backup(ctx context.Context, db *gorm.DB, path string) (err error) {
	path, err = filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// Creating the file exclusively refuses an existing one without a race, and sets its mode
	// before any data is in it; VACUUM INTO accepts an empty target.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("backup %s: %w", path, ErrBackupExists)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	_ = f.Close()
	defer func() {
		if err != nil {
			_ = os.Remove(path)
		}
	}()
	if err := db.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := syncFile(path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := checkIntegrity(ctx, path); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// checkIntegrity opens the file read-only and runs SQLite's own consistency check.
func checkIntegrity(ctx context.Context, path string) error {
	conn, err := sql.Open("sqlite3", fileURI(path, url.Values{"mode": {"ro"}}))
	if err != nil {
		return err
	}
	defer conn.Close()
	var result string
	if err := conn.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("integrity check: %s", result)
	}
	return nil
}
