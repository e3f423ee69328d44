package api

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/foliocms/folio/docs"
)

// TestRoutesMatchDocument keeps routes.go and the OpenAPI document in step: every route is
// documented, and every documented operation has a route. (The document is regenerated from the
// handlers' annotations by `make docs`; `make docs-check` fails when it is stale.)
func TestRoutesMatchDocument(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(docs.OpenAPI, &doc); err != nil {
		t.Fatalf("parse document: %v", err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	var routed []string
	for _, r := range newTestServer(t).Routes() {
		routed = append(routed, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
	}
	slices.Sort(documented)
	slices.Sort(routed)
	for _, r := range routed {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in the OpenAPI document (annotate its handler and run make docs)", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routed, d) {
			t.Errorf("documented operation %s has no route", d)
		}
	}
}
