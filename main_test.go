package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/foliocms/folio/internal/database/dbtest"
)

// env builds a getenv from pairs, so that tests never read the real environment.
func env(pairs ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return func(k string) string { return m[k] }
}

// startServer runs `folio serve` through run() on a free port with a database in a temporary
// folder, waits until /readyz answers, and returns the base URL. The server stops when the
// test ends; stopping must succeed.
func startServer(t *testing.T, pairs ...string) (baseURL string, logs *syncBuffer) {
	t.Helper()
	return startServerWith(t, nil, pairs...)
}

// startServerWith is startServer with flags for serve.
func startServerWith(t *testing.T, flags []string, pairs ...string) (baseURL string, logs *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dbPath := filepath.Join(t.TempDir(), "data", "folio.db") // a folder to create, too
	if dbtest.Postgres() {
		dbPath = dbtest.Location(t)
	}
	getenv := env(append([]string{"FOLIO_ADDR", "127.0.0.1:0", "FOLIO_DB", dbPath}, pairs...)...)
	logs = &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"folio", "serve"}, flags...), getenv, strings.NewReader(""), io.Discard, logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run() after cancel = %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run() did not return within 10s of cancel")
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if addr := listenAddr(logs.String(), "api"); addr != "" {
			baseURL = "http://" + addr
			if res, err := http.Get(baseURL + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return baseURL, logs
				}
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run() returned early: %v\n%s", err, logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("server not ready within 30s; log:\n%s", logs)
	return "", nil
}

// listenAddr finds a listener's address ("api" or "metrics") in the JSON log.
func listenAddr(log, server string) string {
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var rec struct{ Msg, Server, Addr string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "listening" && rec.Server == server {
			return rec.Addr
		}
	}
	return ""
}

func TestServe(t *testing.T) {
	base, _ := startServer(t)

	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("load /openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi = %q, want 3.0.x", doc.OpenAPI)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Errorf("/openapi.json does not validate: %v", err)
	}

	res, err = http.Get(base + "/nope")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var problem map[string]any
	if err := json.NewDecoder(res.Body).Decode(&problem); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("GET /nope = %d %s, want 404 application/problem+json", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, k := range []string{"type", "title", "status"} {
		if _, ok := problem[k]; !ok {
			t.Errorf("problem lacks %q: %v", k, problem)
		}
	}
	if res.Header.Get("X-Request-ID") == "" {
		t.Error("no X-Request-ID on the 404")
	}
}

// TestFirstAdminFlow is the README's walk-through over real HTTP: the first admin's generated
// password is in the log; log in with it, ask who you are, refresh, log out.
func TestFirstAdminFlow(t *testing.T) {
	base, logs := startServer(t, "FOLIO_ADMIN_EMAIL", "owner@example.com")
	m := regexp.MustCompile(`(?m)^\s+email:\s+(\S+)\n\s+password:\s+(\S+)$`).FindStringSubmatch(logs.String())
	if m == nil || m[1] != "owner@example.com" || len(m[2]) < 20 {
		t.Fatalf("no first-admin banner with the email and a generated password in the output:\n%s", logs)
	}
	password := m[2]
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if strings.HasPrefix(line, "{") && strings.Contains(line, password) {
			t.Errorf("a structured log line holds the password: %s", line)
		}
	}

	post := func(path, token string, body any) (*http.Response, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res, out
	}
	res, tokens := post("/api/v1/auth/login", "", map[string]string{"email": "owner@example.com", "password": password})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login = %d %v", res.StatusCode, tokens)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/api/v1/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+tokens["access_token"].(string))
	me, err := http.DefaultClient.Do(req)
	if err != nil || me.StatusCode != http.StatusOK {
		t.Fatalf("me = %v %v", me.StatusCode, err)
	}
	me.Body.Close()
	res, refreshed := post("/api/v1/auth/refresh", "", map[string]string{"refresh_token": tokens["refresh_token"].(string)})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("refresh = %d %v", res.StatusCode, refreshed)
	}
	if res, _ := post("/api/v1/auth/logout", "", map[string]string{"refresh_token": refreshed["refresh_token"].(string)}); res.StatusCode != http.StatusNoContent {
		t.Errorf("logout = %d", res.StatusCode)
	}
	if res, _ := post("/api/v1/auth/refresh", "", map[string]string{"refresh_token": refreshed["refresh_token"].(string)}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("refresh after logout = %d, want 401", res.StatusCode)
	}
}

