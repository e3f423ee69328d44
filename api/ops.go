package api

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/content"
)

// Status is the body of the health and readiness probes.
type Status struct {
	Status string `json:"status" example:"ok"`
} //	@name	Status

// healthz answers while the process is alive.
//
//	@Summary		Liveness probe
//	@Description	Answers 200 while the process runs. It does not touch the database, so a busy or unreachable database does not get the process restarted.
//	@ID				getHealth
//	@Tags			operations
//	@Produce		json
//	@Success		200	{object}	Status
//	@Router			/healthz [get]
func healthz() echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.JSON(http.StatusOK, Status{Status: "ok"})
	}
}

// readyTimeout bounds the readiness probe's database query.
const readyTimeout = 2 * time.Second

// readyz answers when the database answers a query.
//
//	@Summary		Readiness probe
//	@Description	Answers 200 when the database answers a query within 2 seconds, 503 otherwise. Route traffic to a process only while it is ready.
//	@ID				getReadiness
//	@Tags			operations
//	@Produce		json
//	@Success		200	{object}	Status
//	@Failure		503	{object}	Problem	"The database does not answer"
//	@Router			/readyz [get]
func readyz(logger *slog.Logger, ping func(context.Context) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
		defer cancel()
		if err := ping(ctx); err != nil {
			logger.WarnContext(ctx, "not ready", "error", err)
			return NewProblem(http.StatusServiceUnavailable, "The database does not answer.")
		}
		return c.JSON(http.StatusOK, Status{Status: "ready"})
	}
}

// openAPIDocument serves the OpenAPI document: the part generated from the handlers'
// annotations, embedded at build time, plus a schema per content type for its fields
// (<Type>Fields), made from the types as they are now and rebuilt when one changes.
//
//	@Summary		OpenAPI document
//	@Description	This API's OpenAPI 3.0 document, the contract the server is tested against. Generate clients from it. Its components include one schema per content type for the type's fields, such as EventFields, as the types are defined now.
//	@ID				getOpenAPIDocument
//	@Tags			operations
//	@Produce		json
//	@Param			If-None-Match	header		string					false	"An ETag from an earlier response; a match gets 304"
//	@Success		200				{object}	map[string]interface{}	"The OpenAPI 3.0 document"
//	@Header			200				{string}	ETag					"Identifies this version of the document"
//	@Header			200				{string}	Cache-Control			"public, max-age=60: caches may keep it a minute"
//	@Success		304				"Not modified since the ETag given"
//	@Router			/openapi.json [get]
func openAPIDocument(logger *slog.Logger, static []byte, items *content.Store) echo.HandlerFunc {
	var (
		mu      sync.Mutex
		version = "none"
		doc     = static
		tag     = bodyETag(static)
	)
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		if items != nil {
			v, err := items.TypesVersion(ctx)
			if err != nil {
				return err
			}
			mu.Lock()
			if v != version {
				types, err := items.Types(ctx)
				if err == nil {
					if b, err := withTypeSchemas(static, types); err == nil {
						doc, tag, version = b, bodyETag(b), v
					} else {
						logger.ErrorContext(ctx, "add type schemas to the OpenAPI document", "error", err)
					}
				}
			}
			d, t := doc, tag
			mu.Unlock()
			return serveDocument(c, d, t)
		}
		return serveDocument(c, doc, tag)
	}
}

func serveDocument(c echo.Context, doc []byte, tag string) error {
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "public, max-age=60")
	h.Set(headerETag, tag)
	if noneMatch(c.Request().Header.Get("If-None-Match"), tag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc)
}

// withTypeSchemas adds to an OpenAPI document a schema for each type's fields.
func withTypeSchemas(static []byte, types []content.Type) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(static, &doc); err != nil {
		return nil, err
	}
	components, _ := doc["components"].(map[string]any)
	if components == nil {
		components = map[string]any{}
		doc["components"] = components
	}
	schemas, _ := components["schemas"].(map[string]any)
	if schemas == nil {
		schemas = map[string]any{}
		components["schemas"] = schemas
	}
	for _, t := range types {
		schemas[typeSchemaName(t.Key)] = fieldsSchema(&t)
	}
	return json.MarshalIndent(doc, "", "  ")
}

