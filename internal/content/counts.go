package content

import (
	"sync"
	"time"
)

// countMemo keeps counts that queries made, for a while: numbers that steer a query (which tag
// to read a list from, how rare a searched word is) and that are worth a few milliseconds each
// to know exactly only once in a while.
type countMemo struct {
	ttl time.Duration
	// keepFrom: smaller counts are made again every time, since they are cheap to make (the
	// count's cost grows with the count) and so may as well be exact.
	keepFrom int64

	mu     sync.Mutex
	counts map[string]keptCount
}

type keptCount struct {
	n  int64
	at time.Time
}

// maxKeptCounts bounds a countMemo's memory: past it, the counts start again.
const maxKeptCounts = 10_000

// get returns the count under key: kept, when it was made less than ttl before now; otherwise
// made with count, and kept.
func (m *countMemo) get(key string, now time.Time, count func() (int64, error)) (int64, error) {
	m.mu.Lock()
	c, ok := m.counts[key]
	m.mu.Unlock()
	if ok && now.Sub(c.at) < m.ttl && !now.Before(c.at) {
		return c.n, nil
	}
	n, err := count()
	if err != nil || n < m.keepFrom {
		return n, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil || len(m.counts) >= maxKeptCounts {
		m.counts = map[string]keptCount{} // forgetting them all is cheap
	}
	m.counts[key] = keptCount{n: n, at: now}
	return n, nil
}