func TestServeMetricsListener(t *testing.T) {
	base, logs := startServer(t, "FOLIO_METRICS_ADDR", "127.0.0.1:0")
	http.Get(base + "/healthz")

	res, err := http.Get("http://" + listenAddr(logs.String(), "metrics") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `folio_http_requests_total{method="GET",route="/healthz",status="200"}`) {
		t.Errorf("metrics listener = %d, body lacks the /healthz counter:\n%.500s", res.StatusCode, b)
	}
	for _, name := range []string{"folio_db_write_transactions_total", "folio_db_writes_total", "folio_db_write_wait_seconds_total", "folio_db_write_busy_seconds_total"} {
		if !strings.Contains(string(b), "\n"+name+" ") {
			t.Errorf("metrics lack %s", name)
		}
	}
	if res.Header.Get("X-Request-ID") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("metrics listener headers = %v, want a request id and the security headers", res.Header)
	}
	// Not on the API listener, which has no token.
	if res, err := http.Get(base + "/metrics"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the API listener = %v %v, want 404", res.StatusCode, err)
	}
}

func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// TestShutdownFinishesRequestsInFlight starts a request that takes a while, cancels the context
// as SIGTERM does, and requires the request to complete and the server to stop cleanly.
func TestShutdownFinishesRequestsInFlight(t *testing.T) {
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		fmt.Fprint(w, "finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- serveUntilDone(ctx, logger, 5*time.Second, &server{name: "api", srv: newHTTPServer(h, logger), ln: ln})
	}()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String())
		if err != nil {
			got <- result{err: err}
			return
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		got <- result{string(b), err}
	}()
	<-started
	cancel()

	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Errorf("in-flight request = %q, %v; want it to finish", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Errorf("serveUntilDone() = %v, want nil", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("the listener still accepts connections after shutdown")
	}
}

func TestShutdownTimeoutCutsOffSlowRequests(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	logger := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- serveUntilDone(ctx, logger, 100*time.Millisecond, &server{name: "api", srv: newHTTPServer(h, logger), ln: ln})
	}()
	go http.Get("http://" + ln.Addr().String())
	<-started
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "cut off") {
			t.Errorf("serveUntilDone() = %v, want an error saying requests were cut off", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown did not respect its timeout")
	}
}

