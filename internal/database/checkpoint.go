package database

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// SQLite copies the write-ahead log back into the database file at checkpoints. By default the
// connection that commits runs one whenever the log holds 1,000 pages: here the one writer, so
// the writes queued behind it waited while the checkpoint copied pages and synced the file
// (perf, make bench's creates: 4% of the server's CPU, in the writer, plus that sync). A
// checkpointer runs them on a connection of its own instead, after writes, at most once every
// checkpointEvery; each connection's own automatic checkpoint stays as a backstop, at
// backstopPages, for a log that the checkpointer does not keep up with (and for writes made
// outside Write, such as migrations). Creates over HTTP, make bench -only e, 100,000 items,
// four alternating pairs: 990-1,043 items/s before, 1,091-1,118 after.
//
// Its checkpoints are PASSIVE: they copy what no reader still needs and never wait for a lock,
// so they hold up neither the writer nor the readers. The log restarts from its beginning at
// the first write that begins when all of it has been copied and no reader still reads an
// older state from it. Under a steady stream of writes that is typically after the backstop's
// checkpoint, when the log holds backstopPages (41 MB; it was 4 MB at 1,000): each write
// begins while the checkpointer is still behind the last commit. Long reads during writes can
// keep it from starting over for longer, as they could before.
const (
	checkpointEvery = 100 * time.Millisecond
	backstopPages   = 10_000
)

// checkpointer runs PASSIVE checkpoints on its own connection when kicked.
type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	kick chan struct{} // buffered: a kick while a checkpoint runs asks for one more
	stop context.CancelFunc
	done chan struct{}
}

// startCheckpointer opens the checkpointer's connection to path and starts it.
func startCheckpointer(ctx context.Context, path string, busy time.Duration, log *slog.Logger) (*checkpointer, error) {
	db, err := openPool(ctx, path, false, busy)
	if err != nil {
		return nil, err
	}
	keepOne(db)
	// Its own context: it outlives ctx, which only bounds the opening.
	running, stop := context.WithCancel(context.WithoutCancel(ctx))
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &checkpointer{db: db, log: log, kick: make(chan struct{}, 1), stop: stop, done: make(chan struct{})}
	go c.run(running)
	return c, nil
}

// written tells the checkpointer that a transaction committed. It never blocks.
func (c *checkpointer) written() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	var logged time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		// A failed checkpoint (a full disk, an I/O error on the file) loses nothing: the log
		// keeps the pages, and grows. Nobody else would say so, since SQLite's own automatic
		// checkpoints fail silently: logged, once a minute at most. Stopped midway, a
		// checkpoint counts none of its pages as copied; the next copies them again.
		_, err := c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		if err != nil && ctx.Err() == nil && time.Since(logged) > time.Minute {
			c.log.Warn("checkpoint of the write-ahead log failed; it grows until one succeeds", "err", err)
			logged = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// close stops the checkpointer, interrupting a checkpoint that runs, and closes its connection.
func (c *checkpointer) close() error {
	c.stop()
	<-c.done
	return c.db.Close()
}
