package openapi

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const swagger = `{
  "swagger": "2.0",
  "info": {"title": "t", "version": "1", "license": {"name": "MIT"}},
  "basePath": "/",
  "securityDefinitions": {"BearerAuth": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "a token"}},
  "paths": {
    "/things": {
      "get": {"operationId": "listThings", "summary": "List", "tags": ["things"], "produces": ["application/json"],
        "parameters": [{"name": "limit", "in": "query", "type": "integer", "description": "How many"}],
        "responses": {
          "200": {"description": "ok", "schema": {"$ref": "#/definitions/Thing"}, "headers": {"ETag": {"type": "string"}}},
          "304": {"description": "not modified"},
          "401": {"description": "bad token", "schema": {"$ref": "#/definitions/Problem"}},
          "404": {"description": "missing", "schema": {"$ref": "#/definitions/Problem"}}}},
      "post": {"operationId": "createThing", "summary": "Create", "tags": ["things"], "produces": ["application/json"],
        "security": [{"BearerAuth": []}],
        "responses": {"201": {"description": "created", "schema": {"$ref": "#/definitions/Thing"}},
          "412": {"description": "stale", "schema": {"$ref": "#/definitions/Problem"}}}}
    }
  },
  "definitions": {
    "Thing": {"type": "object", "required": ["name"], "properties": {"created_at": {"type": "string"}, "name": {"type": "string", "example": "A thing"}, "extra": {"type": "object"}}},
    "Problem": {"type": "object", "properties": {"title": {"type": "string"}}}
  }
}`

