package database

import (
	"context"
	"errors"
	"fmt"
	"sync"

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
// Inside a transaction (db is a transaction's handle), fn joins it, in a savepoint.
func Write(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	if InTransaction(db) {
		return db.Transaction(fn) // in the transaction's context (see above)
	}
	pool, err := db.DB()
	if err != nil {
		return err
	}
	v, ok := writers.Load(pool)
	if !ok {
		return errors.New("write: a handle that database.Open did not make")
	}
	return v.(*writeQueue).write(ctx, db, fn)
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
	lockKey int64 // PostgreSQL: the schema's lock; 0 on SQLite

	mu      sync.Mutex
	waiting []*writeRequest
	leading bool // a goroutine is running transactions of waiting writes
}

type writeRequest struct {
	ctx      context.Context
	fn       func(tx *gorm.DB) error
	err      error
	panicked any
	started  bool          // taken into a transaction (under writeQueue.mu)
	done     chan struct{} // closed when the transaction has ended
}

func (q *writeQueue) write(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeRequest{ctx: ctx, fn: fn, done: make(chan struct{})}
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
	defer func() {
		if p := recover(); p != nil { // outside any write's fn: the transaction's own machinery
			for _, r := range group {
				if r.err == nil && r.panicked == nil {
					r.err = fmt.Errorf("write transaction: panic: %v", p)
				}
			}
		}
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
		if len(group) == 1 {
			// Alone: no savepoint, and its own context (an import stops when it is
			// interrupted); its error rolls back the transaction.
			r := group[0]
			r.panicked, r.err = run(tx.WithContext(r.ctx), r.fn)
			if r.panicked != nil {
				return errPanicked
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
			r.panicked, r.err = run(tx.WithContext(context.WithoutCancel(r.ctx)), r.fn)
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
		return nil
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
