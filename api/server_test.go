package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/foliocms/folio/internal/auth"
	"github.com/foliocms/folio/internal/changes"
	"github.com/foliocms/folio/internal/config"
	"github.com/foliocms/folio/internal/content"
	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/database/dbtest"
	"github.com/foliocms/folio/internal/logging"
)

// testServer is the real router over a real SQLite file in a temporary folder, with the log
// captured for inspection and a clock the test moves.
type testServer struct {
	*echo.Echo
	log      *syncBuffer
	accounts *auth.Store
	items    *content.Store
	keys     *auth.Keys
	clock    *testClock
	path     string // of the database: a SQLite file or a PostgreSQL URL (dbtest.Location)
	changes  *changes.Generation
	reg      *prometheus.Registry
	// elsewhere writes to the same database as another process would: without telling this
	// server's content generation.
	elsewhere *content.Store
	// offContract turns off the check of every exchange against the OpenAPI document (see
	// contract_test.go), for tests that add routes of their own to the server.
	offContract bool
}

// testParams make password hashing cheap in tests; production parameters are measured in the
// auth package's benchmark.
var testParams = auth.Params{Memory: 64, Time: 1, Threads: 1}

// testSecret signs the test server's tokens, so tests can forge tokens with it.
var testSecret = []byte("test-secret-0123456789-abcdefghijklmnop")

// testClock is a clock that moves only when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestServer(t testing.TB, modify ...func(*config.Config)) *testServer {
	t.Helper()
	return newTestServerOn(t, database.Options{}, modify...)
}

// newTestServerOn is newTestServer with database options (a short busy timeout); the path is
// always a new temporary file.
func newTestServerOn(t testing.TB, dbOpts database.Options, modify ...func(*config.Config)) *testServer {
	t.Helper()
	// The response cache is on, as in production: every test of a public read also checks
	// that what it reads after a write is not a kept, stale answer.
	cfg := config.Config{BodyLimit: 1 << 10, LogLevel: "debug", CacheMaxAge: time.Minute, CacheStale: 5 * time.Minute, CacheSize: 4 << 20}
	for _, m := range modify {
		m(&cfg)
	}
	path := dbtest.Location(t)
	dbOpts.Path = path
	db, err := database.Open(t.Context(), dbOpts)
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { database.Close(db) })
	if _, err := database.Migrate(t.Context(), db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	keys := auth.NewKeys(testSecret)
	clock := &testClock{now: time.Now().UTC().Truncate(time.Second)}
	gen, err := changes.New(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	accounts := auth.NewStore(db, auth.Options{Keys: keys, Params: testParams, Now: clock.Now, Changes: gen})
	if _, err := accounts.EnsureFirstAdmin(t.Context(), adminEmail, adminPassword); err != nil {
		t.Fatal(err)
	}
	items := content.NewStore(db, content.Options{Now: clock.Now, Changes: gen})
	buf := &syncBuffer{}
	logger := logging.New(buf, "debug", "json")
	reg := NewRegistry()
	e := NewServer(cfg, logger, reg, Deps{
		Ping:     func(ctx context.Context) error { return database.Ping(ctx, db) },
		Accounts: accounts,
		Content:  items,
		Now:      clock.Now,
		Changes:  gen,
	})
	return &testServer{Echo: e, log: buf, accounts: accounts, items: items, keys: keys, clock: clock, path: path, changes: gen, reg: reg,
		elsewhere: content.NewStore(db, content.Options{Now: clock.Now})}
}

func (s *testServer) do(t testing.TB, method, target string, body io.Reader, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	var sent []byte
	if body != nil {
		var err error
		if sent, err = io.ReadAll(body); err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(sent)
	}
	req := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.serve(t, req, sent)
}

// serve answers req, whose body is sent, and checks the exchange against the OpenAPI document.
func (s *testServer) serve(t testing.TB, req *http.Request, sent []byte) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if !s.offContract {
		c, err := loadContract()
		if err != nil {
			t.Fatalf("load the OpenAPI document: %v", err)
		}
		c.check(t, req, sent, rec)
	}
	return rec
}

