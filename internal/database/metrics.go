package database

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"
)

// RegisterMetrics registers on reg the metrics of db's writes, which run one transaction at a
// time (see Write): how many, how long they waited for their turn, and how long transactions
// held the write lock. When the lock is held nearly all the time, writes queue, and their rate
// is what the writer can do; a larger mean group (writes over transactions) is the writer
// making up for it by committing more at once. On PostgreSQL the servers of one database take
// turns on one lock: each counts its own, and the wait for another's turn is wait, not busy.
func RegisterMetrics(reg prometheus.Registerer, db *gorm.DB) error {
	q, err := queueOf(db)
	if err != nil {
		return fmt.Errorf("database metrics: %w", err)
	}
	s := &q.stats
	seconds := func(n int64) float64 { return time.Duration(n).Seconds() }
	return errors.Join(
		reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "folio_db_write_transactions_total",
			Help: "Write transactions run. Each commits the writes that were waiting when it began (group commit).",
		}, func() float64 { return float64(s.transactions.Load()) })),
		reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "folio_db_writes_total",
			Help: "Writes taken into write transactions (a create, an update, a publish...), with those whose request ended before their turn. Over folio_db_write_transactions_total, the mean group.",
		}, func() float64 { return float64(s.writes.Load()) })),
		reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "folio_db_write_wait_seconds_total",
			Help: "Time writes waited until their transaction held the write lock, summed. Over folio_db_writes_total, the mean wait.",
		}, func() float64 { return seconds(s.waited.Load()) })),
		reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "folio_db_write_busy_seconds_total",
			Help: "Time write transactions held the write lock. Its rate is the share of time the writer is busy (on PostgreSQL, summed over the servers, the shared lock's): near 1, writes queue for it.",
		}, func() float64 { return seconds(s.busy.Load()) })),
	)
}
