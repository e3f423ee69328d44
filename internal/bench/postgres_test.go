package main

import (
	"net/http"
	"os"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestDatabaseURL(t *testing.T) {
	tests := []struct {
		admin, want string
	}{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://postgres@127.0.0.1:5432/folio_bench_x?sslmode=disable"},
		{"postgres://u:p%40ss@db.example:5433", "postgres://u:p%40ss@db.example:5433/folio_bench_x"},
	}
	for _, tt := range tests {
		got, err := pgServer{admin: tt.admin}.databaseURL("folio_bench_x")
		if err != nil || got != tt.want {
			t.Errorf("databaseURL(%q) = %q, %v, want %q", tt.admin, got, err, tt.want)
		}
	}
	if got, want := (pgServer{admin: "postgres://u:secret@db.example/test?sslmode=disable"}).redacted(), "postgres://u:xxxxx@db.example"; got != want {
		t.Errorf("redacted() = %q, want %q", got, want)
	}
}

// TestAlternate checks that the replicas get the requests in turn, each with its own base.
func TestAlternate(t *testing.T) {
	servers := []*target{{base: "http://127.0.0.1:1"}, {base: "http://127.0.0.1:2"}}
	tr := alternate(vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: "http://127.0.0.1:1/api/v1/items"}), servers)
	counts := map[string]int{}
	for range 10 {
		var tgt vegeta.Target
		if err := tr(&tgt); err != nil {
			t.Fatal(err)
		}
		counts[tgt.URL]++
	}
	if counts["http://127.0.0.1:1/api/v1/items"] != 5 || counts["http://127.0.0.1:2/api/v1/items"] != 5 {
		t.Errorf("requests per URL = %v, want 5 each", counts)
	}
}

func TestCPUTicks(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if _, err := cpuTicks(os.Getpid()); err != nil {
		t.Errorf("cpuTicks(self): %v", err)
	}
}