func TestConvert(t *testing.T) {
	out, err := Convert([]byte(swagger))
	if err != nil {
		t.Fatalf("Convert() error = %v", err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(out)
	if err != nil {
		t.Fatalf("load result: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if s := doc.Components.SecuritySchemes["BearerAuth"].Value; s.Type != "http" || s.Scheme != "bearer" || s.BearerFormat != "JWT" || s.Description != "a token" {
		t.Errorf("BearerAuth = %+v, want an HTTP bearer JWT scheme keeping its description", s)
	}
	list := doc.Paths.Value("/things").Get
	if list.Security == nil || len(*list.Security) != 0 {
		t.Errorf("public operation security = %v, want an explicit empty list", list.Security)
	}
	if create := doc.Paths.Value("/things").Post; create.Security == nil || len(*create.Security) != 1 {
		t.Errorf("secured operation lost its security: %v", create.Security)
	}
	notFound := list.Responses.Value("404").Value
	if notFound.Content.Get("application/problem+json") == nil || notFound.Content.Get("application/json") != nil {
		t.Errorf("404 content = %v, want only application/problem+json", notFound.Content)
	}
	for code, r := range list.Responses.Map() {
		if r.Value.Headers["X-Request-ID"] == nil {
			t.Errorf("response %s does not document X-Request-ID", code)
		}
	}
	// Writes can find the database busy; reads cannot.
	busy := doc.Paths.Value("/things").Post.Responses.Value("503")
	if busy == nil || busy.Value.Content.Get("application/problem+json") == nil || busy.Value.Headers["Retry-After"] == nil {
		t.Errorf("POST 503 = %+v, want a problem with Retry-After", busy)
	}
	if list.Responses.Value("503") != nil {
		t.Error("GET documents a 503 for a busy database")
	}
	// Headers that go with a status, whatever the operation.
	for code, r := range list.Responses.Map() {
		if r.Value.Headers["Cache-Control"] == nil {
			t.Errorf("response %s does not document Cache-Control", code)
		}
	}
	if list.Responses.Value("401").Value.Headers["WWW-Authenticate"] == nil {
		t.Error("401 does not document its challenge")
	}
	if list.Responses.Value("304").Value.Headers["ETag"] == nil {
		t.Error("304 does not document the 200's ETag")
	}
	if doc.Paths.Value("/things").Post.Responses.Value("412").Value.Headers["ETag"] == nil {
		t.Error("412 does not document the current ETag")
	}
	// Examples: a body's from its schema's property examples, an error's a problem of its status.
	if ex := list.Responses.Value("200").Value.Content.Get("application/json").Examples["example"]; ex == nil ||
		ex.Ref != "#/components/examples/Thing" || ex.Value.Value.(map[string]any)["name"] != "A thing" {
		t.Errorf("200 example = %+v, want the shared Thing example with its name", ex)
	}
	if ex := notFound.Content.Get("application/problem+json").Examples["example"]; ex == nil ||
		ex.Value.Value.(map[string]any)["status"] != float64(404) || ex.Value.Value.(map[string]any)["detail"] != "missing" {
		t.Errorf("404 example = %+v, want a 404 problem with the response's description", ex)
	}
	props := doc.Components.Schemas["Thing"].Value.Properties
	if has := props["extra"].Value.AdditionalProperties.Has; has == nil || !*has {
		t.Error("a free-form object property does not say it takes any property")
	}
	if props["created_at"].Value.Format != "date-time" || props["name"].Value.Format != "" {
		t.Errorf("formats: created_at %q, name %q; want date-time and none", props["created_at"].Value.Format, props["name"].Value.Format)
	}
}

func TestConvertRejects(t *testing.T) {
	tests := []struct {
		name, from, to, want string
	}{
		{"missing operation id", `"operationId": "listThings", `, ``, "GET /things: no operation id"},
		{"missing summary", `"summary": "Create", `, ``, "POST /things: no summary"},
		{"missing tag", `"tags": ["things"], "produces": ["application/json"],
        "security"`, `"produces": ["application/json"],
        "security"`, "POST /things: no tag"},
		{"error without problem", `"404": {"description": "missing", "schema": {"$ref": "#/definitions/Problem"}}`,
			`"404": {"description": "missing", "schema": {"$ref": "#/definitions/Thing"}}`, "GET /things 404: an error response must be {object} Problem"},
		{"required property without example", `"name": {"type": "string", "example": "A thing"}`, `"name": {"type": "string"}`, "no example for Thing.name"},
		{"parameter without description", `, "description": "How many"`, ``, "GET /things: parameter limit has no description"},
		{"unknown security scheme", `"BearerAuth": {"type"`, `"Cookie": {"type"`, `security scheme "Cookie" is unknown`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.Replace(swagger, tt.from, tt.to, 1)
			if in == swagger {
				t.Fatal("test input unchanged")
			}
			if _, err := Convert([]byte(in)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Convert() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestSelectableListItems: with select=, a listed item may lack any property but id, so lists
// of items get a schema of their own in which only id is required; single items keep Item.
func TestSelectableListItems(t *testing.T) {
	item := openapi3.NewObjectSchema().
		WithProperty("id", openapi3.NewStringSchema()).
		WithProperty("title", openapi3.NewStringSchema())
	item.Required = []string{"id", "title"}
	list := openapi3.NewObjectSchema().WithProperty("data", openapi3.NewArraySchema())
	list.Properties["data"].Value.Items = &openapi3.SchemaRef{Ref: "#/components/schemas/Item", Value: item}
	doc := &openapi3.T{Components: &openapi3.Components{Schemas: openapi3.Schemas{"Item": item.NewRef(), "ItemList": list.NewRef()}}}
	if err := selectableListItems(doc); err != nil {
		t.Fatal(err)
	}
	listed := doc.Components.Schemas["ListedItem"]
	if listed == nil || !slices.Equal(listed.Value.Required, []string{"id"}) || listed.Value.Properties["title"] == nil {
		t.Fatalf("ListedItem = %+v, want Item's properties with only id required", listed)
	}
	if ref := list.Properties["data"].Value.Items.Ref; ref != "#/components/schemas/ListedItem" {
		t.Errorf("ItemList.data items = %s", ref)
	}
	if !slices.Equal(item.Required, []string{"id", "title"}) {
		t.Errorf("Item's required properties changed: %v", item.Required)
	}
}

// TestConvertIsStable converts the API's own Swagger document several times: the output must not
// depend on map order, or `make docs-check` would fail at random.
func TestConvertIsStable(t *testing.T) {
	in, err := os.ReadFile("../../docs/swagger.json")
	if err != nil {
		t.Fatal(err)
	}
	first, err := Convert(in)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if again, _ := Convert(in); !bytes.Equal(again, first) {
			t.Fatal("two conversions of the same document differ")
		}
	}
}
