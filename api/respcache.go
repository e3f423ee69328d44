package api

import (
	"container/list"
	"hash/maphash"
	"net/url"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// responseCache keeps rendered public responses in memory, so that a repeated anonymous request
// for content that has not changed is answered without the database: the body, its ETag and
// the headers that go with it, keyed by the route and the normalized query.
//
// An entry is served only while two things hold:
//   - the content generation is the one it was rendered at: every committed write raises it, so
//     a write is visible on the very next read (see package changes);
//   - the clock has not reached the next scheduled publication or unpublication that the
//     handler saw (the same moment that bounds Cache-Control), so scheduled visibility is exact.
//
// Memory is bounded by a byte budget, split over shards that each evict their least recently
// used entries; entries of an old generation are dropped when met.
type responseCache struct {
	generation func() uint64
	now        func() time.Time
	policy     cachePolicy
	seed       maphash.Seed
	shards     [cacheShards]cacheShard

	hits, misses, evictions prometheus.Counter
}

const cacheShards = 16

type cacheShard struct {
	mu      sync.Mutex
	budget  int64
	bytes   int64
	entries map[string]*list.Element // of *cachedResponse
	lru     list.List                // front: most recently used
}

// cachedResponse is a public response as cachePolicy.serve rendered it.
type cachedResponse struct {
	key              string
	generation       uint64
	body             []byte
	etag, keys, link string
	until            *time.Time // when the clock alone changes the answer; nil: never
}

// size is what an entry costs, roughly: its bytes and the bookkeeping around them.
func (r *cachedResponse) size() int64 {
	const overhead = 256 // the struct, its list element and map slot
	// The body's capacity, not its length: a body built in a growing buffer holds more memory
	// than it shows.
	return int64(len(r.key)+cap(r.body)+len(r.etag)+len(r.keys)+len(r.link)) + overhead
}

// newResponseCache returns a cache of at most maxBytes, or nil (no caching) when maxBytes is 0.
func newResponseCache(maxBytes int64, generation func() uint64, policy cachePolicy, reg prometheus.Registerer) *responseCache {
	if maxBytes <= 0 || generation == nil {
		return nil
	}
	rc := &responseCache{
		generation: generation,
		now:        policy.now,
		policy:     policy,
		seed:       maphash.MakeSeed(),
		hits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "folio_response_cache_hits_total",
			Help: "Public requests answered from the response cache.",
		}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "folio_response_cache_misses_total",
			Help: "Public requests the response cache could not answer (not kept, stale or expired).",
		}),
		evictions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "folio_response_cache_evictions_total",
			Help: "Entries dropped from the response cache to stay within its memory budget.",
		}),
	}
	for i := range rc.shards {
		rc.shards[i] = cacheShard{budget: maxBytes / cacheShards, entries: map[string]*list.Element{}}
	}
	reg.MustRegister(rc.hits, rc.misses, rc.evictions,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "folio_response_cache_bytes",
			Help: "Bytes held by the response cache.",
		}, func() float64 { b, _ := rc.usage(); return float64(b) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "folio_response_cache_entries",
			Help: "Responses held by the response cache.",
		}, func() float64 { _, n := rc.usage(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "folio_response_cache_max_bytes",
			Help: "The response cache's memory budget (FOLIO_CACHE_SIZE).",
		}, func() float64 { return float64(maxBytes) }),
	)
	return rc
}

// cacheFillKey is where a handler, through cachePolicy.serve, leaves the response it rendered
// for the cache to keep.
const cacheFillKey = "folio.cache.fill"

// keep answers anonymous requests from the cache when it can, and keeps what the handler
// renders when it cannot. Requests with credentials pass through: what they see depends on who
// asks.
func (rc *responseCache) keep(next echo.HandlerFunc) echo.HandlerFunc {
	if rc == nil {
		return next
	}
	return func(c echo.Context) error {
		req := c.Request()
		if req.Header.Get(echo.HeaderAuthorization) != "" {
			return next(c)
		}
		key := req.URL.Path + "?" + normalizeQuery(req.URL.RawQuery)
		// Read before the handler reads the database: a write that commits meanwhile raises the
		// generation past this one, and what the handler rendered is never served.
		gen := rc.generation()
		if r := rc.get(key, gen); r != nil {
			rc.hits.Inc()
			if r.link != "" {
				c.Response().Header().Set("Link", r.link)
			}
			return rc.policy.serve(c, r.body, r.etag, r.keys, r.until)
		}
		rc.misses.Inc()
		fill := &cachedResponse{key: key, generation: gen}
		c.Set(cacheFillKey, fill)
		if err := next(c); err != nil {
			return err
		}
		if fill.body != nil {
			fill.link = c.Response().Header().Get("Link")
			rc.put(fill)
		}
		return nil
	}
}

// normalizeQuery orders the query's parameters, so that requests that differ only in order
// share an entry. A query that does not parse is kept as it is: the handler rejects it.
func normalizeQuery(raw string) string {
	if raw == "" {
		return ""
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return raw
	}
	return v.Encode()
}

func (rc *responseCache) shard(key string) *cacheShard {
	return &rc.shards[maphash.String(rc.seed, key)%cacheShards]
}

func (rc *responseCache) get(key string, gen uint64) *cachedResponse {
	s := rc.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.entries[key]
	if !ok {
		return nil
	}
	r := el.Value.(*cachedResponse)
	if r.generation != gen || (r.until != nil && !rc.now().Before(*r.until)) {
		s.remove(el)
		return nil
	}
	s.lru.MoveToFront(el)
	return r
}

func (rc *responseCache) put(r *cachedResponse) {
	if r.generation != rc.generation() {
		return // already stale: a write committed while it was rendered
	}
	s := rc.shard(r.key)
	size := r.size()
	if size > s.budget/4 {
		return // one response may not push out most of a shard
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[r.key]; ok {
		s.remove(el)
	}
	for s.bytes+size > s.budget {
		s.remove(s.lru.Back())
		rc.evictions.Inc()
	}
	s.entries[r.key] = s.lru.PushFront(r)
	s.bytes += size
}

func (s *cacheShard) remove(el *list.Element) {
	r := s.lru.Remove(el).(*cachedResponse)
	delete(s.entries, r.key)
	s.bytes -= r.size()
}

// usage returns the bytes and entries held.
func (rc *responseCache) usage() (bytes int64, entries int) {
	for i := range rc.shards {
		s := &rc.shards[i]
		s.mu.Lock()
		bytes += s.bytes
		entries += len(s.entries)
		s.mu.Unlock()
	}
	return bytes, entries
}
