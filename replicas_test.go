package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foliocms/folio/internal/database/dbtest"
)

// TestReplicas runs two real folio processes on one PostgreSQL database, as two replicas behind
// a load balancer: they start together and exactly one migrates; a write through one is read
// through the other at once; concurrent edits of one version through both make exactly one
// change; login failures through either count together; and one killed, the other serves on.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two processes")
	}
	url := dbtest.PostgresURL(t)
	bin := filepath.Join(t.TempDir(), "folio")
	if out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const email, password = "owner@example.com", "replica test password"
	type replica struct {
		cmd  *exec.Cmd
		base string
		logs *syncBuffer
	}
	start := func() *replica {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--log-format", "json")
		cmd.Env = append(os.Environ(), "FOLIO_DB="+url, "FOLIO_ADMIN_EMAIL="+email, "FOLIO_ADMIN_PASSWORD="+password,
			// The same signing secret on both, as replicas share their configuration.
			"FOLIO_JWT_SECRET=replica-test-secret-0123456789-abcdefghij")
		r := &replica{cmd: cmd, logs: &syncBuffer{}}
		cmd.Stderr = r.logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return r
	}
	// Both start at once.
	a, b := start(), start()
	for _, r := range []*replica{a, b} {
		deadline := time.Now().Add(30 * time.Second)
		for r.base == "" && time.Now().Before(deadline) {
			if addr := listenAddr(r.logs.String(), "api"); addr != "" {
				r.base = "http://" + addr
			}
			time.Sleep(10 * time.Millisecond)
		}
		if r.base == "" {
			t.Fatalf("a replica did not start:\n%s", r.logs)
		}
	}
	applied := strings.Count(a.logs.String(), `"migration applied"`) + strings.Count(b.logs.String(), `"migration applied"`)
	if n := len(must(os.ReadDir("migrations/postgres"))); applied != n || (strings.Contains(a.logs.String(), `"migration applied"`) && strings.Contains(b.logs.String(), `"migration applied"`)) {
		t.Errorf("%d migrations applied by the two (want %d, all by one of them)", applied, n)
	}

	call := func(base, method, path, token string, body any, headers ...string) (int, http.Header, map[string]any) {
		t.Helper()
		var r io.Reader
		if body != nil {
			r = strings.NewReader(string(must(json.Marshal(body))))
		}
		req := must(http.NewRequest(method, base+path, r))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, res.Header, out
	}
	code, _, tok := call(a.base, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if code != http.StatusOK {
		t.Fatalf("login through A = %d %v", code, tok)
	}
	token := tok["access_token"].(string)

	// A write through A is read through B at once, though B kept its answer from before.
	list := func(base string) []any {
		_, _, out := call(base, "GET", "/api/v1/items?type=news", "", nil)
		data, _ := out["data"].([]any)
		return data
	}
	if n := len(list(b.base)); n != 0 {
		t.Fatalf("B lists %d items before any write", n)
	}
	code, hdr, item := call(a.base, "POST", "/api/v1/items", token, map[string]string{"type": "news", "title": "Written through A"})
	if code != http.StatusCreated {
		t.Fatalf("create through A = %d %v", code, item)
	}
	id := item["id"].(string)
	code, hdr, item = call(a.base, "POST", "/api/v1/items/"+id+"/publish", token, nil, "If-Match", hdr.Get("ETag"))
	if code != http.StatusOK {
		t.Fatalf("publish through A = %d %v", code, item)
	}
	published := time.Now()
	for len(list(b.base)) == 0 {
		if time.Since(published) > 2*time.Second {
			t.Fatal("B did not show A's write within 2 s")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("B showed A's write %v after A answered", time.Since(published).Round(100*time.Microsecond))

	// Twenty edits of one version, through both: one is made, the others are stale.
	etag := hdr.Get("ETag")
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for i := range 20 {
		base := []string{a.base, b.base}[i%2]
		wg.Go(func() {
			code, _, _ := call(base, "PATCH", "/api/v1/items/"+id, token, map[string]string{"title": fmt.Sprintf("Edit %d", i)}, "If-Match", etag)
			codes <- code
		})
	}
	wg.Wait()
	close(codes)
	counts := map[int]int{}
	for c := range codes {
		counts[c]++
	}
	if counts[http.StatusOK] != 1 || counts[http.StatusPreconditionFailed] != 19 {
		t.Errorf("20 edits of one version through both replicas answered %v; want one 200 and nineteen 412", counts)
	}

	// Failed logins through either replica count for the account together.
	for i := range 5 {
		base := []string{a.base, b.base}[i%2]
		if code, _, _ := call(base, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "a wrong guess"}); code != http.StatusUnauthorized {
			t.Fatalf("failed login %d = %d", i, code)
		}
	}
	for _, base := range []string{a.base, b.base} {
		if code, _, _ := call(base, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}); code != http.StatusTooManyRequests {
			t.Errorf("login after five failures spread over both = %d, want 429", code)
		}
	}

	// A dies; B serves reads and writes, with A's token (the key is the database's).
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	if code, _, out := call(b.base, "GET", "/api/v1/items/"+id, "", nil); code != http.StatusOK || out["id"] != id {
		t.Errorf("read through B after A died = %d %v", code, out)
	}
	if code, _, out := call(b.base, "POST", "/api/v1/items", token, map[string]string{"type": "news", "title": "Written through B"}); code != http.StatusCreated {
		t.Errorf("write through B after A died = %d %v", code, out)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
