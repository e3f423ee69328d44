// Package api is Folio's HTTP edge: the server, the list of routes, the middleware every
// request passes through, the one error handler, and a file of handlers per resource. Handlers
// decode and check the request's shape, call one domain method, and encode the answer; the
// rules live in internal/.
//
// This file holds the general information of the OpenAPI document and nothing else: swag reads
// every comment of it as document-level annotations.
//
// @title                      Folio API
// @version                    1.0
// @description                Folio is a headless CMS: editors write content through authenticated calls, frontends read published content anonymously. Errors are RFC 9457 problem details (application/problem+json). Every response carries an X-Request-ID header; quote it when reporting a problem. Every GET operation also answers HEAD, with the same status and headers and no body.
// @license.name               MIT
// @license.url                https://opensource.org/license/mit
// @BasePath                   /
// @tag.name                   operations
// @tag.description            Health, readiness, metrics and this document.
// @tag.name                   auth
// @tag.description            Logging in and out, tokens, your own account.
// @tag.name                   users
// @tag.description            Accounts and their roles (admins only).
// @tag.name                   items
// @tag.description            Content: drafts, publishing, scheduling, revisions, the trash, public reads.
// @tag.name                   types
// @tag.description            Content types and their fields.
// @tag.name                   tags
// @tag.description            Tags that label items.
// @tag.name                   collections
// @tag.description            Curated listing pages.
// @securityDefinitions.apikey BearerAuth
// @in                         header
// @name                       Authorization
// @description                An access token from POST /api/v1/auth/login, sent as "Authorization: Bearer <token>".
// @securityDefinitions.apikey MetricsToken
// @in                         header
// @name                       Authorization
// @description                The value of FOLIO_METRICS_TOKEN, sent as "Authorization: Bearer <token>".
package api

//go:generate go tool swag init --quiet --generalInfo api.go --dir . --exclude client --output ../docs --outputTypes json --requiredByDefault
//go:generate go run ../internal/openapi/gen ../docs/swagger.json ../docs
