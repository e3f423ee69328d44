// Package openapi turns the Swagger 2.0 document that swag generates from the handlers'
// annotations into the OpenAPI 3.0 document Folio serves and integrators generate clients from.
//
// swag speaks only Swagger 2.0, which cannot say several things the API does: bearer
// authentication, a different media type for errors than for successes, nullable values. The
// conversion (kin-openapi's openapi2conv) and the fix-ups below close those gaps, and refuse a
// document that lacks what every operation must have.
package openapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// ProblemMediaType is the media type of every error response (RFC 9457).
const ProblemMediaType = "application/problem+json"

// anonymous is the name of the pseudo security scheme that marks optional credentials.
const anonymous = "Anonymous"

// Bearer security schemes: the Swagger 2.0 name, and what it becomes.
var bearerSchemes = map[string]*openapi3.SecurityScheme{
	"BearerAuth":   {Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
	"MetricsToken": {Type: "http", Scheme: "bearer"},
}

// Convert converts a Swagger 2.0 document to OpenAPI 3.0.3, applies Folio's fix-ups, validates
// the result and returns it as indented JSON.
func Convert(swagger []byte) ([]byte, error) {
	var doc2 openapi2.T
	if err := json.Unmarshal(swagger, &doc2); err != nil {
		return nil, fmt.Errorf("read swagger document: %w", err)
	}
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("convert to OpenAPI 3: %w", err)
	}
	doc.OpenAPI = "3.0.3"
	if err := fixSecuritySchemes(doc); err != nil {
		return nil, err
	}
	requestID := addRequestIDHeader(doc)
	fixDateTimes(doc)
	openFreeFormObjects(doc)
	if err := fixOperations(doc, requestID); err != nil {
		return nil, err
	}
	addResponseHeaders(doc)
	if err := selectableListItems(doc); err != nil {
		return nil, err
	}
	if err := addExamples(doc); err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("converted document is invalid: %w", err)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// fixSecuritySchemes replaces the apiKey-in-header stand-ins that Swagger 2.0 forces on us with
// proper HTTP bearer schemes, keeping their descriptions.
func fixSecuritySchemes(doc *openapi3.T) error {
	for name, ref := range doc.Components.SecuritySchemes {
		want, ok := bearerSchemes[name]
		if !ok {
			return fmt.Errorf("security scheme %q is unknown to the converter", name)
		}
		s := *want
		if ref.Value != nil {
			s.Description = ref.Value.Description
		}
		ref.Value = &s
	}
	return nil
}

const requestIDHeader = "X-Request-ID"

// addRequestIDHeader documents the X-Request-ID header that every response carries.
// It returns a reference to the header for the responses to use.
func addRequestIDHeader(doc *openapi3.T) *openapi3.HeaderRef {
	if doc.Components.Headers == nil {
		doc.Components.Headers = openapi3.Headers{}
	}
	h := &openapi3.Header{Parameter: openapi3.Parameter{
		Description: "The request's id: the client's own when it sent a well-formed one (at most 128 characters of A-Z, a-z, 0-9, '.', '_' and '-'), otherwise one the server made. Quote it when reporting a problem.",
		Required:    true,
		Schema:      openapi3.NewStringSchema().WithMaxLength(128).NewRef(),
	}}
	doc.Components.Headers[requestIDHeader] = &openapi3.HeaderRef{Value: h}
	return &openapi3.HeaderRef{Ref: "#/components/headers/" + requestIDHeader, Value: h}
}

// openFreeFormObjects says of every object property that lists no properties (an item's fields,
// the OpenAPI document itself) that it takes any: a bare "type: object" reads as an empty object
// to some generators (openapi-typescript makes it Record<string, never>).
func openFreeFormObjects(doc *openapi3.T) {
	for _, s := range doc.Components.Schemas {
		for _, p := range s.Value.Properties {
			v := p.Value
			if p.Ref == "" && v.Type.Is("object") && len(v.Properties) == 0 && v.AdditionalProperties.Has == nil && v.AdditionalProperties.Schema == nil {
				v.AdditionalProperties.Has = openapi3.Ptr(true)
			}
		}
	}
}

// fixDateTimes gives every timestamp property (named *_at) the date-time format, which swag
// does not derive from time.Time; generated clients then parse them as times.
func fixDateTimes(doc *openapi3.T) {
	for _, s := range doc.Components.Schemas {
		if s.Value == nil {
			continue
		}
		for name, p := range s.Value.Properties {
			if p.Value != nil && strings.HasSuffix(name, "_at") && p.Value.Type.Is("string") && p.Value.Format == "" {
				p.Value.Format = "date-time"
			}
		}
	}
}

// fixOperations checks that every operation is documented well enough to generate a client
// from, marks public operations as such, and gives error responses the problem media type.
func fixOperations(doc *openapi3.T, requestID *openapi3.HeaderRef) error {
	var errs []error
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		methods := item.Operations()
		for _, method := range slices.Sorted(maps.Keys(methods)) {
			op := methods[method]
			where := method + " " + path
			for _, p := range op.Parameters {
				if p.Value != nil && strings.TrimSpace(p.Value.Description) == "" {
					errs = append(errs, fmt.Errorf("%s: parameter %s has no description", where, p.Value.Name))
				}
			}
			switch {
			case op.OperationID == "":
				errs = append(errs, fmt.Errorf("%s: no operation id (add @ID)", where))
			case op.Summary == "":
				errs = append(errs, fmt.Errorf("%s: no summary (add @Summary)", where))
			case len(op.Tags) == 0:
				errs = append(errs, fmt.Errorf("%s: no tag (add @Tags)", where))
			}
			if op.Security == nil {
				// Say explicitly that the operation needs no credentials, rather than leave
				// readers and linters to guess.
				op.Security = openapi3.NewSecurityRequirements()
			}
			// "@Security Anonymous" beside another scheme marks credentials as optional; OpenAPI
			// says that with an empty requirement, which swag cannot write.
			for i, req := range *op.Security {
				if _, ok := req[anonymous]; ok && len(req) == 1 {
					(*op.Security)[i] = openapi3.SecurityRequirement{}
				}
			}
			if op.RequestBody != nil {
				addBodyErrors(op, problemRef(doc))
			}
			if method != http.MethodGet && method != http.MethodHead {
				addBusy(op, problemRef(doc))
			}
			for code, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				if resp.Value.Headers == nil {
					resp.Value.Headers = openapi3.Headers{}
				}
				resp.Value.Headers[requestIDHeader] = requestID
				if n, err := strconv.Atoi(code); err == nil && n >= 400 {
					if err := useProblemMediaType(resp.Value); err != nil {
						errs = append(errs, fmt.Errorf("%s %s: %w", where, code, err))
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}

// useProblemMediaType serves an error response's schema as application/problem+json, whatever
// media type the operation produces on success (swag gives all responses the same ones).
func useProblemMediaType(resp *openapi3.Response) error {
	for _, mt := range resp.Content {
		if mt.Schema != nil && mt.Schema.Ref == "#/components/schemas/Problem" {
			resp.Content = openapi3.Content{ProblemMediaType: mt}
			return nil
		}
	}
	return errors.New("an error response must be {object} Problem")
}

// addBodyErrors documents the answers every operation with a request body can give before its
// handler runs: 413 for a body over the limit and 415 for one that is not JSON.
func addBodyErrors(op *openapi3.Operation, problem *openapi3.SchemaRef) {
	for code, desc := range map[int]string{
		413: "The body is larger than the server's limit (FOLIO_BODY_LIMIT)",
		415: "The body is not JSON (Content-Type must be application/json or a +json type)",
	} {
		if op.Responses.Status(code) != nil {
			continue
		}
		d := desc
		op.Responses.Set(strconv.Itoa(code), &openapi3.ResponseRef{Value: &openapi3.Response{
			Description: &d,
			Content:     openapi3.NewContentWithJSONSchemaRef(problem),
		}})
	}
}

// addBusy documents the 503 that any write can answer: SQLite has one writer, and a write that
// waits longer than the busy timeout behind another process's (an import) gives up; so does a
// login when every password-hashing slot stays busy. Reads never wait for a writer.
func addBusy(op *openapi3.Operation, problem *openapi3.SchemaRef) {
	if op.Responses.Status(http.StatusServiceUnavailable) != nil {
		return
	}
	desc := "The server is busy: a long write (such as an import) holds the database, or too many passwords are being checked; try again after Retry-After seconds"
	retry := "Seconds to wait before trying again"
	op.Responses.Set(strconv.Itoa(http.StatusServiceUnavailable), &openapi3.ResponseRef{Value: &openapi3.Response{
		Description: &desc,
		Content:     openapi3.NewContentWithJSONSchemaRef(problem),
		Headers: openapi3.Headers{"Retry-After": &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
			Description: retry,
			Schema:      openapi3.NewIntegerSchema().NewRef(),
		}}}},
	}})
}

// problemRef refers to the Problem schema, which every document with an error response has.
func problemRef(doc *openapi3.T) *openapi3.SchemaRef {
	return &openapi3.SchemaRef{Ref: "#/components/schemas/Problem", Value: doc.Components.Schemas["Problem"].Value}
}

// addResponseHeaders documents the headers that responses carry by their status, whatever the
// operation:
//   - Cache-Control on every response (no-store unless the operation says otherwise; private,
//     no-store for an answer made for a signed-in caller);
//   - WWW-Authenticate on a 401, the bearer challenge (RFC 6750);
//   - ETag on a 412, naming the version the resource has now, so a client can fetch it;
//   - on a 304, the caching headers of the operation's 200, which a cache refreshes from it.
func addResponseHeaders(doc *openapi3.T) {
	cacheControl := &openapi3.HeaderRef{Ref: "#/components/headers/Cache-Control", Value: &openapi3.Header{Parameter: openapi3.Parameter{
		Description: "How the response may be kept: no-store, or private, no-store for an answer made for a signed-in caller, unless the response says otherwise.",
		Schema:      openapi3.NewStringSchema().NewRef(),
	}}}
	doc.Components.Headers["Cache-Control"] = &openapi3.HeaderRef{Value: cacheControl.Value}
	challenge := &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
		Description: `The bearer challenge (RFC 6750): Bearer realm="folio" (realm="metrics" on /metrics), with error="invalid_token" when an access token was given but refused.`,
		Required:    true,
		Schema:      openapi3.NewStringSchema().NewRef(),
	}}}
	current := &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
		Description: "The ETag of the version the resource has now.",
		Schema:      openapi3.NewStringSchema().NewRef(),
	}}}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ok := op.Responses.Status(http.StatusOK)
			for code, resp := range op.Responses.Map() {
				h := resp.Value.Headers
				switch code {
				case "401":
					h["WWW-Authenticate"] = challenge
				case "412":
					h["ETag"] = current
				case "304":
					if ok != nil {
						for name, header := range ok.Value.Headers {
							if h[name] == nil {
								h[name] = header
							}
						}
					}
				}
				if h["Cache-Control"] == nil {
					h["Cache-Control"] = cacheControl
				}
			}
		}
	}
}

