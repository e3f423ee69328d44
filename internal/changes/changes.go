// Package changes keeps the content generation: a number that rises with every committed write
// to what public responses show, so that whoever keeps rendered responses knows when they are
// stale.
//
// The number lives twice. In the database (the content_state row), raised inside each writing
// transaction, so that every process on the database can learn of the write; and in this
// process, raised the moment a local write commits, so that the very next read here sees it.
// A process learns of the writes of others (an import, another server on the same database)
// through Watch: on PostgreSQL at once, notified by the database (migration 00006 makes every
// raise NOTIFY folio_content), and on both databases by polling, which also bounds the delay
// when a notification is lost with its connection.
package changes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/database"
)

// Generation is the content generation as this process knows it.
type Generation struct {
	db *gorm.DB
	// state is what caches compare. Its low 48 bits are the highest stored generation this
	// process has seen, raised by its own commits and by Watch, whichever learns of a value
	// first; both only ever raise it to a value they read, so a write is counted once however
	// it is learned of. (A count of its own, raised by both, was raised twice when Watch read a
	// commit's value before the committer reported it: TestGeneration on PostgreSQL, about 1
	// run in 100.) Its high bits count the times Watch found the stored generation lower than
	// that, which happens only when the database is replaced under a running process (a backup
	// restored, migrate-data into it): the value found is taken, and the count keeps state from
	// ever returning to a value that responses were kept under.
	state atomic.Uint64
}

const seenBits = 48

// seen is the stored generation that a state holds.
func seen(state uint64) int64 { return int64(state & (1<<seenBits - 1)) }

// New returns the generation of the content in db, as stored there now.
func New(ctx context.Context, db *gorm.DB) (*Generation, error) {
	g := &Generation{db: db}
	n, err := g.load(ctx)
	if err != nil {
		return nil, err
	}
	g.state.Store(uint64(n))
	return g, nil
}

// Current returns the generation: it changes whenever public content may have changed.
func (g *Generation) Current() uint64 { return g.state.Load() }

// Record raises the stored generation inside tx, a transaction that changes content, and
// returns its new value: once tx has committed, pass it to Committed.
func Record(tx *gorm.DB) (int64, error) {
	var n int64
	// RETURNING (SQLite 3.35, PostgreSQL): the value this transaction wrote, not a later one.
	if err := tx.Raw("UPDATE content_state SET generation = generation + 1 RETURNING generation").Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("record content change: %w", err)
	}
	if n == 0 {
		return 0, errors.New("record content change: content_state has no row")
	}
	return n, nil
}

// Committed raises the generation after a transaction that recorded stored generation n (see
// Record) has committed, unless Watch has seen n or a later value already: then it changed
// after the commit, as it must. A nil Generation ignores it: a store without readers to tell.
func (g *Generation) Committed(n int64) {
	if g == nil {
		return
	}
	g.raise(n)
}

// raise makes the stored generation seen n, unless it is n or more already.
func (g *Generation) raise(n int64) {
	for {
		cur := g.state.Load()
		if n <= seen(cur) || g.state.CompareAndSwap(cur, cur&^(1<<seenBits-1)|uint64(n)) {
			return
		}
	}
}

// Watch reads the stored generation until ctx ends, and raises this process's when another
// process has written (or this one, before Committed): on PostgreSQL whenever the database
// notifies a raise (within milliseconds, TestReplicas measures it), and on both databases every
// interval, so a write elsewhere is seen here within one interval at the latest. Errors are
// logged and the watch goes on; a database that does not answer serves no fresh reads either.
func (g *Generation) Watch(ctx context.Context, every time.Duration, logger *slog.Logger) {
	wake := make(chan struct{}, 1)
	if database.IsPostgres(g.db) {
		// The channel is the database's, shared by every schema on it: a notification says
		// only to look, and the look reads this schema's own row.
		go database.Listen(ctx, g.db, "folio_content", func() {
			select {
			case wake <- struct{}{}:
			default: // a look is already due
			}
		}, logger)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
		before := g.state.Load()
		n, err := g.load(ctx)
		if err != nil {
			if ctx.Err() == nil {
				logger.Warn("watch content generation", "error", err)
			}
			continue
		}
		if n < seen(before) {
			// Every value seen was committed before it was seen, and so before this read
			// began: a lower one means that the database went back.
			g.state.CompareAndSwap(before, (before>>seenBits+1)<<seenBits|uint64(n))
			continue
		}
		g.raise(n)
	}
}

func (g *Generation) load(ctx context.Context) (int64, error) {
	var n int64
	if err := g.db.WithContext(ctx).Raw("SELECT generation FROM content_state WHERE id = 1").Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("read content generation: %w", err)
	}
	return n, nil
}
