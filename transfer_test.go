package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/foliocms/folio/internal/database/dbtest"
)

// client talks to a running server as one user.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c *client) do(method, path string, body any, header ...string) (int, []byte, http.Header) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(c.t.Context(), method, c.base+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out, res.Header
}

// must does a request that must answer want, and decodes the answer into a map.
func (c *client) must(want int, method, path string, body any, header ...string) map[string]any {
	c.t.Helper()
	status, out, _ := c.do(method, path, body, header...)
	if status != want {
		c.t.Fatalf("%s %s = %d, want %d: %s", method, path, status, want, out)
	}
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	return m
}

func login(t *testing.T, base, email, password string) *client {
	t.Helper()
	c := &client{t: t, base: base}
	tokens := c.must(http.StatusOK, http.MethodPost, "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	c.token = tokens["access_token"].(string)
	return c
}

// TestExportImportRoundTrip fills a database through the API with every kind of record and
// state (a type with markdown and reference fields, drafts, a scheduled item, a trashed one,
// edited ones, a collection with a pinned item), exports it, imports the export into an empty
// database, and asks both servers the same questions: the answers must be the same, byte for
// byte, but for the first admin's id, which each database made for itself (and so the ETags of
// answers that show it).
func TestExportImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	const email, password = "owner@example.com", "correct horse battery staple"
	admin := []string{"FOLIO_ADMIN_EMAIL", email, "FOLIO_ADMIN_PASSWORD", password}
	srcDB, dstDB := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	if dbtest.Postgres() {
		srcDB, dstDB = dbtest.Location(t), dbtest.Location(t)
	}

	srcBase, _ := startServerWith(t, []string{"--demo"}, append(admin, "FOLIO_DB", srcDB)...)
	src := login(t, srcBase, email, password)
	fill(src)

	file := filepath.Join(dir, "export.ndjson")
	var out, errs bytes.Buffer
	if err := run(t.Context(), []string{"folio", "export", file}, env(append(admin, "FOLIO_DB", srcDB)...), nil, &out, &errs); err != nil {
		t.Fatalf("export: %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "exported 5 types, 13 tags, 15 items, 2 collections") {
		t.Errorf("export said %q", out.String())
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("export file mode = %v, %v; want 0600 (it holds drafts)", st.Mode(), err)
	}
	if err := run(t.Context(), []string{"folio", "export", file}, env(append(admin, "FOLIO_DB", srcDB)...), nil, io.Discard, io.Discard); err == nil {
		t.Error("export over an existing file succeeded")
	}
	out.Reset()
	if err := run(t.Context(), []string{"folio", "import", file}, env(append(admin, "FOLIO_DB", dstDB)...), nil, &out, &errs); err != nil {
		t.Fatalf("import: %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "imported 5 types, 13 tags, 15 items, 2 collections") {
		t.Errorf("import said %q", out.String())
	}

	dstBase, _ := startServer(t, append(admin, "FOLIO_DB", dstDB)...)
	dst := login(t, dstBase, email, password)
	srcAdmin := src.must(http.StatusOK, http.MethodGet, "/api/v1/auth/me", nil)["id"].(string)
	dstAdmin := dst.must(http.StatusOK, http.MethodGet, "/api/v1/auth/me", nil)["id"].(string)

	paths := []string{
		"/api/v1/types", "/api/v1/types/event", "/api/v1/types/report", "/api/v1/tags?limit=100",
		"/api/v1/collections", "/api/v1/collections/ilo-coop-asia-pacific/items", "/api/v1/collections/reports/items",
		"/api/v1/items?limit=100", "/api/v1/items?limit=100&status=any", "/api/v1/items?limit=100&trashed=true",
		"/api/v1/items?q=cooperatives", "/api/v1/items?q=repor&status=any", "/api/v1/items?tag=annual-reports&status=any",
		"/api/v1/items?tag=cooperatives&limit=3", "/api/v1/items?tag=cooperatives,covid-19&sort=published_at",
	}
	type listed struct {
		Data []struct {
			ID, Type, Slug string
			Version        int
		}
	}
	var all, trashed listed
	_, body, _ := src.do(http.MethodGet, "/api/v1/items?limit=100&status=any&select=type,slug,version", nil)
	json.Unmarshal(body, &all)
	_, body, _ = src.do(http.MethodGet, "/api/v1/items?limit=100&trashed=true&select=type,slug,version", nil)
	json.Unmarshal(body, &trashed)
	if len(all.Data) != 14 || len(trashed.Data) != 1 {
		t.Fatalf("the source has %d items and %d in the trash; want 14 and 1", len(all.Data), len(trashed.Data))
	}
	for _, it := range append(all.Data, trashed.Data...) {
		// The history is not exported: the imported item has its current version's revision.
		paths = append(paths, "/api/v1/items/"+it.ID, fmt.Sprintf("/api/v1/items/%s/revisions/%d", it.ID, it.Version))
	}
	for _, it := range all.Data {
		paths = append(paths, "/api/v1/types/"+it.Type+"/items/"+it.Slug)
	}
	for _, p := range paths {
		for _, signedIn := range []bool{false, true} {
			s, d := &client{t: t, base: srcBase}, &client{t: t, base: dstBase}
			if signedIn {
				s, d = src, dst
			}
			sStatus, sBody, sHeader := s.do(http.MethodGet, p, nil)
			dStatus, dBody, dHeader := d.do(http.MethodGet, p, nil)
			want := strings.ReplaceAll(string(sBody), srcAdmin, dstAdmin)
			want, dBody = requestID.ReplaceAllString(want, ""), requestID.ReplaceAll(dBody, nil)
			// An ETag is a hash of the answer, so it is the same when the answer has no author.
			sameTag := sHeader.Get("ETag") == dHeader.Get("ETag") || want != string(sBody)
			if sStatus != dStatus || want != string(dBody) || !sameTag {
				at := 0
				for at < min(len(want), len(dBody)) && want[at] == dBody[at] {
					at++
				}
				t.Errorf("GET %s (signed in: %v): source %d %s, imported %d %s; from byte %d:\nsource:   %.300s\nimported: %.300s",
					p, signedIn, sStatus, sHeader.Get("ETag"), dStatus, dHeader.Get("ETag"), at, want[at:], dBody[at:])
			}
		}
	}
}

var requestID = regexp.MustCompile(`"request_id":"[^"]*"`)

// fill adds to the demo content what an export must carry: a type of the file's own with
// markdown and reference fields, a tag, drafts, a scheduled item, a trashed one, edits, and a
// collection pinning an item.
func fill(c *client) {
	c.must(http.StatusCreated, http.MethodPost, "/api/v1/types", map[string]any{
		"key": "report", "name": "Report", "description": "A published study.",
		"fields": []map[string]any{
			{"name": "abstract", "kind": "markdown"},
			{"name": "related", "kind": "reference", "types": []string{"report", "news"}},
			{"name": "pages", "kind": "integer", "min": 1},
		},
	})
	c.must(http.StatusCreated, http.MethodPost, "/api/v1/tags", map[string]any{"slug": "annual-reports", "name": "Annual reports", "group": "series"})
	first := c.must(http.StatusCreated, http.MethodPost, "/api/v1/items", map[string]any{
		"type": "report", "title": "Coopératives in 2025", "summary": "The year in numbers.", "body": "# Findings\n\nReports **grew**.",
		"fields": map[string]any{"abstract": "A *short* abstract.", "pages": 40}, "tags": []string{"annual-reports"},
	})
	second := c.must(http.StatusCreated, http.MethodPost, "/api/v1/items", map[string]any{
		"type": "report", "title": "Cooperatives in 2026", "body": "Draft.",
		"fields": map[string]any{"related": first["id"], "pages": 12}, "tags": []string{"annual-reports", "cooperatives"},
	})
	// Edited twice, then published in the past: version 3.
	c.must(http.StatusOK, http.MethodPatch, "/api/v1/items/"+first["id"].(string), map[string]any{"summary": "The year, in numbers."}, "If-Match", `"v1"`)
	c.must(http.StatusOK, http.MethodPost, "/api/v1/items/"+first["id"].(string)+"/publish", map[string]any{"published_at": "2025-03-01T09:30:00.123456Z"}, "If-Match", `"v2"`)
	_ = second // stays a draft that refers to the first
	scheduled := c.must(http.StatusCreated, http.MethodPost, "/api/v1/items", map[string]any{"type": "news", "title": "Coming soon", "body": "Next year."})
	c.must(http.StatusOK, http.MethodPost, "/api/v1/items/"+scheduled["id"].(string)+"/publish",
		map[string]any{"published_at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339), "unpublish_at": time.Now().Add(96 * time.Hour).UTC().Format(time.RFC3339)}, "If-Match", `"v1"`)
	gone := c.must(http.StatusCreated, http.MethodPost, "/api/v1/items", map[string]any{"type": "news", "title": "A mistake", "body": "Oops."})
	c.must(http.StatusNoContent, http.MethodDelete, "/api/v1/items/"+gone["id"].(string), nil, "If-Match", `"v1"`)
	c.must(http.StatusCreated, http.MethodPost, "/api/v1/items", map[string]any{"type": "news", "title": "Plain draft", "slug": "a-chosen-slug"})
	c.must(http.StatusCreated, http.MethodPost, "/api/v1/collections", map[string]any{
		"key": "reports", "title": "Reports", "filter": map[string]any{"types": []string{"report"}},
		"pinned": []string{first["id"].(string)}, "sort": "title",
	})
}

// TestImportAlongsideAServer: an import into a SQLite file that a server has open goes through
// the write-ahead log beside it, and the server answers with the new item on its next reads.
func TestImportAlongsideAServer(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "folio.db")
	if dbtest.Postgres() {
		db = dbtest.Location(t)
	}
	admin := []string{"FOLIO_ADMIN_EMAIL", "owner@example.com", "FOLIO_ADMIN_PASSWORD", "correct horse battery staple", "FOLIO_DB", db}
	file := filepath.Join(dir, "in.ndjson")
	os.WriteFile(file, []byte(`{"item": {"type": "news", "title": "Alongside", "status": "published", "published_at": "2024-01-02T03:04:05Z"}}`+"\n"), 0o600)

	base, _ := startServer(t, admin...)
	get := func() int {
		res, err := http.Get(base + "/api/v1/types/news/items/alongside")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := get(); code != http.StatusNotFound {
		t.Fatalf("before the import: %d", code)
	}
	var out, errs bytes.Buffer
	if err := run(t.Context(), []string{"folio", "import", file}, env(admin...), nil, &out, &errs); err != nil {
		t.Fatalf("import beside a server = %v\n%s", err, errs.String())
	}
	if !dbtest.Postgres() && !strings.Contains(errs.String(), "importing alongside it") {
		t.Errorf("the import did not say it went through the log beside the server:\n%s", errs.String())
	}
	deadline := time.Now().Add(2 * time.Second)
	for get() != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the server does not show the imported item 2 s after the import")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestImportReportsBadLines checks what an operator sees for a file with mistakes: every bad
// line by number, nothing imported, and a non-zero exit; with --continue-on-error the good
// lines go in. Alone on the file, both imports have it to themselves and leave it in WAL mode.
func TestImportReportsBadLines(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "folio.db")
	file := filepath.Join(dir, "in.ndjson")
	lines := []string{
		`{"tag": {"slug": "coops", "name": "Cooperatives"}}`,
		`{"item": {"type": "news", "title": "Good", "tags": ["coops"], "status": "published", "published_at": "2024-01-02T03:04:05Z"}}`,
		`{"item": {"type": "news", "title": ""}}`,
		`not json`,
		`{"item": {"type": "nope", "title": "Unknown type", "tags": ["missing"]}}`,
		``,
		`{"item": {"type": "news", "title": "Also good"}}`,
	}
	os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	getenv := env("FOLIO_DB", db, "FOLIO_ADMIN_EMAIL", "owner@example.com", "FOLIO_ADMIN_PASSWORD", "correct horse battery staple")

	var out, errs bytes.Buffer
	err := run(t.Context(), []string{"folio", "import", file}, getenv, nil, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "3 bad lines; nothing was imported") {
		t.Fatalf("import = %v, want 3 bad lines", err)
	}
	for _, want := range []string{
		"line 3: item: title must be 1 to 300 characters",
		"line 4: not a JSON object on one line",
		`line 5: item: type "nope" is not a content type; tags[0] "missing" is not a tag`,
	} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, errs.String())
		}
	}
	out.Reset()
	if err := run(t.Context(), []string{"folio", "export", filepath.Join(dir, "empty.ndjson")}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 tags, 0 items") {
		t.Errorf("after a rejected import, export said %q; want nothing imported", out.String())
	}
	if !dbtest.InWALMode(t, db) {
		t.Error("a rejected import left the file out of WAL mode")
	}

	out.Reset()
	errs.Reset()
	if err := run(t.Context(), []string{"folio", "import", file, "--continue-on-error"}, getenv, nil, &out, &errs); err != nil {
		t.Fatalf("import --continue-on-error = %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "imported 0 types, 1 tags, 2 items, 0 collections") || !strings.Contains(out.String(), "skipped 3 bad lines") {
		t.Errorf("import said %q", out.String())
	}
	if !strings.Contains(errs.String(), "line 3: item:") {
		t.Errorf("the skipped lines are not reported:\n%s", errs.String())
	}
	if !dbtest.InWALMode(t, db) || strings.Contains(errs.String(), "importing alongside it") {
		t.Errorf("an import alone did not have the file to itself, or left it out of WAL mode:\n%s", errs.String())
	}
}

// TestProgressLines checks both ways of showing progress.
func TestProgressLines(t *testing.T) {
	for _, tc := range []struct {
		frac    float64
		n       float64
		elapsed time.Duration
		tty     bool
		want    string
	}{
		{0.25, 50000, 10 * time.Second, false, " 25% 50000 items, 5000 items/s, 30s left\n"},
		{0.5, 100, 2 * time.Second, true, "\r\x1b[K[===============               ]  50% 50000 items, 50 items/s, 2s left"},
		{0, 0, time.Second, false, "  0% 50000 items, 0 items/s, ? left\n"},
	} {
		if got := progressLine(tc.frac, "50000 items", tc.n, "items", tc.elapsed, tc.tty); got != tc.want {
			t.Errorf("progressLine(%v, %v, tty %v) = %q, want %q", tc.frac, tc.n, tc.tty, got, tc.want)
		}
	}
	var buf syncBuffer
	progressEvery = 5 * time.Millisecond
	t.Cleanup(func() { progressEvery = 5 * time.Second })
	stop := showProgress(&buf, func() (float64, string) { return 0.5, "half" }, func() float64 { return 10 }, "items")
	time.Sleep(30 * time.Millisecond)
	stop()
	if n := strings.Count(buf.String(), "50% half"); n < 2 || strings.Contains(buf.String(), "\r") {
		t.Errorf("without a terminal, want plain periodic lines; got %q", buf.String())
	}
}
