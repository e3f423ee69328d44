package database

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/database/dbtest"
)

func openPostgresTest(t *testing.T, url string, busy time.Duration) *gorm.DB {
	t.Helper()
	db, err := Open(t.Context(), Options{Path: url, BusyTimeout: busy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Close(db) })
	return db
}

// TestPostgresWritesAreSerial: two handles on one database stand for two replicas. Write
// transactions that read a counter and write it back, spread over both, lose no increment
// (PostgreSQL's READ COMMITTED alone would: both read 5, both write 6), and a write that waits
// for the lock longer than the busy timeout fails as busy, which the API answers with 503.
func TestPostgresWritesAreSerial(t *testing.T) {
	url := dbtest.PostgresURL(t)
	a, b := openPostgresTest(t, url, 0), openPostgresTest(t, url, 0)
	impatient := openPostgresTest(t, url, 100*time.Millisecond)
	if !IsPostgres(a) {
		t.Fatal("a postgres:// URL did not open PostgreSQL")
	}
	if err := a.Exec("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL); INSERT INTO counter VALUES (1, 0)").Error; err != nil {
		t.Fatal(err)
	}
	const writes = 40
	var wg sync.WaitGroup
	for i := range writes {
		db := a
		if i%2 == 1 {
			db = b
		}
		wg.Go(func() {
			err := Write(t.Context(), db, func(tx *gorm.DB) error {
				var n int
				if err := tx.Raw("SELECT n FROM counter WHERE id = 1").Row().Scan(&n); err != nil {
					return err
				}
				time.Sleep(time.Millisecond) // widen the window between the read and the write
				return tx.Exec("UPDATE counter SET n = ? WHERE id = 1", n+1).Error
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var n int
	if err := a.Raw("SELECT n FROM counter WHERE id = 1").Row().Scan(&n); err != nil || n != writes {
		t.Errorf("counter = %d (%v), want %d: a write was lost", n, err, writes)
	}

	// A writer holds the lock; another process gives up after its busy timeout.
	held, release := make(chan struct{}), make(chan struct{})
	go Write(t.Context(), a, func(*gorm.DB) error {
		close(held)
		<-release
		return nil
	})
	<-held
	start := time.Now()
	err := Write(t.Context(), impatient, func(*gorm.DB) error { return nil })
	close(release)
	if !IsBusy(err) {
		t.Fatalf("write behind a held lock = %v, want busy", err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond || waited > 2*time.Second {
		t.Errorf("gave up after %v, want about the busy timeout (100ms)", waited)
	}
	if IsBusy(errors.New("database is locked")) {
		t.Error("a plain error counts as busy")
	}
}

// TestPostgresTimesAreUTC: times come back in UTC whatever the session's time zone, so that
// every replica renders the same JSON (and ETags) for the same row.
func TestPostgresTimesAreUTC(t *testing.T) {
	db := openPostgresTest(t, dbtest.PostgresURL(t)+"&timezone=Asia%2FTokyo", 0)
	var got time.Time
	if err := db.Raw("SELECT timestamptz '2020-05-15 09:00:00+00'").Row().Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got.Location() != time.UTC || !got.Equal(time.Date(2020, 5, 15, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("read %v (%v), want 2020-05-15 09:00 UTC", got, got.Location())
	}
	if err := Ping(t.Context(), db); err != nil {
		t.Errorf("Ping: %v", err)
	}
	// The planner's page cost is an SSD's unless the URL says otherwise.
	for url, want := range map[string]string{dbtest.PostgresURL(t): "1.1", dbtest.PostgresURL(t) + "&random_page_cost=3": "3"} {
		var got string
		if err := openPostgresTest(t, url, 0).Raw("SHOW random_page_cost").Row().Scan(&got); err != nil || got != want {
			t.Errorf("random_page_cost = %q (%v), want %s", got, err, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"data/folio.db": "data/folio.db",
		"postgres://folio:s3cret@db.internal:5432/folio?sslmode=require":     "postgres://folio:xxxxx@db.internal:5432/folio?sslmode=require",
		"postgres://folio@db.internal/folio?password=s3cret&sslmode=require": "postgres://folio@db.internal/folio?password=xxxxx&sslmode=require",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPostgresWritersOfOneProcessQueue: a process's own writers wait for each other without a
// deadline, as they do for SQLite's one writer connection; only another process's lock held
// past the busy timeout is busy. Here ten writes of 20 ms behind each other outlast a busy
// timeout of 50 ms, and none fails.
func TestPostgresWritersOfOneProcessQueue(t *testing.T) {
	db := openPostgresTest(t, dbtest.PostgresURL(t), 50*time.Millisecond)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			err := Write(t.Context(), db, func(tx *gorm.DB) error {
				time.Sleep(20 * time.Millisecond)
				return tx.Exec("SELECT 1").Error
			})
			if err != nil {
				t.Errorf("a write queued behind the process's others: %v", err)
			}
		})
	}
	wg.Wait()
}

// TestPostgresWriteInsideAWrite: a write made with a transaction's handle joins it, as on
// SQLite, instead of waiting for the turn its own transaction holds.
func TestPostgresWriteInsideAWrite(t *testing.T) {
	db := openPostgresTest(t, dbtest.PostgresURL(t), 0)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err := Write(ctx, db, func(tx *gorm.DB) error {
		return Write(ctx, tx, func(inner *gorm.DB) error { return inner.Exec("SELECT 1").Error })
	})
	if err != nil {
		t.Fatalf("a write inside a write = %v", err)
	}
}
