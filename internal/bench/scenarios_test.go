package main

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRecase(t *testing.T) {
	tests := []struct {
		q    string
		k    int
		want string
		ok   bool
	}{
		{"gre", 0, "gre", true},
		{"gre", 1, "Gre", true},
		{"gre", 5, "GrE", true},
		{"gre", 7, "GRE", true},
		{"gre", 8, "", false},
		{"gre cot", 8, "gre Cot", true},
	}
	for _, tt := range tests {
		got, ok := recase(tt.q, tt.k)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("recase(%q, %d) = %q, %v, want %q, %v", tt.q, tt.k, got, ok, tt.want, tt.ok)
		}
	}
	seen := map[string]bool{}
	for k := range 64 {
		q, ok := recase("gre cot", k)
		if !ok || seen[q] {
			t.Fatalf("recase(%q, %d) = %q, %v: not a new variant", "gre cot", k, q, ok)
		}
		seen[q] = true
	}
	if !seen["GRE COT"] {
		t.Error("no variant in capitals")
	}
}

// TestCounters: the counters are read from the text format by name, summed over the servers,
// with the token sent; labelled series and other lines are left out.
func TestCounters(t *testing.T) {
	page := `# HELP folio_db_writes_total Writes.
# TYPE folio_db_writes_total counter
folio_db_writes_total 1200
folio_db_write_busy_seconds_total 9.5
folio_http_requests_total{method="GET",route="/healthz",status="200"} 3
folio_response_cache_bytes 4096
`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" || r.Header.Get("Authorization") != "Bearer secret" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, page)
	}))
	defer srv.Close()
	server := &target{base: srv.URL, client: srv.Client()}

	got, err := counters(t.Context(), []*target{server, server}, "secret")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"folio_db_writes_total": 2400, "folio_db_write_busy_seconds_total": 19}
	if !maps.Equal(got, want) {
		t.Errorf("counters = %v, want %v", got, want)
	}
	if _, err := counters(t.Context(), []*target{server}, "wrong"); err == nil {
		t.Error("counters with a wrong token: no error")
	}
}