// TestSIGTERM builds the real binary, starts it, sends SIGTERM and requires exit status 0.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "folio")
	build := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "folio.db"), "--log-format", "json")
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for listenAddr(logs.String(), "api") == "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if listenAddr(logs.String(), "api") == "" {
		cmd.Process.Kill()
		t.Fatalf("binary did not start:\n%s", logs)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v, want exit status 0\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no 'stopped' line in the log:\n%s", logs)
	}
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "folio.db")
	getenv := env("FOLIO_DB", db, "FOLIO_LOG_LEVEL", "warn")
	call := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(t.Context(), append([]string{"folio"}, args...), getenv, strings.NewReader(""), &out, &errOut)
		return out.String(), errOut.String(), err
	}

	if out, _, err := call("version"); err != nil || !strings.HasPrefix(out, "folio ") {
		t.Errorf("version = %q, %v", out, err)
	}
	if out, _, err := call("migrate", "status"); err != nil || !strings.Contains(out, "pending") || !strings.Contains(out, "00001_settings.sql") {
		t.Errorf("migrate status on a new database = %q, %v; want pending migrations", out, err)
	}
	if out, _, err := call("migrate", "up"); err != nil || !strings.Contains(out, "OK") {
		t.Errorf("migrate up = %q, %v", out, err)
	}
	if out, _, err := call("migrate", "up"); err != nil || !strings.Contains(out, "no pending migrations") {
		t.Errorf("second migrate up = %q, %v", out, err)
	}
	if out, _, err := call("migrate", "status"); err != nil || strings.Contains(out, "pending") {
		t.Errorf("migrate status after up = %q, %v; want all applied", out, err)
	}
	if out, _, err := call("migrate", "down"); err != nil || !strings.Contains(out, "down") {
		t.Errorf("migrate down = %q, %v", out, err)
	}

	// Users from the command line: the password from standard input, or generated.
	userCmd := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), append([]string{"folio", "user"}, args...), getenv, strings.NewReader(stdin), &out, io.Discard)
		return out.String(), err
	}
	if out, err := userCmd("piped password 1\n", "create", "--email", "Ed@Example.com", "--role", "editor"); err != nil || !strings.Contains(out, "created ed@example.com (editor") || strings.Contains(out, "password:") {
		t.Errorf("user create with a piped password = %q, %v", out, err)
	}
	out, err := userCmd("", "set-password", "--email", "ed@example.com")
	if err != nil || !strings.Contains(out, "password: ") {
		t.Errorf("user set-password without input = %q, %v; want a generated password", out, err)
	}
	if _, err := userCmd("short\n", "create", "--email", "x@example.com", "--role", "author"); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("user create with a short password = %v, want the password rule", err)
	}
	if _, err := userCmd("", "set-password", "--email", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "no user has the email") {
		t.Errorf("set-password of an unknown user = %v", err)
	}

	target := filepath.Join(dir, "backup.db")
	if out, _, err := call("backup", target); err != nil || !strings.Contains(out, "integrity ok") {
		t.Errorf("backup = %q, %v", out, err)
	}
	if _, _, err := call("backup", target); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("backup over an existing file = %v, want a refusal", err)
	}

	var uerr usageError
	for _, args := range [][]string{{}, {"frobnicate"}, {"migrate", "sideways"}, {"migrate"}, {"backup"}, {"serve", "extra"}, {"serve", "--no-such-flag"}, {"user"}, {"user", "create", "--email", "a@b.c"}} {
		if _, _, err := call(args...); !errors.As(err, &uerr) {
			t.Errorf("folio %v = %v, want a usage error", args, err)
		}
	}
	if _, _, err := call("serve", "-h"); err != nil {
		t.Errorf("serve -h = %v, want nil (help is not an error)", err)
	}

	_, _, err = call("serve", "--log-level", "chatty", "--jwt-secret", "short")
	if err == nil || !strings.Contains(err.Error(), `--log-level "chatty" is not a log level`) || !strings.Contains(err.Error(), "--jwt-secret must be at least 32 bytes") {
		t.Errorf("serve with bad settings = %v, want both problems named", err)
	}
}

