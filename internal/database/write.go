package database

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// Write runs fn in a write transaction: fn's writes are committed when it returns nil, and none
// of them when it returns an error or panics. Write transactions are serial, as SQLite makes
// them: on SQLite through its one writer connection and BEGIN IMMEDIATE; on PostgreSQL the
// transaction first takes an advisory lock that every process on the schema takes, so that its
// reads, checks and writes see no other write in between (PostgreSQL's default READ COMMITTED
// would let two transactions both pass a check that only one should). Waiting for another
// process longer than the busy timeout fails with an error that IsBusy recognizes.
//
// Group commit: the writes of a process that arrive while one of its transactions runs wait in
// Go, and the next transaction runs all of them, one after the other, each in a savepoint of
// its own, and commits once. What one transaction costs whatever it writes (BEGIN, the commit's
// write-ahead log frames and fsync, the advisory lock) is then paid once for many writes;
// measured with make bench, scenario (e). Each fn still sees the writes of those before it and
// none after, as if they had run alone in that order, and an error or a panic in one rolls back
// its savepoint only. A failed commit fails them all.
//
// A write that has begun runs to its end even if ctx ends meanwhile: its statements run in a
// context that does not end, since ending one statement of a shared transaction would end the
// others' (SQLite rolls back a transaction whose statement is interrupted). Should one be
// interrupted anyway (a fn that runs statements in a context of its own), the savepoint's end
// fails and the whole group fails with it, rather than running on outside a transaction. A
// write whose ctx ends before its turn does not run.
//
// Work that the writes of a transaction share can wait for its end, done once for all of them:
// see Batch.
//
// Inside a transaction (db is a transaction's handle), fn joins it, in a savepoint.
func Write(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	if InTransaction(db) {
		// In the transaction's context (see above). What fn adds to batches goes with its
		// savepoint when that is rolled back.
		w := deferredOf(db)
		n := w.len()
		ok := false
		defer func() {
			if !ok {
				w.truncate(n)
			}
		}()
		err := db.Transaction(fn)
		ok = err == nil
		return err
	}
	q, err := queueOf(db)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return q.write(ctx, db, fn)
}

// queueOf returns the write queue of db's writer pool.
func queueOf(db *gorm.DB) (*writeQueue, error) {
	pool, err := db.DB()
	if err != nil {
		return nil, err
	}
	v, ok := writers.Load(pool)
	if !ok {
		return nil, errors.New("a handle that database.Open did not make")
	}
	return v.(*writeQueue), nil
}

// InTransaction reports whether db is a transaction's handle.
func InTransaction(db *gorm.DB) bool {
	_, ok := db.Statement.ConnPool.(gorm.TxCommitter)
	return ok
}

// writers holds the write queue of each writer pool that Open made, by its *sql.DB.
var writers sync.Map

// maxGroup bounds the writes that one transaction commits, so that none waits behind an
// unbounded group. (PostgreSQL keeps 64 subtransactions a session in memory; each write's
// savepoint is released before the next one's.)
const maxGroup = 32

// writeQueue is a pool's writes waiting for their transaction, and on PostgreSQL the advisory
// lock that the transactions take against other processes.
type writeQueue struct {
	lockKey     int64         // PostgreSQL: the schema's lock; 0 on SQLite
	checkpoints *checkpointer // SQLite: told of each commit
	exclusive   bool          // SQLite: the one connection of an Exclusive handle

	mu      sync.Mutex
	waiting []*writeRequest
	leading bool // a goroutine is running transactions of waiting writes

	stats writeStats
}

// writeStats count what a write queue has done, for its metrics (RegisterMetrics).
type writeStats struct {
	transactions atomic.Uint64
	writes       atomic.Uint64 // taken into a transaction
	waited       atomic.Int64  // nanoseconds from each write's arrival until its transaction holds the write lock
	busy         atomic.Int64  // nanoseconds spent holding the write lock
}

type writeRequest struct {
	ctx      context.Context
	fn       func(tx *gorm.DB) error
	err      error
	panicked any
	started  bool          // taken into a transaction (under writeQueue.mu)
	done     chan struct{} // closed when the transaction has ended
	arrived  time.Time
}

