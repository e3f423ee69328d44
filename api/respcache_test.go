package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/foliocms/folio/internal/auth"
	"github.com/foliocms/folio/internal/config"
	"github.com/foliocms/folio/internal/content"
)

// metric returns the value of a counter or gauge of the server's registry.
func (s *testServer) metric(t *testing.T, name string) float64 {
	t.Helper()
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		m := f.GetMetric()[0]
		if c := m.GetCounter(); c != nil {
			return c.GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// cacheCounts returns the hits and misses of the response cache so far.
func (s *testServer) cacheCounts(t *testing.T) (hits, misses float64) {
	t.Helper()
	return s.metric(t, "folio_response_cache_hits_total"), s.metric(t, "folio_response_cache_misses_total")
}

// getKept reads target anonymously twice and checks that the second answer came from the
// response cache, the same as the first; it returns it.
func (f *itemsFixture) getKept(t *testing.T, target string) *httptest.ResponseRecorder {
	t.Helper()
	first := f.send(t, "GET", target, "", nil)
	hits, _ := f.cacheCounts(t)
	again := f.send(t, "GET", target, "", nil)
	if h, _ := f.cacheCounts(t); h != hits+1 {
		t.Fatalf("GET %s again: not answered from the cache (%d %s)", target, again.Code, again.Body)
	}
	if again.Code != first.Code || again.Body.String() != first.Body.String() || again.Header().Get("ETag") != first.Header().Get("ETag") {
		t.Fatalf("GET %s from the cache = %d %s, first %d %s", target, again.Code, again.Body, first.Code, first.Body)
	}
	return again
}

func TestResponseCacheAnswersRepeatedPublicReads(t *testing.T) {
	f := newItemsFixture(t)
	it := f.newItem(t, f.editor, map[string]any{"title": "Kept", "tags": []string{"cooperatives"}})
	decode[Item](t, f.act(t, f.editor, it, "publish", nil))

	h0, m0 := f.cacheCounts(t)
	first := f.send(t, "GET", "/api/v1/items?type=news&limit=5", "", nil)
	// The same query in another order is the same request.
	again := f.send(t, "GET", "/api/v1/items?limit=5&type=news", "", nil)
	if h, m := f.cacheCounts(t); h != h0+1 || m != m0+1 {
		t.Fatalf("hits, misses = +%v, +%v; want +1, +1", h-h0, m-m0)
	}
	if again.Body.String() != first.Body.String() {
		t.Errorf("cached body = %s, want %s", again.Body, first.Body)
	}
	for _, name := range []string{"ETag", "Cache-Control", "Surrogate-Key", "Content-Type", "X-Content-Type-Options"} {
		if again.Header().Get(name) != first.Header().Get(name) || first.Header().Get(name) == "" {
			t.Errorf("%s: cached %q, first %q", name, again.Header().Get(name), first.Header().Get(name))
		}
	}
	if again.Header().Get("X-Request-ID") == first.Header().Get("X-Request-ID") {
		t.Error("a cached answer repeats the first request's id")
	}
	// Revalidation is answered from the cache too.
	if rec := f.send(t, "GET", "/api/v1/items?type=news&limit=5", "", nil, "If-None-Match", first.Header().Get("ETag")); rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match on a cached answer = %d, want 304", rec.Code)
	}
	// The Link of a list page is kept with it.
	f.newItem(t, f.editor, map[string]any{"title": "Second"})
	second := f.newItem(t, f.editor, map[string]any{"title": "Third"})
	decode[Item](t, f.act(t, f.editor, second, "publish", nil))
	if link := f.getKept(t, "/api/v1/items?limit=1").Header().Get("Link"); !strings.Contains(link, `rel="next"`) {
		t.Errorf("cached Link = %q", link)
	}

	// Callers with credentials are not served from the cache, nor fill it.
	h1, m1 := f.cacheCounts(t)
	rec := f.send(t, "GET", "/api/v1/items?type=news&limit=5", f.editor, nil)
	if h, m := f.cacheCounts(t); h != h1 || m != m1 || rec.Header().Get("Cache-Control") != "private, no-store" {
		t.Errorf("with credentials: hits, misses = +%v, +%v; Cache-Control %q", h-h1, m-m1, rec.Header().Get("Cache-Control"))
	}
	// Errors are not kept.
	for range 2 {
		decodeProblem(t, f.send(t, "GET", "/api/v1/items/00000000-0000-7000-8000-000000000000", "", nil), http.StatusNotFound)
	}
	if h, _ := f.cacheCounts(t); h != h1 {
		t.Errorf("a 404 was answered from the cache")
	}
}

// TestResponseCacheSeesEveryWrite: after each kind of write, the next public read shows it,
// although the read before the write was answered from the cache.
func TestResponseCacheSeesEveryWrite(t *testing.T) {
	tests := []struct {
		name string
		// prepare makes the content and returns the public URL to read and the write to make.
		prepare func(t *testing.T, f *itemsFixture) (target string, write func() *httptest.ResponseRecorder)
		want    func(rec *httptest.ResponseRecorder) bool
	}{
		{"edit", func(t *testing.T, f *itemsFixture) (string, func() *httptest.ResponseRecorder) {
			it := f.published(t, "Before")
			return "/api/v1/items/" + it.ID, func() *httptest.ResponseRecorder {
				return f.send(t, "PATCH", "/api/v1/items/"+it.ID, f.editor, map[string]any{"title": "After"}, "If-Match", etag(it.Version))
			}
		}, bodyHas(`"title":"After"`)},
		{"publish", func(t *testing.T, f *itemsFixture) (string, func() *httptest.ResponseRecorder) {
			it := f.newItem(t, f.editor, map[string]any{"title": "Fresh news"})
			return "/api/v1/items?type=news", func() *httptest.ResponseRecorder { return f.act(t, f.editor, it, "publish", nil) }
		}, bodyHas("Fresh news")},
		{"unpublish", func(t *testing.T, f *itemsFixture) (string, func() *httptest.ResponseRecorder) {
			it := f.published(t, "Withdrawn")
			return "/api/v1/types/news/items/" + it.Slug, func() *httptest.ResponseRecorder { return f.act(t, f.editor, it, "unpublish", nil) }
		}, status(http.StatusNotFound)},
		{"trash", func(t *testing.T, f *itemsFixture) (string, func() *httptest.ResponseRecorder) {
			it := f.published(t, "Binned")
			return "/api/v1/items", func() *httptest.ResponseRecorder {
				return f.send(t, "DELETE", "/api/v1/items/"+it.ID, f.editor, nil, "If-Match", etag(it.Version))
			}
		}, not(bodyHas("Binned"))},
		{"restore from the trash", func(t *testing.T, f *itemsFixture) (string, func() *httptest.ResponseRecorder) {
			it := f.published(t, "Back again")
			rec := f.send(t, "DELETE", "/api/v1/items/"+it.ID, f.editor, nil, "If-Match", etag(it.Version))
			tag := rec.Header().Get("ETag")
			return "/api/v1/items?q=back", func() *httptest.ResponseRecorder {
				return f.send(t, "POST", "/api/v1/items/"+it.ID+"/restore", f.editor, nil, "If-Match", tag)
			}
		}, bodyHas("Back again")},
		{"revision restore", func(t *testing.T, f *itemsFixture) (string, func() *httptest.ResponseRecorder) {
			it := f.published(t, "Original")
			edited := decode[Item](t, f.send(t, "PATCH", "/api/v1/items/"+it.ID, f.editor, map[string]any{"title": "Edited"}, "If-Match", etag(it.Version)))
			return "/api/v1/items/" + it.ID, func() *httptest.ResponseRecorder {
				return f.send(t, "POST", "/api/v1/items/"+it.ID+"/revisions/1/restore", f.editor, nil, "If-Match", etag(edited.Version))
			}
		}, bodyHas(`"title":"Original"`)},
		{"tag renamed: search by its name", func(t *testing.T, f *itemsFixture) (string, func() *httptest.ResponseRecorder) {
			f.published(t, "Tagged", "cooperatives")
			return "/api/v1/items?q=mutuals", func() *httptest.ResponseRecorder {
				return f.send(t, "PATCH", "/api/v1/tags/cooperatives", f.editor, map[string]any{"name": "Mutuals"})
			}
		}, bodyHas("Tagged")},
		{"tag detached", func(t *testing.T, f *itemsFixture) (string, func() *httptest.ResponseRecorder) {
			it := f.published(t, "Detached", "cooperatives")
			return "/api/v1/items/" + it.ID, func() *httptest.ResponseRecorder {
				return f.send(t, "DELETE", "/api/v1/tags/cooperatives?detach=true", f.editor, nil)
			}
		}, bodyHas(`"tags":[]`)},
		{"type changed", func(t *testing.T, f *itemsFixture) (string, func() *httptest.ResponseRecorder) {
			news := decode[ContentType](t, f.send(t, "GET", "/api/v1/types/news", "", nil))
			fields := append(slices.Clone(news.Fields), FieldDefinition{Name: "embargo_note", Kind: "text"})
			return "/api/v1/types/news", func() *httptest.ResponseRecorder {
				return f.send(t, "PUT", "/api/v1/types/news", f.admin, map[string]any{"name": news.Name, "fields": fields})
			}
		}, bodyHas("embargo_note")},
		{"collection changed", func(t *testing.T, f *itemsFixture) (string, func() *httptest.ResponseRecorder) {
			f.published(t, "Collected", "cooperatives")
			f.send(t, "POST", "/api/v1/collections", f.editor, map[string]any{"key": "c", "title": "C", "filter": map[string]any{"tags": []string{"cooperatives"}}})
			return "/api/v1/collections/c/items", func() *httptest.ResponseRecorder {
				return f.send(t, "PATCH", "/api/v1/collections/c", f.editor, map[string]any{"filter": map[string]any{"types": []string{"event"}}})
			}
		}, not(bodyHas("Collected"))},
		{"author renamed", func(t *testing.T, f *itemsFixture) (string, func() *httptest.ResponseRecorder) {
			it := f.published(t, "Signed")
			name := "Renamed Editor"
			return "/api/v1/items/" + it.ID, func() *httptest.ResponseRecorder {
				if _, err := f.accounts.UpdateUser(t.Context(), it.Author.ID, nil, auth.UserChanges{Name: &name}); err != nil {
					t.Fatal(err)
				}
				return httptest.NewRecorder()
			}
		}, bodyHas(`"name":"Renamed Editor"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newItemsFixture(t)
			target, write := tt.prepare(t, f)
			before := f.getKept(t, target)
			if tt.want(before) {
				t.Fatalf("GET %s before the write already shows it: %d %s", target, before.Code, before.Body)
			}
			if rec := write(); rec.Code >= 300 {
				t.Fatalf("write = %d %s", rec.Code, rec.Body)
			}
			if after := f.send(t, "GET", target, "", nil); !tt.want(after) {
				t.Errorf("GET %s after the write = %d %s", target, after.Code, after.Body)
			}
		})
	}
}

// published creates and publishes a news item with tags.
func (f *itemsFixture) published(t *testing.T, title string, tags ...string) Item {
	t.Helper()
	return f.publishedWith(t, map[string]any{"title": title, "tags": append([]string{}, tags...)})
}

// publishedWith creates an item from body (a news item unless it names a type) and publishes it.
func (f *itemsFixture) publishedWith(t *testing.T, body map[string]any) Item {
	t.Helper()
	it := f.newItem(t, f.editor, body)
	return decode[Item](t, f.act(t, f.editor, it, "publish", nil))
}

func bodyHas(s string) func(*httptest.ResponseRecorder) bool {
	return func(rec *httptest.ResponseRecorder) bool {
		return rec.Code == http.StatusOK && strings.Contains(rec.Body.String(), s)
	}
}

func status(code int) func(*httptest.ResponseRecorder) bool {
	return func(rec *httptest.ResponseRecorder) bool { return rec.Code == code }
}

func not(f func(*httptest.ResponseRecorder) bool) func(*httptest.ResponseRecorder) bool {
	return func(rec *httptest.ResponseRecorder) bool { return rec.Code == http.StatusOK && !f(rec) }
}

// TestResponseCacheKeepsScheduleExact: a scheduled publication and an unpublication take effect
// at their moment, not when a kept answer would otherwise expire.
func TestResponseCacheKeepsScheduleExact(t *testing.T) {
	f := newItemsFixture(t)
	soon := f.newItem(t, f.editor, map[string]any{"title": "Scheduled"})
	at := f.clock.Now().Add(time.Hour)
	if rec := f.act(t, f.editor, soon, "publish", map[string]string{"published_at": at.Format(time.RFC3339Nano)}); rec.Code != http.StatusOK {
		t.Fatalf("schedule = %d %s", rec.Code, rec.Body)
	}
	leaving := f.published(t, "Leaving")
	end := f.clock.Now().Add(2 * time.Hour)
	rec := f.send(t, "PATCH", "/api/v1/items/"+leaving.ID, f.editor, map[string]any{"unpublish_at": end.Format(time.RFC3339Nano)}, "If-Match", etag(leaving.Version))
	if rec.Code != http.StatusOK {
		t.Fatalf("set unpublish_at = %d %s", rec.Code, rec.Body)
	}

	targets := []string{"/api/v1/items", "/api/v1/types/news/items/" + soon.Slug, "/api/v1/items/" + leaving.ID}
	check := func(when string, wants ...func(*httptest.ResponseRecorder) bool) {
		t.Helper()
		for i, target := range targets {
			if rec := f.send(t, "GET", target, "", nil); !wants[i](rec) {
				t.Errorf("%s: GET %s = %d %s", when, target, rec.Code, rec.Body)
			}
		}
	}
	f.getKept(t, "/api/v1/items")
	f.clock.Advance(time.Hour - time.Microsecond)
	check("just before the publication", not(bodyHas("Scheduled")), status(http.StatusNotFound), status(http.StatusOK))
	f.getKept(t, "/api/v1/items")
	f.clock.Advance(time.Microsecond)
	check("at the publication", bodyHas("Scheduled"), status(http.StatusOK), status(http.StatusOK))
	f.getKept(t, "/api/v1/items/"+leaving.ID)
	f.clock.Advance(time.Hour)
	check("at the unpublication", not(bodyHas("Leaving")), status(http.StatusOK), status(http.StatusNotFound))
}

// TestResponseCacheSeesOtherProcesses: a write by another process on the same database is not
// known here at once; the watch of the stored generation brings it within its interval.
func TestResponseCacheSeesOtherProcesses(t *testing.T) {
	f := newItemsFixture(t)
	it := f.published(t, "Here")
	target := "/api/v1/items/" + it.ID
	f.getKept(t, target)

	title := "Changed elsewhere"
	editor := &content.Actor{UserID: it.Author.ID, Role: auth.RoleEditor}
	if _, err := f.elsewhere.UpdateItem(t.Context(), editor, it.ID, []int64{it.Version}, content.ItemPatch{Title: &title}); err != nil {
		t.Fatal(err)
	}
	// Served from memory: this process has not been told. That the database changed and the
	// answer did not is the proof that the cache did not read it.
	if rec := f.send(t, "GET", target, "", nil); strings.Contains(rec.Body.String(), title) {
		t.Fatalf("the write of another process was seen without the watch: the cache read the database")
	}
	go f.changes.Watch(t.Context(), 5*time.Millisecond, slog.New(slog.DiscardHandler))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(f.send(t, "GET", target, "", nil).Body.String(), title) {
		if time.Now().After(deadline) {
			t.Fatal("the write of another process was not seen within 5s of watching")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestResponseCacheStaysWithinItsBudget: however many different requests, the cache holds no
// more than FOLIO_CACHE_SIZE, evicting the least recently used.
func TestResponseCacheStaysWithinItsBudget(t *testing.T) {
	const budget = 1 << 20
	s := newTestServer(t, func(c *config.Config) { c.CacheSize = budget })
	f := &itemsFixture{testServer: s, editor: s.login(t, adminEmail, adminPassword).AccessToken}
	for i := range 20 {
		f.published(t, fmt.Sprintf("Item %d with a title long enough to weigh something", i))
	}
	since := f.clock.Now().Add(-time.Hour)
	favourite := "/api/v1/items?limit=20"
	for i := range 400 {
		// All different, all 1 to 20 items long: several times the budget in all.
		target := fmt.Sprintf("/api/v1/items?limit=%d&published_after=%s", 1+i%20, since.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
		if rec := f.send(t, "GET", target, "", nil); rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", target, rec.Code, rec.Body)
		}
		if used := f.metric(t, "folio_response_cache_bytes"); used > budget {
			t.Fatalf("after %d requests the cache holds %v bytes, over its budget of %d", i+1, used, budget)
		}
		if i%10 == 0 {
			f.send(t, "GET", favourite, "", nil)
		}
	}
	if f.metric(t, "folio_response_cache_evictions_total") == 0 || f.metric(t, "folio_response_cache_entries") == 0 {
		t.Errorf("evictions = %v, entries = %v; want both above 0",
			f.metric(t, "folio_response_cache_evictions_total"), f.metric(t, "folio_response_cache_entries"))
	}
	// The entry read all along was not the one evicted.
	hits, _ := f.cacheCounts(t)
	f.send(t, "GET", favourite, "", nil)
	if h, _ := f.cacheCounts(t); h != hits+1 {
		t.Error("the most recently used entry was evicted")
	}
}

// TestJSONBodiesCarryTheirLength: a rendered JSON body is sent with its Content-Length, not in
// chunks, over real HTTP: from the cache and not, anonymous and not, an item and a list page.
func TestJSONBodiesCarryTheirLength(t *testing.T) {
	f := newItemsFixture(t)
	it := f.publishedWith(t, map[string]any{"title": "Long", "body": strings.Repeat("A paragraph of the body, long enough. ", 24)})
	srv := httptest.NewServer(f)
	defer srv.Close()

	for _, c := range []struct{ path, token string }{
		{"/api/v1/items/" + it.ID, ""},
		{"/api/v1/items/" + it.ID, ""}, // from the cache
		{"/api/v1/items?type=news", ""},
		{"/api/v1/items?type=news", ""},
		{"/api/v1/types/news/items/" + it.Slug, ""},
		{"/api/v1/items/" + it.ID, f.editor},
		{"/api/v1/items?type=news", f.editor},
	} {
		res, body := sendHTTP(t, srv, http.MethodGet, c.path, c.token)
		if res.StatusCode != http.StatusOK || len(body) <= 2048 {
			t.Fatalf("GET %s = %d with %d bytes; want 200 with more than 2 KB, the most that net/http sends unchunked by itself", c.path, res.StatusCode, len(body))
		}
		if res.ContentLength != int64(len(body)) || len(res.TransferEncoding) > 0 {
			t.Errorf("GET %s (token %t): Content-Length %d, Transfer-Encoding %q; want %d, none", c.path, c.token != "", res.ContentLength, res.TransferEncoding, len(body))
		}
	}
}

// TestHeadAnswersAsGet: over real HTTP, HEAD gets what GET gets, status and headers, without a
// body: for an item and a list, from the cache and not, with credentials and without, for
// something missing, and a 304 for a matching If-None-Match. A route without GET refuses it.
func TestHeadAnswersAsGet(t *testing.T) {
	f := newItemsFixture(t)
	it := f.publishedWith(t, map[string]any{"title": "Headed", "body": "Some text."})
	srv := httptest.NewServer(f)
	defer srv.Close()
	for _, c := range []struct{ path, token string }{
		{"/api/v1/items/" + it.ID, ""},
		{"/api/v1/items/" + it.ID, ""}, // from the cache
		{"/api/v1/items?type=news&limit=5", ""},
		{"/api/v1/types/news/items/" + it.Slug, ""},
		{"/api/v1/items/" + it.ID, f.editor},
		{"/api/v1/items/0193d5b4-0000-7000-8000-000000000000", ""},
		{"/healthz", ""},
	} {
		got, body := sendHTTP(t, srv, http.MethodGet, c.path, c.token)
		head, headBody := sendHTTP(t, srv, http.MethodHead, c.path, c.token)
		if head.StatusCode != got.StatusCode || len(headBody) != 0 {
			t.Errorf("HEAD %s = %d with %d bytes; GET = %d", c.path, head.StatusCode, len(headBody), got.StatusCode)
		}
		for _, h := range []string{"Content-Type", "Content-Length", "ETag", "Cache-Control", "Surrogate-Key"} {
			if head.Header.Get(h) != got.Header.Get(h) {
				t.Errorf("HEAD %s: %s %q; GET's %q", c.path, h, head.Header.Get(h), got.Header.Get(h))
			}
		}
		if got.StatusCode == http.StatusOK && got.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("GET %s: Content-Length %q for %d bytes", c.path, got.Header.Get("Content-Length"), len(body))
		}
	}
	got, _ := sendHTTP(t, srv, http.MethodGet, "/api/v1/items/"+it.ID, "")
	if res, _ := sendHTTP(t, srv, http.MethodHead, "/api/v1/items/"+it.ID, "", "If-None-Match", got.Header.Get("ETag")); res.StatusCode != http.StatusNotModified {
		t.Errorf("HEAD with a matching If-None-Match = %d, want 304", res.StatusCode)
	}
	if res, _ := sendHTTP(t, srv, http.MethodHead, "/api/v1/auth/login", ""); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("HEAD of a route without GET = %d, want 405", res.StatusCode)
	}
}