// selectableListItems gives the items of a list their own schema, ListedItem: an Item whose
// properties are all optional but id, because select= returns only the properties asked for.
// Single items keep Item, where every property is present.
func selectableListItems(doc *openapi3.T) error {
	list, item := doc.Components.Schemas["ItemList"], doc.Components.Schemas["Item"]
	if list == nil || item == nil {
		return nil // a document without items (the converter's own tests)
	}
	data := list.Value.Properties["data"]
	if data == nil || data.Value.Items == nil || data.Value.Items.Ref != "#/components/schemas/Item" {
		return errors.New("ItemList.data is not a list of Item")
	}
	listed := *item.Value
	listed.Required = []string{"id"}
	listed.Description = "An item in a list: every property of Item, but with select= only the properties selected, and id."
	doc.Components.Schemas["ListedItem"] = listed.NewRef()
	data.Value.Items = &openapi3.SchemaRef{Ref: "#/components/schemas/ListedItem", Value: &listed}
	return nil
}

// addExamples gives every JSON request and response body an example, so that the reference
// shows one and mock servers and client tests have one: built from the schemas' own property
// examples (the example:"…" of the Go structs), shared through components/examples per schema,
// and, for errors, a problem of the response's own status. A required property with no example
// fails the conversion: the examples stay complete as the structs grow.
func addExamples(doc *openapi3.T) error {
	if doc.Components.Examples == nil {
		doc.Components.Examples = openapi3.Examples{}
	}
	var missing []string
	shared := func(ref *openapi3.SchemaRef) *openapi3.ExampleRef {
		if ref == nil || ref.Value == nil {
			return nil
		}
		name, named := strings.CutPrefix(ref.Ref, "#/components/schemas/")
		if named && doc.Components.Examples[name] != nil {
			return &openapi3.ExampleRef{Ref: "#/components/examples/" + name, Value: doc.Components.Examples[name].Value}
		}
		where := cmp.Or(name, "an inline schema")
		value := exampleOf(ref, where, &missing, 0)
		ex := &openapi3.Example{Value: value}
		if !named {
			return &openapi3.ExampleRef{Value: ex}
		}
		ex.Summary = "An example " + name
		doc.Components.Examples[name] = &openapi3.ExampleRef{Value: ex}
		return &openapi3.ExampleRef{Ref: "#/components/examples/" + name, Value: ex}
	}
	// In a fixed order, so that the numbered problem examples are numbered alike on every run.
	paths := doc.Paths.InMatchingOrder()
	slices.Sort(paths)
	for _, path := range paths {
		ops := doc.Paths.Value(path).Operations()
		for _, method := range slices.Sorted(maps.Keys(ops)) {
			op := ops[method]
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				for _, mt := range op.RequestBody.Value.Content {
					setExample(mt, shared(mt.Schema))
				}
			}
			responses := op.Responses.Map()
			for _, code := range slices.Sorted(maps.Keys(responses)) {
				resp := responses[code]
				for name, mt := range resp.Value.Content {
					switch {
					case name == ProblemMediaType:
						setExample(mt, problemExample(doc, code, resp.Value))
					case strings.HasSuffix(name, "json") && mt.Schema != nil && mt.Schema.Value.Type.Is("object") && len(mt.Schema.Value.Properties) > 0:
						setExample(mt, shared(mt.Schema))
					}
				}
			}
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("examples: no example for %s (add example:\"…\" to the Go struct field)", strings.Join(slices.Compact(missing), ", "))
	}
	return nil
}

