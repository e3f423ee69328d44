package api

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/foliocms/folio/docs"
	"github.com/foliocms/folio/internal/auth"
	"github.com/foliocms/folio/internal/config"
	"github.com/foliocms/folio/internal/docsui"
)

// addRoutes registers every route of the server. It is the map of the API: read it first.
// A route that needs a caller names it here, with signedIn or a role; identify marks public
// routes that show more to a caller with credentials; a route with neither is public. Reads are
// registered with get, which answers HEAD as well.
func addRoutes(e *echo.Echo, cfg config.Config, logger *slog.Logger, reg *prometheus.Registry, d Deps) {
	// Operations.
	get(e, "/healthz", healthz())
	get(e, "/readyz", readyz(logger, d.Ping))
	get(e, "/metrics", metrics(cfg.MetricsToken, MetricsHandler(reg)))
	get(e, "/openapi.json", openAPIDocument(logger, docs.OpenAPI, d.Content))
	get(e, "/docs", docsPage(docsui.FS(), docsui.CSP))
	get(e, "/docs/:file", docsAsset(docsui.FS(), docsui.CSP))

	// Middleware is given per route, not with Group.Use: Echo's Group.Use also registers
	// catch-all routes, which would answer unknown paths under the group with 401, not 404.
	signedIn := authenticate(d.Accounts)
	maybeSignedIn := identify(d.Accounts)
	admin := []echo.MiddlewareFunc{signedIn, requireRole(auth.RoleAdmin)}
	cache := cachePolicy{maxAge: cfg.CacheMaxAge, stale: cfg.CacheStale, now: d.Now}
	// kept: public reads answered from memory while the content is unchanged (respcache.go).
	var generation func() uint64
	if d.Changes != nil {
		generation = d.Changes.Current
	}
	kept := newResponseCache(cfg.CacheSize, generation, cache, reg).keep

	v1 := e.Group("/api/v1")

	v1.POST("/auth/login", login(d.Accounts))
	v1.POST("/auth/refresh", refresh(d.Accounts))
	v1.POST("/auth/logout", logout(d.Accounts))
	get(v1, "/auth/me", me(), signedIn)
	v1.POST("/auth/password", changePassword(d.Accounts), signedIn)

	get(v1, "/users", listUsers(d.Accounts), admin...)
	v1.POST("/users", createUser(d.Accounts), admin...)
	get(v1, "/users/:id", getUser(d.Accounts), admin...)
	v1.PATCH("/users/:id", updateUser(d.Accounts), admin...)
	v1.DELETE("/users/:id", deleteUser(d.Accounts), admin...)

	// Items: the role table's finer rules (authors: own drafts; publishing: editors) are the
	// content package's, which knows the item.
	get(v1, "/items", listItems(d.Content, cache), kept, maybeSignedIn)
	v1.POST("/items", createItem(d.Content), signedIn)
	get(v1, "/items/:id", getItem(d.Content, cache), kept, maybeSignedIn)
	v1.PATCH("/items/:id", updateItem(d.Content), signedIn)
	v1.DELETE("/items/:id", deleteItem(d.Content), signedIn)
	v1.POST("/items/:id/restore", restoreItem(d.Content), signedIn)
	v1.POST("/items/:id/publish", publishItem(d.Content), signedIn)
	v1.POST("/items/:id/unpublish", unpublishItem(d.Content), signedIn)
	get(v1, "/items/:id/revisions", listRevisions(d.Content), signedIn)
	get(v1, "/items/:id/revisions/:version", getRevision(d.Content), signedIn)
	v1.POST("/items/:id/revisions/:version/restore", restoreRevision(d.Content), signedIn)
	get(v1, "/types/:key/items/:slug", getItemBySlug(d.Content, cache), kept, maybeSignedIn)

	editor := []echo.MiddlewareFunc{signedIn, requireRole(auth.RoleEditor)}

	get(v1, "/types", listTypes(d.Content, cache), kept, maybeSignedIn)
	v1.POST("/types", createType(d.Content), admin...)
	get(v1, "/types/:key", getType(d.Content, cache), kept, maybeSignedIn)
	v1.PUT("/types/:key", updateType(d.Content), admin...)
	v1.DELETE("/types/:key", deleteType(d.Content), admin...)

	get(v1, "/tags", listTags(d.Content, cache), kept, maybeSignedIn)
	v1.POST("/tags", createTag(d.Content), editor...)
	get(v1, "/tags/:slug", getTag(d.Content, cache), kept, maybeSignedIn)
	v1.PATCH("/tags/:slug", updateTag(d.Content), editor...)
	v1.DELETE("/tags/:slug", deleteTag(d.Content), editor...)

	get(v1, "/collections", listCollections(d.Content, cache), kept, maybeSignedIn)
	v1.POST("/collections", createCollection(d.Content), editor...)
	get(v1, "/collections/:key", getCollection(d.Content, cache), kept, maybeSignedIn)
	v1.PATCH("/collections/:key", updateCollection(d.Content), editor...)
	v1.DELETE("/collections/:key", deleteCollection(d.Content), editor...)
	get(v1, "/collections/:key/items", collectionItems(d.Content, cache), kept)
}

// get registers a read for GET and for HEAD. A HEAD runs the GET's handler and middleware, so
// it gets the same status and headers (ETag, Cache-Control, Content-Length, a 304 for a matching
// If-None-Match); net/http leaves out the body. HTTP servers must answer it (RFC 9110, 9.1), and
// caches, proxies and link checkers ask with it.
func get(r interface {
	Match([]string, string, echo.HandlerFunc, ...echo.MiddlewareFunc) []*echo.Route
}, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.Match([]string{http.MethodGet, http.MethodHead}, path, h, m...)
}
