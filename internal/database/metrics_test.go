package database

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/database/dbtest"
)

// writeCounters registers db's write metrics and returns a function that reads one of them.
func writeCounters(t *testing.T, db *gorm.DB) func(name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := RegisterMetrics(reg, db); err != nil {
		t.Fatal(err)
	}
	return func(name string) float64 {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == name {
				return f.GetMetric()[0].GetCounter().GetValue()
			}
		}
		t.Fatalf("no metric %s", name)
		return 0
	}
}

// TestWriteMetrics: the metrics count transactions and the writes in them, the time the writes
// waited for their turn and the time the writer was busy, as a group commit runs them.
func TestWriteMetrics(t *testing.T) {
	db, q := openWriteTest(t)
	value := writeCounters(t, db)

	// One write holds the writer for hold; three more wait behind it, and then commit together.
	const hold = 50 * time.Millisecond
	insert := func(tx *gorm.DB) error { return tx.Exec("INSERT INTO wt (n) VALUES (1)").Error }
	began := time.Now()
	release := holdWriter(t, db, insert)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := Write(t.Context(), db, insert); err != nil {
				t.Error(err)
			}
		})
	}
	for q.queued() < 3 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(hold)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	took := time.Since(began).Seconds()

	if got := value("folio_db_write_transactions_total"); got != 2 {
		t.Errorf("transactions = %v, want 2: the held write's, then one for the three that waited", got)
	}
	if got := value("folio_db_writes_total"); got != 4 {
		t.Errorf("writes = %v, want 4", got)
	}
	// Each of the three waited at least hold, and at most the whole; the writer was busy at
	// least hold (the first transaction) and at most the whole.
	if got := value("folio_db_write_wait_seconds_total"); got < 3*hold.Seconds() || got > 3*took {
		t.Errorf("wait = %vs, want %vs to %vs", got, 3*hold.Seconds(), 3*took)
	}
	if got := value("folio_db_write_busy_seconds_total"); got < hold.Seconds() || got > took {
		t.Errorf("busy = %vs, want %vs to %vs", got, hold.Seconds(), took)
	}
}

// TestWriteMetricsOfAWriteThatNeverHeldTheLock: a write whose transaction could not begin,
// another process holding the file's write lock past the busy timeout, waited all its time:
// none of it is the writer's busy time.
func TestWriteMetricsOfAWriteThatNeverHeldTheLock(t *testing.T) {
	dbtest.SQLiteOnly(t)
	path := dbtest.Location(t)
	const timeout = 100 * time.Millisecond
	db, err := Open(t.Context(), Options{Path: path, BusyTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Close(db) })
	value := writeCounters(t, db)
	other, err := sql.Open("sqlite3", fileURI(path, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")

	if err := Write(t.Context(), db, func(tx *gorm.DB) error { return nil }); !IsBusy(err) {
		t.Fatalf("Write beside another process's write = %v, want busy", err)
	}
	tx, writes := value("folio_db_write_transactions_total"), value("folio_db_writes_total")
	wait, busy := value("folio_db_write_wait_seconds_total"), value("folio_db_write_busy_seconds_total")
	if tx != 1 || writes != 1 || wait < timeout.Seconds() || busy != 0 {
		t.Errorf("%v transactions, %v writes, wait %vs, busy %vs; want 1 transaction of 1 write, waiting at least %v and busy 0", tx, writes, wait, busy, timeout)
	}
}