func (q *writeQueue) write(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeRequest{ctx: ctx, fn: fn, done: make(chan struct{}), arrived: time.Now()}
	q.mu.Lock()
	q.waiting = append(q.waiting, r)
	lead := !q.leading
	q.leading = true
	q.mu.Unlock()
	if lead {
		// This goroutine runs the transaction it is in; if more writes wait by then, another
		// goroutine takes over, so that this request is answered without waiting for them.
		q.lead(db)
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		q.mu.Lock()
		if !r.started {
			q.waiting = deleteRequest(q.waiting, r)
			q.mu.Unlock()
			return ctx.Err()
		}
		q.mu.Unlock()
		<-r.done // begun: it runs to its end (see Write)
	}
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// lead runs one transaction of the waiting writes, and hands the rest to a new leader.
func (q *writeQueue) lead(db *gorm.DB) {
	q.mu.Lock()
	group := q.waiting[:min(len(q.waiting), maxGroup)]
	q.waiting = append([]*writeRequest(nil), q.waiting[len(group):]...)
	for _, r := range group {
		r.started = true
	}
	q.mu.Unlock()

	if len(group) > 0 { // empty when the waiting writes all gave up before this leader began
		q.commit(db, group)
		if q.checkpoints != nil {
			q.checkpoints.written()
		}
	}

	q.mu.Lock()
	if len(q.waiting) == 0 {
		q.leading = false
	} else {
		go q.lead(db)
	}
	q.mu.Unlock()
}

// commit runs a group of writes in one transaction, and ends every one of them: whatever
// happens here, each gets its result and is woken.
func (q *writeQueue) commit(db *gorm.DB, group []*writeRequest) {
	var locked time.Time // when the transaction held the write lock: after BEGIN, and on PostgreSQL the advisory lock
	defer func() {
		if p := recover(); p != nil { // outside any write's fn: the transaction's own machinery
			for _, r := range group {
				if r.err == nil && r.panicked == nil {
					r.err = fmt.Errorf("write transaction: panic: %v", p)
				}
			}
		}
		// Counted before the writes are answered, so that an answered write is on /metrics.
		end := time.Now()
		if locked.IsZero() {
			locked = end // it never held the lock (BEGIN failed, another process's lock outwaited): all waiting
		}
		var waited time.Duration
		for _, r := range group {
			waited += locked.Sub(r.arrived)
		}
		q.stats.transactions.Add(1)
		q.stats.writes.Add(uint64(len(group)))
		q.stats.waited.Add(int64(waited))
		q.stats.busy.Add(int64(end.Sub(locked)))
		for _, r := range group {
			close(r.done)
		}
	}()
	// The transaction is the group's, not one request's: it outlives any one's context, while
	// keeping the first one's values (the request id of slow-query logs).
	ctx := context.WithoutCancel(group[0].ctx)
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if q.lockKey != 0 {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", q.lockKey).Error; err != nil {
				return err
			}
		}
		locked = time.Now()
		var done deferred // the batches of the writes that succeeded
		if len(group) == 1 {
			// Alone: no savepoint, and its own context (an import stops when it is
			// interrupted); its error rolls back the transaction.
			r := group[0]
			w := &deferred{}
			r.panicked, r.err = run(tx.WithContext(w.in(r.ctx)), r.fn)
			if r.panicked != nil {
				return errPanicked
			}
			if r.err == nil {
				r.err = w.flush(tx.WithContext(r.ctx))
			}
			return r.err
		}
		for _, r := range group {
			if err := r.ctx.Err(); err != nil {
				r.err = err // gone before its turn: it has not begun, and does not
				continue
			}
			if err := tx.Exec("SAVEPOINT folio_write").Error; err != nil {
				return err
			}
			w := &deferred{}
			r.panicked, r.err = run(tx.WithContext(w.in(context.WithoutCancel(r.ctx))), r.fn)
			if r.err == nil && r.panicked == nil {
				done.adds = append(done.adds, w.adds...)
			}
			ends := []string{"RELEASE folio_write"}
			if r.err != nil || r.panicked != nil {
				ends = []string{"ROLLBACK TO folio_write", "RELEASE folio_write"}
			}
			for _, end := range ends {
				if err := tx.Exec(end).Error; err != nil {
					// The transaction is gone (SQLite rolls back a transaction whose
					// statement a context interrupted): nothing more may run in it, since it
					// would run outside any transaction, and nothing of the group is written.
					return fmt.Errorf("write transaction: %w", err)
				}
			}
		}
		// After every savepoint: SQLite's FTS5 writes its pending entries out at each one.
		return done.flush(tx)
	})
	if err != nil {
		// The transaction failed (to begin, to lock, to commit, or it was lost): nothing of
		// the group was written.
		for _, r := range group {
			if r.err == nil && r.panicked == nil {
				r.err = err
			}
		}
	}
}