func TestHealthcheck(t *testing.T) {
	base, _ := startServer(t)
	addr := strings.TrimPrefix(base, "http://")
	var out bytes.Buffer
	if err := run(t.Context(), []string{"folio", "healthcheck"}, env("FOLIO_ADDR", addr), nil, &out, io.Discard); err != nil || out.String() != "ready\n" {
		t.Errorf("healthcheck against a running server = %q, %v", out.String(), err)
	}
	if err := run(t.Context(), []string{"folio", "healthcheck"}, env("FOLIO_ADDR", "127.0.0.1:"+freePort(t)), nil, io.Discard, io.Discard); err == nil {
		t.Error("healthcheck with no server = nil, want an error")
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
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

// TestCrashLosesNoAcknowledgedWrite starts the real binary, creates items from several clients
// at once, kills the process with SIGKILL mid-flight, restarts it on the same file, and requires
// every item whose create was answered 201 to be there, intact, with its revision.
//
// This proves a process crash loses nothing and leaves no half-written item. It does not prove
// durability through a power cut: with WAL, a killed process loses nothing whatever
// synchronous is set to. That rests on synchronous=FULL, which TestOpenConfiguresEveryConnection
// checks is set on every connection.
func TestCrashLosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "folio")
	if out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "folio.db")
	start := func() (*exec.Cmd, string) {
		t.Helper()
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db, "--log-format", "json")
		cmd.Env = append(os.Environ(), "FOLIO_ADMIN_EMAIL=crash@example.com", "FOLIO_ADMIN_PASSWORD=crash-test-password")
		logs := &syncBuffer{}
		cmd.Stderr = logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if addr := listenAddr(logs.String(), "api"); addr != "" {
				return cmd, "http://" + addr
			}
			time.Sleep(10 * time.Millisecond)
		}
		cmd.Process.Kill()
		t.Fatalf("the server did not start:\n%s", logs)
		return nil, ""
	}
	login := func(base string) string {
		t.Helper()
		res, err := http.Post(base+"/api/v1/auth/login", "application/json",
			strings.NewReader(`{"email":"crash@example.com","password":"crash-test-password"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		json.NewDecoder(res.Body).Decode(&tok)
		return tok.AccessToken
	}

	cmd, base := start()
	token := login(base)
	var (
		mu    sync.Mutex
		acked = map[string]string{} // id -> title
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				title := fmt.Sprintf("crash %d-%d", w, i)
				req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/items", strings.NewReader(`{"type":"news","title":"`+title+`"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				var it struct{ ID string }
				err = json.NewDecoder(res.Body).Decode(&it)
				res.Body.Close()
				if res.StatusCode == http.StatusCreated && err == nil {
					mu.Lock()
					acked[it.ID] = title
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(700 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no checkpoint
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 10 {
		t.Fatalf("only %d creates were acknowledged before the kill; the test proves little", len(acked))
	}

	cmd, base = start()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	token = login(base)
	for id, title := range acked {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/items/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var it struct{ Title string }
		json.NewDecoder(res.Body).Decode(&it)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || it.Title != title {
			t.Errorf("acknowledged item %s (%q) after the crash: %d %q", id, title, res.StatusCode, it.Title)
		}
		// Its revision was committed with it, in the same transaction.
		req, _ = http.NewRequest(http.MethodGet, base+"/api/v1/items/"+id+"/revisions/1", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("acknowledged item %s has no revision 1 after the crash", id)
		} else {
			res.Body.Close()
		}
	}
	t.Logf("%d acknowledged creates, all present after SIGKILL and restart", len(acked))
}

// TestDemo is the README's first call: with --demo, the reference page's data in one request,
// and any of its items in one more.
func TestDemo(t *testing.T) {
	base, _ := startServerWith(t, []string{"--demo"})
	res, err := http.Get(base + "/api/v1/collections/ilo-coop-asia-pacific/items")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Data []struct{ Type, Slug, Title string }
		Meta struct {
			NextCursor *string `json:"next_cursor"`
		}
	}
	json.NewDecoder(res.Body).Decode(&page)
	res.Body.Close()
	// The whole page in the default first page, nothing more (the order is demo_test.go's).
	if res.StatusCode != http.StatusOK || len(page.Data) != 10 || page.Meta.NextCursor != nil || page.Data[0].Type != "event" {
		t.Fatalf("collection = %d, %d items, next %v", res.StatusCode, len(page.Data), page.Meta.NextCursor)
	}
	item := page.Data[3]
	res, err = http.Get(base + "/api/v1/types/" + item.Type + "/items/" + item.Slug)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET the fourth item by slug = %d", res.StatusCode)
	}
}
