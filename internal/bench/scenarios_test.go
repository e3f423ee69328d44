package main

import "testing"

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
