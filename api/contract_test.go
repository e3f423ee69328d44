package api

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/foliocms/folio/docs"
)

// The contract: every request a test sends through testServer.do, and its answer, is checked
// against the OpenAPI document the server publishes, so every handler test is also a contract
// test. TestContract (contract_cases_test.go) adds a case for every status of every operation.

// contract is the published document, made stricter for checking: objects that list their
// properties accept no others, so a property the document does not have fails a test.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	// The API reference's page and files are not JSON; the checker takes their bytes as they are.
	for _, mt := range []string{"text/html", "text/javascript", "text/css", "image/png"} {
		openapi3filter.RegisterBodyDecoder(mt, openapi3filter.FileBodyDecoder)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(docs.OpenAPI)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	closeObjects(doc)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &contract{doc: doc, router: router}, nil
})

// closeObjects sets additionalProperties: false on every object schema that lists properties and
// says nothing about others. The published document leaves them open on purpose: a client
// should accept properties a later version adds. The server must not send any it does not
// document today.
func closeObjects(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil && len(s.AllOf) == 0 {
			s.AdditionalProperties.Has = openapi3.Ptr(false)
		}
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, r := range group {
				walk(r)
			}
		}
	}
	for _, s := range doc.Components.Schemas {
		walk(s)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					walk(mt.Schema)
				}
			}
			for _, resp := range op.Responses.Map() {
				if resp.Value != nil {
					for _, mt := range resp.Value.Content {
						walk(mt.Schema)
					}
				}
			}
		}
	}
}

// everyResponseHeaders are the headers that every response carries alike, set by the HTTP
// server, the security middleware (securityHeaders) or CORS: they say nothing about an
// operation, and the document leaves them to HTTP and to the Fetch standard. Any other header
// a response carries must be documented on that response.
var everyResponseHeaders = []string{
	"Content-Length", "Content-Type", "Date", "Vary",
	"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Content-Security-Policy",
	"Cross-Origin-Opener-Policy",
	"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers",
	"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age",
}

// bearerPresent is the checker's view of the security schemes: a bearer scheme is satisfied by
// a bearer credential; whether the credential is good is the server's business, tested apart.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, _, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if strings.EqualFold(scheme, "Bearer") {
		return nil
	}
	return errors.New("no bearer credentials")
}

// check holds one exchange to the document: the operation exists (or the router answered 404
// or 405 itself); a request the server accepted is one the document allows; the status, headers,
// media type and body of the response are documented.
func (c *contract) check(t testing.TB, req *http.Request, reqBody []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	where := req.Method + " " + req.URL.RequestURI()
	if req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "" {
		return // a CORS preflight, answered by the CORS middleware for every route alike
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("contract: %s is not in the OpenAPI document, yet it was answered %d", where, rec.Code)
		}
		return
	}
	opts := &openapi3filter.Options{AuthenticationFunc: bearerPresent, IncludeResponseStatus: true, MultiError: true}
	checked := req.Clone(req.Context())
	checked.Body = io.NopCloser(bytes.NewReader(reqBody))
	// The server takes any JSON media type (application/merge-patch+json, …); the document
	// names application/json, the one clients send.
	if mt := checked.Header.Get("Content-Type"); strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json") {
		checked.Header.Set("Content-Type", "application/json")
	}
	in := &openapi3filter.RequestValidationInput{Request: checked, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil && rec.Code < 400 {
		t.Errorf("contract: %s was answered %d, but the document does not allow the request: %v", where, rec.Code, err)
	}
	// The validator skips a 304 whole; its status must be documented all the same.
	if route.Operation.Responses.Status(rec.Code) == nil {
		t.Errorf("contract: %s answered %d, a status the document does not give it", where, rec.Code)
		return
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(), Options: opts}
	out.SetBodyBytes(rec.Body.Bytes())
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		t.Errorf("contract: %s answered %d, not as documented: %v\nbody: %.500s", where, rec.Code, err, rec.Body)
		return
	}
	if bad := c.undocumentedHeaders(route.Operation, rec); len(bad) > 0 {
		t.Errorf("contract: %s answered %d with headers the document does not give it: %v", where, rec.Code, bad)
	}
}

