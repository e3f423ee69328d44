// Package docsui embeds the interactive API reference served at /docs: Swagger UI, vendored
// from the swagger-ui-dist npm package (see `make docs-ui`), and a page that points it at
// /openapi.json. Everything it needs is in the binary, so it works offline and under a strict
// Content-Security-Policy: no CDN, no inline script.
package docsui

import (
	"embed"
	"io/fs"
)

// Version is the swagger-ui-dist release vendored in swagger-ui/.
const Version = "5.35.0"

//go:embed index.html init.js swagger-ui
var files embed.FS

// FS returns the files of the reference: index.html, init.js and swagger-ui/*.
func FS() fs.FS { return files }

// CSP is the Content-Security-Policy for the reference's pages: scripts and styles from this
// origin only (Swagger UI sets inline style attributes, hence 'unsafe-inline' for styles), and
// requests to this origin only, which is what "Try it out" needs.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