// sendHTTP sends a request to srv over real HTTP, with a bearer token unless it is "" and
// headers given as name, value pairs, and returns the response with its whole body.
func sendHTTP(t *testing.T, srv *httptest.Server, method, path, token string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// decodeProblem checks that rec is a problem+json response with status and returns it.
func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder, status int) Problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p Problem
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	if p.Status != status || p.Title != http.StatusText(status) || p.Type != ProblemType {
		t.Errorf("problem = %+v, want status %d, title %q, type %s", p, status, http.StatusText(status), ProblemType)
	}
	if p.RequestID == "" || p.RequestID != rec.Header().Get(HeaderRequestID) {
		t.Errorf("problem request_id = %q, want the X-Request-ID header %q", p.RequestID, rec.Header().Get(HeaderRequestID))
	}
	return p
}

func TestErrorsAreProblems(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name        string
		method      string
		target      string
		body        io.Reader
		headers     []string
		status      int
		detail      string
		wantHeaders map[string]string
	}{
		{name: "unknown route", method: "GET", target: "/nope", status: 404, detail: "There is nothing at /nope."},
		{name: "unknown api route", method: "GET", target: "/api/v1/nothing", status: 404},
		{name: "wrong method", method: "DELETE", target: "/healthz", status: 405,
			wantHeaders: map[string]string{"Allow": "OPTIONS, GET, HEAD"}},
		{name: "form body", method: "POST", target: "/api/v1/auth/login", body: strings.NewReader("status=published"),
			headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415},
		{name: "body without type", method: "POST", target: "/api/v1/auth/login", body: strings.NewReader("{}"), status: 415},
		{name: "json in latin-1", method: "POST", target: "/api/v1/auth/login", body: strings.NewReader("{}"),
			headers: []string{"Content-Type", "application/json; charset=iso-8859-1"}, status: 415},
		{name: "body over the limit", method: "POST", target: "/api/v1/auth/login", body: strings.NewReader(strings.Repeat("x", 2000)),
			headers: []string{"Content-Type", "application/json"}, status: 413,
			detail: "The request body is larger than the limit of 1024 bytes."},
		// A body does not turn a request to no route into a 413 or a 415.
		{name: "form body to a route that takes none", method: "POST", target: "/healthz", body: strings.NewReader("a=1"),
			headers: []string{"Content-Type", "text/plain"}, status: 405},
		{name: "large body to nowhere", method: "POST", target: "/nope", body: strings.NewReader(strings.Repeat("x", 2000)), status: 404},
		{name: "null body", method: "POST", target: "/api/v1/auth/login", body: strings.NewReader("null"),
			headers: []string{"Content-Type", "application/json"}, status: 400},
		{name: "array body", method: "POST", target: "/api/v1/auth/login", body: strings.NewReader("[]"),
			headers: []string{"Content-Type", "application/json"}, status: 400},
		{name: "trailing data", method: "POST", target: "/api/v1/auth/login", body: strings.NewReader(`{"email":"a","password":"b"} {}`),
			headers: []string{"Content-Type", "application/json"}, status: 400},
		{name: "missing docs asset", method: "GET", target: "/docs/nope.js", status: 404},
		{name: "docs index by asset route", method: "GET", target: "/docs/index.html", status: 404},
		{name: "docs folder", method: "GET", target: "/docs/swagger-ui", status: 404},
		{name: "docs dot", method: "GET", target: "/docs/.", status: 404},
		{name: "docs dot dot", method: "GET", target: "/docs/..", status: 404},
		{name: "encoded traversal", method: "GET", target: "/docs/..%2fdocsui.go", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, tt.method, tt.target, tt.body, tt.headers...)
			p := decodeProblem(t, rec, tt.status)
			if tt.detail != "" && p.Detail != tt.detail {
				t.Errorf("detail = %q, want %q", p.Detail, tt.detail)
			}
			for k, v := range tt.wantHeaders {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store on an error", cc)
			}
		})
	}
}

