package openapi

import (
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
        "responses": {
          "200": {"description": "ok", "schema": {"$ref": "#/definitions/Thing"}},
          "404": {"description": "missing", "schema": {"$ref": "#/definitions/Problem"}}}},
      "post": {"operationId": "createThing", "summary": "Create", "tags": ["things"], "produces": ["application/json"],
        "security": [{"BearerAuth": []}],
        "responses": {"201": {"description": "created", "schema": {"$ref": "#/definitions/Thing"}}}}
    }
  },
  "definitions": {
    "Thing": {"type": "object", "properties": {"created_at": {"type": "string"}, "name": {"type": "string"}}},
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
	props := doc.Components.Schemas["Thing"].Value.Properties
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
