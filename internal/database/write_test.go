package database

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/database/dbtest"
)

// openWriteTest opens a database of the test backend with a table wt, and returns its write
// queue.
func openWriteTest(t *testing.T) (*gorm.DB, *writeQueue) {
	t.Helper()
	db, err := Open(t.Context(), Options{Path: dbtest.Location(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Close(db) })
	if err := db.Exec("CREATE TABLE wt (n INTEGER NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
	pool, _ := db.DB()
	v, _ := writers.Load(pool)
	return db, v.(*writeQueue)
}

// holdWriter starts a write that holds the writer, so that the writes after it queue, and
// returns once it has begun. release lets it run fn and end, and returns its error.
func holdWriter(t *testing.T, db *gorm.DB, fn func(tx *gorm.DB) error) (release func() error) {
	t.Helper()
	released, started := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Write(t.Context(), db, func(tx *gorm.DB) error {
			close(started)
			<-released
			return fn(tx)
		})
	}()
	<-started
	return func() error {
		close(released)
		return <-done
	}
}

// queued is the number of writes waiting for their transaction.
func (q *writeQueue) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}

// TestWritesCommitInGroups: writes that arrive while a write transaction runs are committed
// together by the next one, each in its own savepoint: each sees those before it in the group,
// nobody outside sees any before the group commits, an error or a panic undoes its own write
// only, and a write whose context ends while it waits does not run.
func TestWritesCommitInGroups(t *testing.T) {
	db, q := openWriteTest(t)
	committed := func() int {
		var n int
		if err := db.Raw("SELECT count(*) FROM wt").Scan(&n).Error; err != nil {
			t.Error(err)
		}
		return n
	}

	// The first write holds the writer until the others wait behind it.
	release := holdWriter(t, db, func(tx *gorm.DB) error { return tx.Exec("INSERT INTO wt (n) VALUES (0)").Error })

	const n = 6
	type outcome struct {
		i        int
		err      error
		panicked any
		inside   int // rows this write saw in its transaction
		outside  int // rows committed, seen from another connection meanwhile
	}
	outcomes := make(chan outcome, n+1)
	var wg sync.WaitGroup
	canceled, cancel := context.WithCancel(t.Context())
	ran := make(chan int, n+1)
	for i := 1; i <= n; i++ {
		ctx := t.Context()
		if i == 5 {
			ctx = canceled
		}
		wg.Go(func() {
			o := outcome{i: i}
			defer func() {
				o.panicked = recover()
				outcomes <- o
			}()
			o.err = Write(ctx, db, func(tx *gorm.DB) error {
				ran <- i
				if err := tx.Exec("INSERT INTO wt (n) VALUES (?)", i).Error; err != nil {
					return err
				}
				tx.Raw("SELECT count(*) FROM wt").Scan(&o.inside)
				o.outside = committed()
				switch i {
				case 3:
					return errors.New("three fails")
				case 4:
					panic("four panics")
				}
				return nil
			})
		})
		for q.queued() < i {
			time.Sleep(time.Millisecond)
		}
	}
	cancel() // the fifth, still waiting, gives up
	for q.queued() != n-1 {
		time.Sleep(time.Millisecond)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(outcomes)
	close(ran)
	got := map[int]outcome{}
	for o := range outcomes {
		got[o.i] = o
	}
	var order []int
	for i := range ran {
		order = append(order, i)
	}
	if !slices.Equal(order, []int{1, 2, 3, 4, 6}) {
		t.Errorf("writes ran in the order %v, want 1 2 3 4 6 (5 gave up while waiting)", order)
	}
	for i, want := range map[int]struct {
		inside  int
		failed  bool
		panics  bool
		outside int
	}{
		1: {inside: 2}, 2: {inside: 3}, 3: {inside: 4, failed: true}, 4: {inside: 4, panics: true}, 6: {inside: 4},
	} {
		o := got[i]
		if o.inside != want.inside || o.outside != 1 || (o.err != nil) != want.failed || (o.panicked != nil) != want.panics {
			t.Errorf("write %d: saw %d rows inside and %d outside, error %v, panic %v; want %d inside, 1 outside (the group commits at once), failed %v, panics %v",
				i, o.inside, o.outside, o.err, o.panicked, want.inside, want.failed, want.panics)
		}
	}
	if o := got[5]; !errors.Is(o.err, context.Canceled) {
		t.Errorf("the write that gave up = %v, want context.Canceled", o.err)
	}
	var rows []int
	db.Raw("SELECT n FROM wt ORDER BY n").Scan(&rows)
	if fmt.Sprint(rows) != "[0 1 2 6]" {
		t.Errorf("committed %v, want [0 1 2 6]: the failed and the panicking writes undone, the others kept", rows)
	}
}

// TestAWriteOfAGroupThatEndsItsOwnStatements: a write that runs statements in a context of its
// own, which ends (before a statement, or during one, which SQLite answers by rolling back the
// whole transaction), must leave the others of its group either written and told so, or not
// written and told so; never written in part, never reported written when they are not.
func TestAWriteOfAGroupThatEndsItsOwnStatements(t *testing.T) {
	db, q := openWriteTest(t)
	slow := "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) SELECT count(*) FROM c"
	for _, tc := range []struct {
		name  string
		wait  time.Duration // how long the write's own context lasts
		query string
		// whether the others must succeed: they must when nothing was interrupted; when
		// SQLite rolled the transaction back they cannot
		othersSucceed bool
	}{
		{"ended before its statement", 0, "SELECT 1", true},
		{"ended during its statement", 30 * time.Millisecond, slow, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db.Exec("DELETE FROM wt")
			release, started := make(chan struct{}), make(chan struct{})
			go Write(t.Context(), db, func(tx *gorm.DB) error { close(started); <-release; return nil })
			<-started
			errs := make([]error, 3)
			var wg sync.WaitGroup
			for i := range 3 {
				wg.Go(func() {
					errs[i] = Write(t.Context(), db, func(tx *gorm.DB) error {
						if err := tx.Exec("INSERT INTO wt (n) VALUES (?)", i).Error; err != nil {
							return err
						}
						if i != 1 {
							return nil
						}
						ctx, cancel := context.WithTimeout(t.Context(), tc.wait)
						defer cancel()
						var n int64
						return tx.WithContext(ctx).Raw(tc.query).Scan(&n).Error
					})
				})
				for q.queued() != i+1 {
					time.Sleep(time.Millisecond)
				}
			}
			close(release)
			wg.Wait()
			var rows []int
			db.Raw("SELECT n FROM wt ORDER BY n").Scan(&rows)
			if errs[1] == nil {
				t.Errorf("the write whose statement ended succeeded")
			}
			if tc.othersSucceed && (errs[0] != nil || errs[2] != nil) {
				t.Errorf("the others of the group failed with it: %v, %v", errs[0], errs[2])
			}
			for i, err := range errs {
				if written := slices.Contains(rows, i); written != (err == nil) {
					t.Errorf("write %d: error %v, but written %v (rows %v)", i, err, written, rows)
				}
			}
		})
	}
}

