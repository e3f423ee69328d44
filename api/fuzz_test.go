package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// FuzzItemBody sends arbitrary bytes as the body of an item create and of a patch: the answer is
// never a 5xx, and nothing but a draft is ever created, whatever case or duplicate keys the body
// plays with (no mass assignment of status, published_at, version or author).
//
//	go test -tags sqlite_fts5 -run '^$' -fuzz FuzzItemBody -fuzztime 1m ./api
func FuzzItemBody(f *testing.F) {
	for _, seed := range []string{
		`{"type":"news","title":"x"}`, `{"type":"news","title":"x","STATUS":"published"}`,
		`{"type":"news","title":"x","Status":"published","Published_At":"2020-01-01T00:00:00Z"}`,
		`{"type":"news","title":"x","title":"y"}`, `{"type":"news","title":"x","fields":{"a":{"b":[1,2,{"c":null}]}}}`,
		`{"type":"news","title":"x","tags":["cooperatives","cooperatives"]}`, `{"type":"news","title":"x","version":2}`,
		`{"type":"news","title":"x","slug":""}`, `[]`, `null`, `"x"`, `{"type":"news","title":"x"} trailing`,
		`{"type":"news","title":"\u0000"}`, `{"type":"news","title":"x","unpublish_at":"2020-02-30T00:00:00Z"}`,
		`{"type":"news","title":"x","summary":null,"body":"<script>alert(1)</script>"}`, strings.Repeat("[", 5000),
	} {
		f.Add(seed)
	}
	s := newTestServer(f)
	token := s.login(f, adminEmail, adminPassword).AccessToken
	target := decode[Item](f, s.send(f, "POST", "/api/v1/items", token, map[string]any{"type": "news", "title": "target"}))
	f.Fuzz(func(t *testing.T, body string) {
		for _, req := range []struct{ method, path string }{{"POST", "/api/v1/items"}, {"PATCH", "/api/v1/items/" + target.ID}} {
			rec := s.do(t, req.method, req.path, strings.NewReader(body),
				"Content-Type", "application/json", "Authorization", "Bearer "+token, "If-Match", etag(target.Version))
			if rec.Code >= 500 {
				t.Fatalf("%s %s with %q = %d %s", req.method, req.path, body, rec.Code, rec.Body)
			}
			if rec.Code == http.StatusCreated || rec.Code == http.StatusOK {
				var it Item
				if err := json.Unmarshal(rec.Body.Bytes(), &it); err != nil {
					t.Fatalf("answer is not an item: %s", rec.Body)
				}
				if it.Status != "draft" || it.PublishedAt != nil {
					t.Fatalf("%s with %q made a %s item", req.method, body, it.Status)
				}
				if rec.Code == http.StatusOK {
					target = it
				}
			}
		}
	})
}
