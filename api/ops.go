package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"time"

	"github.com/labstack/echo/v4"
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

// openAPIDocument serves the OpenAPI document, embedded in the binary at build time.
//
//	@Summary		OpenAPI document
//	@Description	This API's OpenAPI 3.0 document, the contract the server is tested against. Generate clients from it.
//	@ID				getOpenAPIDocument
//	@Tags			operations
//	@Produce		json
//	@Param			If-None-Match	header		string					false	"An ETag from an earlier response; a match gets 304"
//	@Success		200				{object}	map[string]interface{}	"The OpenAPI 3.0 document"
//	@Header			200				{string}	ETag					"Identifies this version of the document"
//	@Success		304				"Not modified since the ETag given"
//	@Router			/openapi.json [get]
func openAPIDocument(doc []byte) echo.HandlerFunc {
	sum := sha256.Sum256(doc)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set(echo.HeaderCacheControl, "public, max-age=300")
		h.Set(headerETag, etag)
		if c.Request().Header.Get("If-None-Match") == etag {
			return c.NoContent(http.StatusNotModified)
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc)
	}
}

// docsPage serves the interactive API reference.
//
//	@Summary		Interactive API reference
//	@Description	An HTML page that renders the OpenAPI document with Swagger UI. Everything it loads comes from this server.
//	@ID				getDocs
//	@Tags			operations
//	@Produce		html
//	@Success		200	{string}	string	"The reference page"
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
