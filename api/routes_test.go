package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

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
		if r.Method == http.MethodHead {
			continue // every read answers HEAD too (get, routes.go); the document says so once
		}
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

// TestDocumentIsComplete holds every operation of the published document to what an integrator
// needs from it: an operationId, a summary and a tag; parameters described; an example for every
// JSON body sent or received; and, for every operation that takes input, its error responses.
// (The conversion refuses a document without these; this checks the committed one.)
func TestDocumentIsComplete(t *testing.T) {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("%s: operationId %q, summary %q, tags %v", where, op.OperationID, op.Summary, op.Tags)
			}
			for _, p := range op.Parameters {
				if strings.TrimSpace(p.Value.Description) == "" {
					t.Errorf("%s: parameter %s has no description", where, p.Value.Name)
				}
			}
			if op.RequestBody != nil {
				for name, mt := range op.RequestBody.Value.Content {
					if len(mt.Examples) == 0 {
						t.Errorf("%s: request body %s has no example", where, name)
					}
				}
			}
			errorsDocumented := false
			for code, resp := range op.Responses.Map() {
				errorsDocumented = errorsDocumented || code[0] == '4'
				for name, mt := range resp.Value.Content {
					object := mt.Schema.Value.Type.Is("object") && len(mt.Schema.Value.Properties) > 0
					if strings.HasSuffix(name, "json") && object && len(mt.Examples) == 0 {
						t.Errorf("%s: response %s %s has no example", where, code, name)
					}
				}
			}
			// If-None-Match alone cannot make a request wrong: a tag that matches nothing gets 200.
			takesInput := op.RequestBody != nil || len(item.Parameters) > 0 ||
				slices.ContainsFunc(op.Parameters, func(p *openapi3.ParameterRef) bool { return p.Value.Name != "If-None-Match" })
			if takesInput && !errorsDocumented {
				t.Errorf("%s takes input but documents no 4xx response", where)
			}
		}
	}
}