// TestWritersThatGiveUpDoNotStopTheQueue: when every write that waited gives up just as the
// transaction before them commits, the leader handed the queue finds nobody in it; it must
// leave the queue idle and working, not fail.
func TestWritersThatGiveUpDoNotStopTheQueue(t *testing.T) {
	db, q := openWriteTest(t)
	q.mu.Lock()
	q.leading = true // handed over, and the waiting writes withdrawn since
	q.mu.Unlock()
	q.lead(db)
	if q.leading {
		t.Fatal("the queue still has a leader")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := Write(ctx, db, func(tx *gorm.DB) error { return nil }); err != nil {
		t.Fatalf("a write afterwards = %v", err)
	}
}

// TestBatchesFlushAtTheEnd: the values that the writes of a group add to a batch reach its
// flush once, after the last write and before the commit, in the same transaction; without
// repeats, and without what a failed write or a rolled-back nested write added. Outside a
// write transaction a value is flushed at once; a flush that fails fails the transaction.
func TestBatchesFlushAtTheEnd(t *testing.T) {
	db, q := openWriteTest(t)
	type flushed struct {
		values  []string
		inside  int // rows the flush saw in its transaction
		outside int // rows committed, seen from another connection meanwhile
	}
	var flushes []flushed
	b := NewBatch(func(tx *gorm.DB, vs []string) error {
		f := flushed{values: vs}
		tx.Raw("SELECT count(*) FROM wt").Scan(&f.inside)
		db.Raw("SELECT count(*) FROM wt").Scan(&f.outside)
		flushes = append(flushes, f)
		if slices.Contains(vs, "bad") {
			return errors.New("bad value")
		}
		return nil
	})
	insert := func(tx *gorm.DB, n int, adds ...string) error {
		for _, v := range adds {
			if err := b.Add(tx, v); err != nil {
				return err
			}
		}
		return tx.Exec("INSERT INTO wt (n) VALUES (?)", n).Error
	}

	// A group: the first write holds the writer until the others wait behind it.
	release := holdWriter(t, db, func(tx *gorm.DB) error { return insert(tx, 0, "z") })
	writes := []func(tx *gorm.DB) error{
		func(tx *gorm.DB) error { return insert(tx, 1, "a") },
		func(tx *gorm.DB) error { return insert(tx, 2, "b", "a") },
		func(tx *gorm.DB) error {
			_ = insert(tx, 3, "c")
			return errors.New("three fails")
		},
		func(tx *gorm.DB) error {
			if err := insert(tx, 4, "d"); err != nil {
				return err
			}
			// A nested write that fails: its value goes with its savepoint.
			_ = Write(t.Context(), tx, func(tx *gorm.DB) error {
				_ = insert(tx, 40, "e")
				return errors.New("nested fails")
			})
			return insert(tx, 41, "f")
		},
	}
	errs := make([]error, len(writes))
	var wg sync.WaitGroup
	for i, fn := range writes {
		wg.Go(func() { errs[i] = Write(t.Context(), db, fn) })
		for q.queued() != i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || errs[2] == nil || errs[3] != nil {
		t.Fatalf("writes = %v, want only the third to fail", errs)
	}
	want := []flushed{
		{values: []string{"z"}, inside: 1, outside: 0},
		{values: []string{"a", "b", "d", "f"}, inside: 5, outside: 1},
	}
	if fmt.Sprint(flushes) != fmt.Sprint(want) {
		t.Errorf("flushes = %v, want %v: each transaction's values once, after its writes, before its commit", flushes, want)
	}

	// Outside a write transaction: at once.
	flushes = nil
	if err := b.Add(db, "now"); err != nil {
		t.Fatal(err)
	}
	if len(flushes) != 1 || fmt.Sprint(flushes[0].values) != "[now]" {
		t.Errorf("Add outside a write transaction flushed %v, want [now] at once", flushes)
	}

	// A flush that fails rolls the transaction back.
	err := Write(t.Context(), db, func(tx *gorm.DB) error { return insert(tx, 9, "bad") })
	if err == nil || err.Error() != "bad value" {
		t.Errorf("a write whose flush fails = %v, want the flush's error", err)
	}
	var rows []int
	db.Raw("SELECT n FROM wt ORDER BY n").Scan(&rows)
	if fmt.Sprint(rows) != "[0 1 2 4 41]" {
		t.Errorf("committed %v, want [0 1 2 4 41]: nothing of the write whose flush failed", rows)
	}
}