func (c *contract) undocumentedHeaders(op *openapi3.Operation, rec *httptest.ResponseRecorder) []string {
	resp := op.Responses.Status(rec.Code)
	var bad []string
	for name, values := range rec.Header() {
		if slices.ContainsFunc(everyResponseHeaders, func(h string) bool { return strings.EqualFold(h, name) }) {
			continue
		}
		documented := false
		if resp != nil && resp.Value != nil {
			for h := range resp.Value.Headers {
				documented = documented || strings.EqualFold(h, name)
			}
		}
		if !documented {
			bad = append(bad, fmt.Sprintf("%s: %s", name, strings.Join(values, ", ")))
		}
	}
	slices.Sort(bad)
	return bad
}

// TestContractCatchesDrift feeds the checker answers that stray from the document in each way
// the contract forbids, and answers that keep to it.
func TestContractCatchesDrift(t *testing.T) {
	c, err := loadContract()
	if err != nil {
		t.Fatal(err)
	}
	tag := `{"slug":"india","name":"India","group":null,"version":1,"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}`
	tests := []struct {
		name    string
		path    string // GET /api/v1/tags/india when empty
		status  int
		headers []string
		body    string
		want    string // in the error; none when empty
	}{
		{"as documented", "", 200, []string{"Content-Type", "application/json", "X-Request-ID", "r1", "ETag", `"v1"`}, tag, ""},
		{"an undocumented status", "", 418, []string{"Content-Type", "application/problem+json", "X-Request-ID", "r1"}, `{}`, "a status the document does not give it"},
		{"an undocumented 304", "/healthz", 304, []string{"X-Request-ID", "r1"}, ``, "a status the document does not give it"},
		{"an undocumented property", "", 200, []string{"Content-Type", "application/json", "X-Request-ID", "r1"},
			strings.Replace(tag, `"version"`, `"secret":"x","version"`, 1), `property "secret" is unsupported`},
		{"a missing property", "", 200, []string{"Content-Type", "application/json", "X-Request-ID", "r1"},
			strings.Replace(tag, `"name":"India",`, ``, 1), `property "name" is missing`},
		{"an undocumented header", "", 200, []string{"Content-Type", "application/json", "X-Request-ID", "r1", "X-Powered-By", "PHP"}, tag, "X-Powered-By"},
		{"an undocumented media type", "", 200, []string{"Content-Type", "text/html", "X-Request-ID", "r1"}, tag, "Content-Type"},
		{"a missing required header", "", 200, []string{"Content-Type", "application/json"}, tag, "X-Request-ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := cmp.Or(tt.path, "/api/v1/tags/india")
			req := httptest.NewRequest(http.MethodGet, path, nil)
			rec := httptest.NewRecorder()
			for i := 0; i+1 < len(tt.headers); i += 2 {
				rec.Header().Set(tt.headers[i], tt.headers[i+1])
			}
			rec.WriteHeader(tt.status)
			rec.WriteString(tt.body)
			spy := &errorSpy{TB: t}
			c.check(spy, req, nil, rec)
			switch {
			case tt.want == "" && spy.errors != "":
				t.Errorf("an answer as documented failed the check: %s", spy.errors)
			case tt.want != "" && !strings.Contains(spy.errors, tt.want):
				t.Errorf("check errors = %q, want one about %q", spy.errors, tt.want)
			}
		})
	}
}

// errorSpy keeps what a check reports instead of failing the test.
type errorSpy struct {
	testing.TB
	errors string
}

func (s *errorSpy) Helper() {}

func (s *errorSpy) Errorf(format string, args ...any) {
	s.errors += fmt.Sprintf(format, args...) + "\n"
}