func TestJSONBodiesAreAccepted(t *testing.T) {
	s := newTestServer(t)
	creds := `{"email": "` + adminEmail + `", "password": "` + adminPassword + `"}`
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/merge-patch+json"} {
		rec := s.do(t, "POST", "/api/v1/auth/login", strings.NewReader(creds), "Content-Type", ct)
		if rec.Code != http.StatusOK {
			t.Errorf("POST with %s = %d %s, want 200", ct, rec.Code, rec.Body)
		}
	}
	// An empty body needs no Content-Type (action endpoints take one); it reaches the handler.
	decodeProblem(t, s.do(t, "POST", "/api/v1/auth/login", nil), http.StatusBadRequest)
}

// TestBodyLimitWithoutLength sends a chunked body, whose size is unknown until read: the
// handler's read must fail and the client must get 413.
func TestBodyLimitWithoutLength(t *testing.T) {
	s := newTestServer(t)
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", io.MultiReader(strings.NewReader(strings.Repeat("x", 4096))))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	decodeProblem(t, rec, http.StatusRequestEntityTooLarge)
}

func TestInternalErrorsStayInTheLog(t *testing.T) {
	s := newTestServer(t)
	s.offContract = true // /boom and /panic are this test's own routes
	s.GET("/boom", func(echo.Context) error {
		return errors.New("dial tcp 10.0.0.7:5432: secret-host unreachable")
	})
	s.GET("/panic", func(echo.Context) error {
		panic("invariant broken: cache entry for item 42 is nil")
	})
	for _, target := range []string{"/boom", "/panic"} {
		rec := s.do(t, "GET", target, nil)
		body := rec.Body.String()
		p := decodeProblem(t, rec, http.StatusInternalServerError)
		for _, leak := range []string{"secret-host", "10.0.0.7", "invariant", "goroutine", ".go:"} {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s body %s reveals %q", target, body, leak)
			}
		}
		// The log has the cause, with the request id that the client was given.
		if !logHas(t, s.log, map[string]any{"msg": "request failed", "request_id": p.RequestID}) {
			t.Errorf("GET %s: no 'request failed' log line with request_id %s in:\n%s", target, p.RequestID, s.log)
		}
	}
	if !strings.Contains(s.log.String(), "secret-host unreachable") || !strings.Contains(s.log.String(), "invariant broken") {
		t.Errorf("log lacks the internal errors:\n%s", s.log)
	}
	if !logHas(t, s.log, map[string]any{"msg": "panic"}) || !strings.Contains(s.log.String(), "goroutine") {
		t.Errorf("log lacks the panic's stack:\n%s", s.log)
	}
}

func TestRequestID(t *testing.T) {
	s := newTestServer(t)
	uuidish := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"none", "", false},
		{"proxy id", "req-42_abc.DEF", true},
		{"longest", strings.Repeat("a", 128), true},
		{"too long", strings.Repeat("a", 129), false},
		{"log injection", "abc\n{\"level\":\"ERROR\"}", false},
		{"space", "a b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if tt.sent != "" {
				headers = []string{HeaderRequestID, tt.sent}
			}
			rec := s.do(t, "GET", "/healthz", nil, headers...)
			got := rec.Header().Get(HeaderRequestID)
			if tt.kept && got != tt.sent {
				t.Errorf("X-Request-ID = %q, want the client's %q", got, tt.sent)
			}
			if !tt.kept && !uuidish.MatchString(got) {
				t.Errorf("X-Request-ID = %q, want a fresh UUIDv7", got)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newTestServer(t)
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": apiCSP,
	}
	for _, target := range []string{"/healthz", "/nope"} {
		rec := s.do(t, "GET", target, nil)
		for k, v := range want {
			if got := rec.Header().Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", target, k, got, v)
			}
		}
	}
}

func TestAccessLog(t *testing.T) {
	s := newTestServer(t)
	rec := s.do(t, "GET", "/healthz", nil, HeaderRequestID, "trace-1")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /healthz = %d", rec.Code)
	}
	s.do(t, "GET", "/no/such/thing", nil, HeaderRequestID, "trace-2")
	for _, want := range []map[string]any{
		{"msg": "request", "method": "GET", "route": "/healthz", "status": float64(200), "bytes": float64(len(rec.Body.Bytes())), "request_id": "trace-1"},
		{"msg": "request", "method": "GET", "route": "unmatched", "path": "/no/such/thing", "status": float64(404), "request_id": "trace-2"},
	} {
		if !logHas(t, s.log, want) {
			t.Errorf("no access log line with %v in:\n%s", want, s.log)
		}
	}
	if !strings.Contains(s.log.String(), `"duration_ms":`) {
		t.Errorf("access log lacks duration_ms:\n%s", s.log)
	}
}