// typeSchemaName is the schema name of a type's fields: event → EventFields.
func typeSchemaName(key string) string {
	var b strings.Builder
	for part := range strings.FieldsFuncSeq(key, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Fields"
}

// fieldsSchema is the JSON schema of a type's fields object.
func fieldsSchema(t *content.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for _, d := range t.Defs() {
		props[d.Name] = fieldSchema(d)
		if d.Required {
			required = append(required, d.Name)
		}
	}
	s := map[string]any{
		"type": "object", "properties": props, "additionalProperties": false,
		"description": "The fields of items of the type " + t.Key + " (" + t.Name + ").",
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func fieldSchema(d content.FieldDef) map[string]any {
	str := func(format string) map[string]any {
		s := map[string]any{"type": "string"}
		if format != "" {
			s["format"] = format
		}
		if d.MinLength != nil {
			s["minLength"] = *d.MinLength
		}
		if d.MaxLength != nil {
			s["maxLength"] = *d.MaxLength
		}
		if d.Pattern != "" {
			s["pattern"] = d.Pattern
		}
		return s
	}
	var s map[string]any
	switch d.Kind {
	case content.KindNumber, content.KindInteger:
		s = map[string]any{"type": d.Kind}
		if d.Min != nil {
			s["minimum"] = *d.Min
		}
		if d.Max != nil {
			s["maximum"] = *d.Max
		}
	case content.KindBoolean:
		s = map[string]any{"type": "boolean"}
	case content.KindDate:
		s = str("date")
	case content.KindDatetime:
		s = str("date-time")
	case content.KindURL:
		s = str("uri")
	case content.KindEmail:
		s = str("email")
	case content.KindEnum:
		s = map[string]any{"type": "string", "enum": d.Values}
	case content.KindList:
		s = map[string]any{"type": "array", "items": str("")}
	case content.KindReference:
		s = str("uuid")
		s["description"] = "The id of an item"
	default: // text, markdown
		s = str("")
	}
	if d.Description != "" {
		s["description"] = d.Description
	}
	s["nullable"] = true // null removes an optional value
	return s
}

// docsPage serves the interactive API reference.
//
//	@Summary		Interactive API reference
//	@Description	An HTML page that renders the OpenAPI document with Swagger UI. Everything it loads comes from this server.
//	@ID				getDocs
//	@Tags			operations
//	@Produce		html
//	@Success		200	{string}	string	"The reference page"
//	@Header			200	{string}	Cache-Control	"no-cache: a browser checks for a newer reference each time"
//	@Router			/docs [get]
func docsPage(files fs.FS, csp string) echo.HandlerFunc {
	return func(c echo.Context) error {
		return serveDocsFile(c, files, "index.html", csp, "no-cache")
	}
}

// docsAsset serves the scripts, styles and images of the API reference.
//
//	@Summary		API reference asset
//	@Description	A script, style sheet or image of the interactive API reference.
//	@ID				getDocsAsset
//	@Tags			operations
//	@Produce		text/javascript,text/css,image/png
//	@Param			file	path		string	true	"File name, such as swagger-ui.css"
//	@Success		200		{file}		binary	"The file"
//	@Header			200		{string}	Cache-Control	"public, max-age=3600"
//	@Failure		404		{object}	Problem	"No such file"
//	@Router			/docs/{file} [get]
func docsAsset(files fs.FS, csp string) echo.HandlerFunc {
	return func(c echo.Context) error {
		name := c.Param("file")
		// Our own files sit at the top, the vendored ones in swagger-ui/; a name is one path
		// element naming a file, so no request can reach beyond these two folders or list them.
		if !fs.ValidPath(name) || name == "." || name != path.Base(name) || name == "index.html" {
			return echo.ErrNotFound
		}
		for _, p := range []string{name, "swagger-ui/" + name} {
			if st, err := fs.Stat(files, p); err == nil && !st.IsDir() {
				// The vendored files change only with Folio's version; an hour keeps reloads cheap.
				return serveDocsFile(c, files, p, csp, "public, max-age=3600")
			}
		}
		return echo.ErrNotFound
	}
}

func serveDocsFile(c echo.Context, files fs.FS, name, csp, cacheControl string) error {
	b, err := fs.ReadFile(files, name)
	if err != nil {
		return err
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = echo.MIMEOctetStream
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", csp)
	h.Set(echo.HeaderCacheControl, cacheControl)
	return c.Blob(http.StatusOK, ct, b)
}