func setExample(mt *openapi3.MediaType, ex *openapi3.ExampleRef) {
	if ex == nil || mt.Example != nil || len(mt.Examples) > 0 {
		return
	}
	mt.Examples = openapi3.Examples{"example": ex}
}

// problemExample is a problem of the response's status, its detail the response's description,
// shared by every response of that status with the same description.
func problemExample(doc *openapi3.T, code string, resp *openapi3.Response) *openapi3.ExampleRef {
	status, err := strconv.Atoi(code)
	if err != nil {
		return nil
	}
	detail := ""
	if resp.Description != nil {
		detail = *resp.Description
	}
	name := fmt.Sprintf("Problem%d", status)
	for i := 2; doc.Components.Examples[name] != nil; i++ {
		if doc.Components.Examples[name].Value.Value.(map[string]any)["detail"] == detail {
			return &openapi3.ExampleRef{Ref: "#/components/examples/" + name, Value: doc.Components.Examples[name].Value}
		}
		name = fmt.Sprintf("Problem%d_%d", status, i)
	}
	value := map[string]any{
		"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail,
		"request_id": "01936d3c-7a4e-7b7c-9d59-5a1f0c1e2d3b",
	}
	if status == http.StatusUnprocessableEntity {
		value["errors"] = []any{map[string]any{"field": "title", "message": "must be 1 to 300 characters, not all spaces"}}
	}
	ex := &openapi3.ExampleRef{Value: &openapi3.Example{Summary: fmt.Sprintf("A %d problem", status), Value: value}}
	doc.Components.Examples[name] = ex
	return &openapi3.ExampleRef{Ref: "#/components/examples/" + name, Value: ex.Value}
}

