package api

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/foliocms/folio/internal/database"
)

// BenchmarkPublicReads measures public reads over real HTTP on loopback, with 10,000 published
// items, 8 clients at once, against /healthz measured in the same run as the baseline (the cost
// of the HTTP stack and middleware alone). Each case asks for one URL again and again, so all
// but its first request are answered from the response cache: this is the cost of a hit, the
// path of make bench's scenario (b); its misses are scenario (a)'s.
//
//	go test -tags sqlite_fts5 -run '^$' -bench PublicReads -benchtime 3000x ./api
func BenchmarkPublicReads(b *testing.B) {
	s := newTestServer(b)
	ids := seedItems(b, s, 10_000)
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

	for _, c := range []struct{ name, path string }{
		{"baseline=healthz", "/healthz"},
		{"list", "/api/v1/items"},
		{"list-by-type", "/api/v1/items?type=event"},
		{"list-by-tags", "/api/v1/items?tag=cooperatives,asia-and-the-pacific"},
		{"list-page-50", "/api/v1/items?page=50"},
		{"item", "/api/v1/items/" + ids[len(ids)/2]},
		{"item-by-slug", fmt.Sprintf("/api/v1/types/news/items/bench-item-%d", len(ids)/2)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetParallelism(4) // 8 clients on 2 cores
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := client.Get(srv.URL + c.path)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("GET %s = %d", c.path, res.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}

// seedItems writes n published items straight into the database, in one transaction (creating
// them through the API would take minutes of fsyncs): news and events alternating, half of them
// tagged cooperatives and asia-and-the-pacific, one minute apart.
func seedItems(b *testing.B, s *testServer, n int) []string {
	b.Helper()
	for _, tag := range []string{"cooperatives", "asia-and-the-pacific"} {
		if _, err := s.items.CreateTag(b.Context(), tag, tag, nil); err != nil {
			b.Fatal(err)
		}
	}
	admin, err := s.accounts.FindUserByEmail(b.Context(), adminEmail)
	if err != nil {
		b.Fatal(err)
	}
	db, err := database.Open(b.Context(), database.Options{Path: s.path})
	if err != nil {
		b.Fatal(err)
	}
	defer database.Close(db)
	tx := db.Begin()
	base := time.Now().UTC().Add(-time.Duration(n) * time.Minute)
	ids := make([]string, n)
	for i := range n {
		id, _ := uuid.NewV7()
		ids[i] = id.String()
		at := base.Add(time.Duration(i) * time.Minute)
		typ := []string{"news", "event"}[i%2]
		slug := fmt.Sprintf("bench-item-%d", i)
		if typ == "event" {
			slug += "-event"
		}
		tx.Exec(`INSERT INTO items (id, type, slug, title, summary, body, body_html, fields, status, published_at, author_id, version, created_at, updated_at)
		         VALUES (?, ?, ?, ?, ?, ?, ?, '{}', 'published', ?, ?, 2, ?, ?)`,
			ids[i], typ, slug, fmt.Sprintf("Bench item %d", i), "A summary of a typical length for a listing page, one sentence or two.",
			"Some **Markdown** body.", "<p>Some <strong>Markdown</strong> body.</p>", at, admin.ID, at, at)
		if i%2 == 1 {
			tx.Exec(`INSERT INTO item_tags (item_id, tag, position) VALUES (?, 'cooperatives', 0), (?, 'asia-and-the-pacific', 1)`, ids[i], ids[i])
		}
	}
	if err := tx.Commit().Error; err != nil {
		b.Fatal(err)
	}
	return ids
}
