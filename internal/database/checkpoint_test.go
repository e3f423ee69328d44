package database

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestWritesReachTheFileInTheBackground: what writes commit is copied from the write-ahead log
// into the database file by the checkpointer, soon after, although the log stays far below the
// size at which the writer would checkpoint it (backstopPages). Close stops the checkpointer
// with the rest: its goroutine has ended, and once every connection is closed SQLite removes
// the log.
func TestWritesReachTheFileInTheBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "folio.db")
	db, err := Open(t.Context(), Options{Path: path})
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if err := db.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	writer, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	q, ok := writers.Load(writer)
	if !ok || q.(*writeQueue).checkpoints == nil {
		t.Fatal("Open made no checkpointer")
	}
	c := q.(*writeQueue).checkpoints
	before := size()
	// 100 writes of 8 KB: about 300 pages in the log, a thirtieth of backstopPages.
	const writes, body = 100, 8 << 10
	for range writes {
		err := Write(t.Context(), db, func(tx *gorm.DB) error {
			return tx.Exec("INSERT INTO notes (body) VALUES (?)", strings.Repeat("x", body)).Error
		})
		if err != nil {
			t.Fatalf("Write() error = %v", err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); size() < before+writes*body; {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is %d bytes 10 s after the writes (%d before them); want the %d bytes written copied into it",
				size(), before, writes*body)
		}
		time.Sleep(10 * time.Millisecond)
	}

	if err := Close(db); err != nil {
		t.Fatalf("Close() error = %v", err)
	}
	select {
	case <-c.done:
	default:
		t.Error("the checkpointer runs on after Close")
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Close, stat of the write-ahead log: %v; want it removed, as SQLite does when the last connection closes", err)
	}
}
