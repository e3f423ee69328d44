package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// target is a running Folio server, as the scenarios see it.
type target struct {
	base   string // http://127.0.0.1:PORT
	client *http.Client
	corpus *corpus
	seed   uint64
}

// itemsBySlug are GETs of published items by type and slug, drawn at random from the whole
// corpus: most are not in the server's response cache when asked for.
func (t *target) itemsBySlug() []vegeta.Target {
	r := rand.New(rand.NewPCG(t.seed, 0xa))
	n := min(t.corpus.n, 50_000)
	targets := make([]vegeta.Target, 0, n)
	for len(targets) < n {
		i := r.IntN(t.corpus.n)
		it := t.corpus.head(t.corpus.rng(i), i)
		if it.Status != "published" {
			continue
		}
		targets = append(targets, vegeta.Target{Method: http.MethodGet, URL: t.base + "/api/v1/types/" + it.Type + "/items/" + it.Slug})
	}
	return targets
}

// hotListPage is the one page every visitor of a news site's front page asks for.
func (t *target) hotListPage() []vegeta.Target {
	return []vegeta.Target{{Method: http.MethodGet, URL: t.base + "/api/v1/items?type=news&limit=20&sort=-published_at"}}
}

// listFilter draws the filters of a list page as a frontend builds them: a type, a tag, both,
// two tags that must all match, or two of which any may.
func listFilter(r *rand.Rand) url.Values {
	v := url.Values{}
	typ := itemTypes[r.IntN(len(itemTypes))].key
	tag := func() string { return corpusTags[r.IntN(len(corpusTags))].Slug }
	switch p := r.IntN(20); {
	case p < 5:
		v.Set("type", typ)
	case p < 10:
		v.Set("tag", tag())
	case p < 15:
		v.Set("type", typ)
		v.Set("tag", tag())
	case p < 18:
		v.Set("tag", tag()+","+tag())
	default:
		v.Set("tag_any", tag()+","+tag())
	}
	return v
}

// maxDepth is how many pages deep the varied list pages go.
const maxDepth = 10