func TestCORS(t *testing.T) {
	s := newTestServer(t, func(c *config.Config) { c.CORSOrigins = []string{"https://site.example"} })
	pre := s.do(t, "OPTIONS", "/healthz", nil,
		"Origin", "https://site.example", "Access-Control-Request-Method", "GET")
	if got := pre.Header().Get("Access-Control-Allow-Origin"); got != "https://site.example" {
		t.Errorf("preflight Allow-Origin = %q, want the origin", got)
	}
	get := s.do(t, "GET", "/healthz", nil, "Origin", "https://site.example")
	exposed := get.Header().Get("Access-Control-Expose-Headers")
	for _, h := range []string{"ETag", "Link", "X-Request-ID"} {
		if !strings.Contains(exposed, h) {
			t.Errorf("Expose-Headers = %q, want it to include %s", exposed, h)
		}
	}
	other := s.do(t, "GET", "/healthz", nil, "Origin", "https://evil.example")
	if got := other.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("Allow-Origin for an unlisted origin = %q, want none", got)
	}

	plain := newTestServer(t)
	if got := plain.do(t, "GET", "/healthz", nil, "Origin", "https://site.example").Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("Allow-Origin without configured origins = %q, want none", got)
	}
}

func TestMetrics(t *testing.T) {
	const token = "0123456789abcdef-metrics"
	s := newTestServer(t, func(c *config.Config) { c.MetricsToken = token })
	s.do(t, "GET", "/healthz", nil)
	s.do(t, "GET", "/random-probe-1", nil)
	s.do(t, "GET", "/random-probe-2", nil)

	decodeProblem(t, s.do(t, "GET", "/metrics", nil), http.StatusUnauthorized)
	decodeProblem(t, s.do(t, "GET", "/metrics", nil, "Authorization", "Bearer wrong"), http.StatusUnauthorized)

	rec := s.do(t, "GET", "/metrics", nil, "Authorization", "Bearer "+token)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics with the token = %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`folio_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`folio_http_requests_total{method="GET",route="unmatched",status="404"} 2`,
		`folio_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.001"}`,
		`folio_http_requests_in_flight 1`, // this request
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "random-probe") {
		t.Error("metrics label unmatched paths by their path")
	}
	for i := range 3 {
		s.do(t, fmt.Sprintf("BREW%d", i), "/healthz", nil)
	}
	body = s.do(t, "GET", "/metrics", nil, "Authorization", "bearer "+token).Body.String()
	if strings.Contains(body, "BREW") || !strings.Contains(body, `method="OTHER",route="/healthz",status="405"} 3`) {
		t.Errorf("made-up methods are not folded into OTHER:\n%s", body)
	}

	// Without a token, /metrics is served only on the metrics listener.
	decodeProblem(t, newTestServer(t).do(t, "GET", "/metrics", nil), http.StatusNotFound)
}

// TestMetricsListener: the separate metrics listener serves /metrics without a token, answers
// HEAD as the API's reads do, and nothing else.
func TestMetricsListener(t *testing.T) {
	srv := httptest.NewServer(NewMetricsServer(slog.New(slog.DiscardHandler), NewRegistry()))
	defer srv.Close()
	for _, c := range []struct {
		method string
		status int
		body   bool
	}{{http.MethodGet, http.StatusOK, true}, {http.MethodHead, http.StatusOK, false}, {http.MethodPost, http.StatusMethodNotAllowed, true}} {
		res, b := sendHTTP(t, srv, c.method, "/metrics", "")
		if res.StatusCode != c.status || (len(b) > 0) != c.body {
			t.Errorf("%s /metrics = %d with %d bytes, want %d with a body: %t", c.method, res.StatusCode, len(b), c.status, c.body)
		}
		if c.method == http.MethodGet && !strings.Contains(string(b), "go_goroutines ") {
			t.Errorf("GET /metrics lacks the Go metrics:\n%s", b)
		}
	}
}