// exampleOf builds a value for the schema from its examples: its own, or its properties'
// (the required ones, and the optional ones that have an example), or its items'. Values a
// format implies stand in for timestamps, ids and emails. What has none is recorded in missing.
func exampleOf(ref *openapi3.SchemaRef, where string, missing *[]string, depth int) any {
	s := ref.Value
	if name, ok := strings.CutPrefix(ref.Ref, "#/components/schemas/"); ok {
		where = name
	}
	switch {
	case s.Example != nil:
		return s.Example
	case len(s.Enum) > 0:
		return s.Enum[0]
	case depth > 8:
		return nil
	case len(s.AllOf) == 1:
		return exampleOf(s.AllOf[0], where, missing, depth+1)
	}
	switch {
	case s.Nullable:
		return nil // an optional value with no example of its own: absent, as it most often is
	case s.Type.Is("object"):
		out := map[string]any{}
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			p := s.Properties[name]
			if slices.Contains(s.Required, name) || hasExample(p) {
				out[name] = exampleOf(p, where+"."+name, missing, depth+1)
			}
		}
		return out
	case s.Type.Is("array"):
		if s.Items == nil {
			return []any{}
		}
		return []any{exampleOf(s.Items, where+"[]", missing, depth+1)}
	case s.Type.Is("string"):
		switch s.Format {
		case "date-time":
			return "2020-05-15T09:00:00Z"
		case "uuid":
			return "0193d5b4-6f1e-7c3a-9a57-2f4d8b1c0e9a"
		case "email":
			return "editor@example.com"
		}
	case s.Type.Is("boolean"):
		return false
	}
	*missing = append(*missing, where)
	return nil
}

// hasExample reports whether the schema has an example of its own or of its only allOf.
func hasExample(ref *openapi3.SchemaRef) bool {
	s := ref.Value
	return s.Example != nil || (len(s.AllOf) == 1 && s.AllOf[0].Value.Example != nil)
}