// listPages walks list pages of many filters, up to maxDepth pages each, to collect real
// cursors, and returns the pages in random order. The response cache would answer a page asked
// for twice, so the walk collects about as many pages as the measurement will ask for: it goes
// on for 1.25 times the measurement's length, on as many connections, and its requests are
// cheaper (ids only). Those answers are cached under other keys than the measured pages'.
func (t *target) listPages(ctx context.Context, conns int, measured time.Duration) ([]vegeta.Target, error) {
	const maxPages = 200_000
	var (
		mu      sync.Mutex
		r       = rand.New(rand.NewPCG(t.seed, 0xc))
		seen    = map[string]bool{}
		pages   []vegeta.Target
		walkErr error
		until   = time.Now().Add(measured * 5 / 4)
	)
	// next returns a filter not walked yet, or nil when enough pages are collected.
	next := func() url.Values {
		mu.Lock()
		defer mu.Unlock()
		if walkErr != nil || len(pages) >= maxPages || time.Now().After(until) {
			return nil
		}
		for range 1000 {
			f := listFilter(r)
			if key := f.Encode(); !seen[key] {
				seen[key] = true
				return f
			}
		}
		return nil // every filter walked
	}
	walk := func(f url.Values) error {
		var cursor string
		for depth := 0; depth < maxDepth; depth++ {
			page := url.Values{}
			for k, v := range f {
				page[k] = v
			}
			page.Set("limit", "20")
			if cursor != "" {
				page.Set("cursor", cursor)
			}
			measuredURL := t.base + "/api/v1/items?" + page.Encode()
			page.Set("select", "id")
			var list struct {
				Data []json.RawMessage `json:"data"`
				Meta struct {
					NextCursor *string `json:"next_cursor"`
				} `json:"meta"`
			}
			if err := t.getJSON(ctx, "/api/v1/items?"+page.Encode(), &list); err != nil {
				return err
			}
			if len(list.Data) == 0 {
				return nil
			}
			mu.Lock()
			pages = append(pages, vegeta.Target{Method: http.MethodGet, URL: measuredURL})
			mu.Unlock()
			if list.Meta.NextCursor == nil {
				return nil
			}
			cursor = *list.Meta.NextCursor
		}
		return nil
	}
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			for f := next(); f != nil; f = next() {
				if err := walk(f); err != nil {
					mu.Lock()
					if walkErr == nil {
						walkErr = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if walkErr != nil {
		return nil, walkErr
	}
	if len(pages) == 0 {
		return nil, errors.New("no list page has items")
	}
	r.Shuffle(len(pages), func(i, j int) { pages[i], pages[j] = pages[j], pages[i] })
	return pages, nil
}

// searches draws search queries from the corpus's vocabulary: one word, sometimes two, each of
// a rank drawn uniformly on a log scale, so that words found in nearly every item are asked for
// as often as those found in a few in a thousand. Every query is sent once: a repeat is sent in
// other letter case, which the search ignores but the response cache does not, so that what is
// measured is the search and not the cache.
type searches struct {
	base  string
	words []string
	mu    sync.Mutex
	r     *rand.Rand
	sent  map[string]int
}

func newSearches(base string, c *corpus, seed uint64) *searches {
	return &searches{base: base, words: c.words, r: rand.New(rand.NewPCG(seed, 0xd)), sent: map[string]int{}}
}

func (s *searches) word() string {
	rank := int(math.Exp(s.r.Float64()*math.Log(float64(len(s.words))))) - 1
	return s.words[min(rank, len(s.words)-1)]
}

func (s *searches) query() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		q := s.word()
		if s.r.IntN(10) < 3 {
			q += " " + s.word()
		}
		k := s.sent[q]
		s.sent[q] = k + 1
		if v, ok := recase(q, k); ok {
			return v
		}
	}
}

// recase is q with its letters' case given by the bits of k (0 is q as it is); false when q has
// too few letters for k.
func recase(q string, k int) (string, bool) {
	b := []byte(q)
	bit := 0
	for i, c := range b {
		if c < 'a' || c > 'z' {
			continue
		}
		if k>>bit&1 == 1 {
			b[i] = c - 'a' + 'A'
		}
		bit++
	}
	return string(b), k>>bit == 0
}

func (s *searches) targeter() vegeta.Targeter {
	return func(tgt *vegeta.Target) error {
		*tgt = vegeta.Target{Method: http.MethodGet, URL: s.base + "/api/v1/items?q=" + url.QueryEscape(s.query())}
		return nil
	}
}

// creates are POSTs of new items like the corpus's, each with a title of its own.
func (t *target) creates(token string) vegeta.Targeter {
	var next atomic.Int64
	header := http.Header{
		"Authorization": {"Bearer " + token},
		"Content-Type":  {"application/json"},
	}
	return func(tgt *vegeta.Target) error {
		i := t.corpus.n + int(next.Add(1))
		it := t.corpus.item(i)
		it.Title += " " + strconv.Itoa(i)
		it.Slug, it.Status, it.PublishedAt = "", "", nil
		body, err := json.Marshal(it)
		if err != nil {
			return err
		}
		*tgt = vegeta.Target{Method: http.MethodPost, URL: t.base + "/api/v1/items", Body: body, Header: header}
		return nil
	}
}

// login returns an access token.
func (t *target) login(ctx context.Context, email, password string) (string, error) {
	body, err := json.Marshal(map[string]string{"email": email, "password": password})
	if err != nil {
		return "", err
	}
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	if err := t.do(ctx, http.MethodPost, "/api/v1/auth/login", "", body, &tokens); err != nil {
		return "", fmt.Errorf("log in: %w", err)
	}
	return tokens.AccessToken, nil
}

// counters reads the server's counters without labels from /metrics, by name.
func (t *target) counters(ctx context.Context, metricsToken string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	res, err := t.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", res.Status)
	}
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(b), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok || !strings.HasSuffix(name, "_total") { // comments, labelled series, gauges
			continue
		}
		if out[name], err = strconv.ParseFloat(value, 64); err != nil {
			return nil, fmt.Errorf("GET /metrics: %s: %w", name, err)
		}
	}
	return out, nil
}

func (t *target) getJSON(ctx context.Context, path string, v any) error {
	return t.do(ctx, http.MethodGet, path, "", nil, v)
}

// do sends a request and decodes its JSON answer into v, or returns the answer as an error
// when it is not a 2xx.
func (t *target) do(ctx context.Context, method, path, token string, body []byte, v any) error {
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("%s %s: %s: %s", method, path, res.Status, b)
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(b, v)
}
