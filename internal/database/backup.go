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
// still in the write-ahead log, and it holds no lock that blocks writers under WAL. The copy is
// synced to disk and checked with PRAGMA integrity_check before Backup returns.
func Backup(ctx context.Context, db *gorm.DB, path string) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backup %s: %w", path, ErrBackupExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
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