func TestReadiness(t *testing.T) {
	s := newTestServer(t)
	if rec := s.do(t, "GET", "/readyz", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"ready"`) {
		t.Errorf("GET /readyz = %d %s, want 200 ready", rec.Code, rec.Body)
	}
	down := NewServer(config.Config{BodyLimit: 1024}, slog.New(slog.DiscardHandler), NewRegistry(), Deps{
		Ping: func(context.Context) error { return errors.New("disk I/O error at /var/lib/folio") },
	})
	rec := httptest.NewRecorder()
	down.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	p := decodeProblem(t, rec, http.StatusServiceUnavailable)
	if strings.Contains(rec.Body.String(), "/var/lib") || p.Detail != "The database does not answer." {
		t.Errorf("readiness problem = %+v, want a plain detail", p)
	}
}

func TestOpenAPIDocumentIsCacheable(t *testing.T) {
	s := newTestServer(t)
	rec := s.do(t, "GET", "/openapi.json", nil)
	if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("GET /openapi.json = %d, valid JSON %v", rec.Code, json.Valid(rec.Body.Bytes()))
	}
	etag := rec.Header().Get("ETag")
	if etag == "" || !strings.HasPrefix(rec.Header().Get("Cache-Control"), "public") {
		t.Errorf("ETag = %q, Cache-Control = %q; want an ETag and public caching", etag, rec.Header().Get("Cache-Control"))
	}
	if again := s.do(t, "GET", "/openapi.json", nil, "If-None-Match", etag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("GET with If-None-Match = %d (%d bytes), want 304 and no body", again.Code, again.Body.Len())
	}
}

func TestDocsPage(t *testing.T) {
	s := newTestServer(t)
	page := s.do(t, "GET", "/docs", nil)
	if page.Code != http.StatusOK || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs = %d %s", page.Code, page.Header().Get("Content-Type"))
	}
	if csp := page.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("docs CSP = %q, want scripts from self only", csp)
	}
	// Every script and style the page names is served by this server.
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page.Body.String(), -1)
	if len(refs) < 3 {
		t.Fatalf("page references %d files, want at least the bundle, the style sheet and init.js", len(refs))
	}
	for _, m := range refs {
		if !strings.HasPrefix(m[1], "/docs/") {
			t.Errorf("page references %s, which is not served from /docs/", m[1])
			continue
		}
		if rec := s.do(t, "GET", m[1], nil); rec.Code != http.StatusOK || rec.Body.Len() == 0 {
			t.Errorf("GET %s = %d (%d bytes), want 200", m[1], rec.Code, rec.Body.Len())
		}
	}
	js := s.do(t, "GET", "/docs/swagger-ui-bundle.js", nil)
	if ct := js.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("bundle Content-Type = %q, want text/javascript", ct)
	}
}

func TestIPExtractor(t *testing.T) {
	_, proxies, _ := net.ParseCIDR("10.0.0.0/8")
	tests := []struct {
		name    string
		trusted bool
		remote  string
		xff     string
		want    string
	}{
		{"direct ignores the header", false, "203.0.113.9:5000", "1.2.3.4", "203.0.113.9"},
		{"behind a trusted proxy", true, "10.0.0.2:5000", "198.51.100.7, 10.0.0.3", "198.51.100.7"},
		{"spoofed entry left of the client", true, "10.0.0.2:5000", "6.6.6.6, 198.51.100.7", "198.51.100.7"},
		{"untrusted peer", true, "203.0.113.9:5000", "1.2.3.4", "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var trusted []*net.IPNet
			if tt.trusted {
				trusted = []*net.IPNet{proxies}
			}
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tt.remote
			req.Header.Set("X-Forwarded-For", tt.xff)
			if got := ipExtractor(trusted)(req); got != tt.want {
				t.Errorf("client IP = %s, want %s", got, tt.want)
			}
		})
	}
}

// logHas reports whether some JSON log line has every key of want with its value.
func logHas(t *testing.T, buf *syncBuffer, want map[string]any) bool {
	t.Helper()
	for line := range strings.SplitSeq(buf.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		match := true
		for k, v := range want {
			if rec[k] != v {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