// errPanicked rolls back the transaction of a write that panicked; the panic is raised again
// in the writer's own goroutine.
var errPanicked = errors.New("write panicked")

// run calls fn, turning a panic into a value.
func run(tx *gorm.DB, fn func(tx *gorm.DB) error) (panicked any, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return nil, fn(tx)
}

func deleteRequest(rs []*writeRequest, r *writeRequest) []*writeRequest {
	for i, x := range rs {
		if x == r {
			return append(rs[:i], rs[i+1:]...)
		}
	}
	return rs
}

// A Batch gathers values that the writes of a transaction add, and hands them to its flush
// function once, at the end of the transaction: after the last write of its group (see Write),
// just before the commit. Work that many writes need then runs once for all of them, in the
// same transaction. It was made for the search index: SQLite's FTS5 writes the entries it
// holds in memory out to the index at every savepoint, one for each write of a group, and
// merges what it wrote; measured with make bench, scenario (e).
//
// Until then the work waits: the writes of the transaction do not see it (a write that follows
// another in a group does not find the other's items in the search index), which is why a
// batch suits work that nothing in a write reads back. A value added more than once in a
// transaction is flushed once. What a write adds and then rolls back (its error, or a nested
// Write's) is not flushed. An error of flush rolls back the transaction, every write of the
// group with it. Flushes run in the order of their batches' first values. Outside a
// transaction of Write, Add flushes its value at once.
type Batch[T comparable] struct {
	flush func(tx *gorm.DB, vs []T) error
}

// NewBatch returns a Batch that flushes its values with flush.
func NewBatch[T comparable](flush func(tx *gorm.DB, vs []T) error) *Batch[T] {
	return &Batch[T]{flush: flush}
}

// Add adds v to the batch of tx's transaction.
func (b *Batch[T]) Add(tx *gorm.DB, v T) error {
	w := deferredOf(tx)
	if w == nil {
		return b.flush(tx, []T{v})
	}
	w.adds = append(w.adds, deferredAdd{b: b, v: v})
	return nil
}

func (b *Batch[T]) flushAny(tx *gorm.DB, vs []any) error {
	ts := make([]T, len(vs))
	for i, v := range vs {
		ts[i] = v.(T)
	}
	return b.flush(tx, ts)
}

// batch is a Batch of any type.
type batch interface {
	flushAny(tx *gorm.DB, vs []any) error
}

// deferred is what the writes of a transaction added to batches, in order.
type deferred struct{ adds []deferredAdd }

type deferredAdd struct {
	b batch
	v any
}

type deferredKey struct{}

// in returns ctx carrying w, for the statements of a write.
func (w *deferred) in(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferredKey{}, w)
}

// deferredOf returns the batches of tx's write, nil outside a transaction of Write.
func deferredOf(tx *gorm.DB) *deferred {
	if tx.Statement == nil || tx.Statement.Context == nil {
		return nil
	}
	w, _ := tx.Statement.Context.Value(deferredKey{}).(*deferred)
	return w
}

func (w *deferred) len() int {
	if w == nil {
		return 0
	}
	return len(w.adds)
}

func (w *deferred) truncate(n int) {
	if w != nil {
		w.adds = w.adds[:n]
	}
}

// flush hands each batch its values, without repeats.
func (w *deferred) flush(tx *gorm.DB) error {
	if len(w.adds) == 0 {
		return nil // most writes: nothing deferred
	}
	var order []batch
	values := map[batch][]any{}
	seen := map[deferredAdd]bool{}
	for _, a := range w.adds {
		if seen[a] {
			continue
		}
		seen[a] = true
		if _, ok := values[a.b]; !ok {
			order = append(order, a.b)
		}
		values[a.b] = append(values[a.b], a.v)
	}
	for _, b := range order {
		if err := b.flushAny(tx, values[b]); err != nil {
			return err
		}
	}
	return nil
}
