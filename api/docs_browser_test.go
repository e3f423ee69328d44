package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/foliocms/folio/docs"
)

// TestDocsRenderInBrowser loads /docs in headless Chromium over real HTTP and checks that the
// reference renders every operation of the document, that the page breaks no rule of its
// Content-Security-Policy, and that every request the page makes goes to this server: the
// reference must work offline. It needs Debian's chromium (CI installs it); without one it skips.
func TestDocsRenderInBrowser(t *testing.T) {
	browser := os.Getenv("FOLIO_TEST_CHROMIUM")
	if browser == "" {
		var err error
		if browser, err = exec.LookPath("chromium"); err != nil {
			t.Skip("no chromium on PATH (set FOLIO_TEST_CHROMIUM to its path); the API reference was not checked in a browser")
		}
	}
	srv := httptest.NewServer(newTestServer(t))
	defer srv.Close()

	dir := t.TempDir()
	netLog := filepath.Join(dir, "net.json")
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		// Without these the browser itself phones home (updates, sync), which would muddy the
		// network log; the page's own requests are told apart below in any case.
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--log-net-log="+netLog,
		"--enable-logging=stderr", "--v=0",
		"--virtual-time-budget=15000",
		"--dump-dom", srv.URL+"/docs")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}

	// Every operation of the document is on the page.
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(docs.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for path := range doc.Paths {
		if !strings.Contains(string(dom), `data-path="`+path+`"`) {
			t.Errorf("rendered reference lacks the operation %s", path)
		}
	}

	for line := range strings.SplitSeq(stderr.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") && (strings.Contains(line, "Content Security Policy") || strings.Contains(line, "Refused") || strings.Contains(line, "Uncaught")) {
			t.Errorf("browser console: %s", line)
		}
	}

	page, _ := url.Parse(srv.URL)
	requested := pageRequests(t, netLog, page.Hostname())
	for _, want := range []string{"/docs", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/init.js", "/openapi.json"} {
		if !slices.Contains(requested, srv.URL+want) {
			t.Errorf("the page did not load %s; it loaded %v", want, requested)
		}
	}
}

// pageRequests returns the URLs the page requested, read from Chromium's network log, and fails
// the test for any that went to another host. A request is the page's when its network
// isolation key names the page's site; the browser's own background requests carry another.
func pageRequests(t *testing.T, path, host string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read network log: %v", err)
	}
	var log struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int `json:"type"`
			Params struct {
				URL string `json:"url"`
				NIK string `json:"network_isolation_key"`
			} `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatalf("parse network log: %v", err)
	}
	start, ok := log.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		t.Fatal("network log has no URL_REQUEST_START_JOB events")
	}
	var urls []string
	for _, e := range log.Events {
		if e.Type != start || !strings.Contains(e.Params.NIK, "://"+host) {
			continue
		}
		u, err := url.Parse(e.Params.URL)
		if err != nil || (u.Hostname() != host && u.Scheme != "data") {
			t.Errorf("the page requested %s, which is not on %s", e.Params.URL, host)
		}
		urls = append(urls, e.Params.URL)
	}
	return urls
}
