package api

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/foliocms/folio/docs"
	"github.com/foliocms/folio/internal/auth"
	"github.com/foliocms/folio/internal/config"
	"github.com/foliocms/folio/internal/docsui"
)

// addRoutes registers every route of the server. It is the map of the API: read it first.
// A route that needs a caller names it here, with signedIn or a role; a route without them is
// public.
func addRoutes(e *echo.Echo, cfg config.Config, logger *slog.Logger, reg *prometheus.Registry, ping func(context.Context) error, accounts *auth.Store) {
	// Operations.
	e.GET("/healthz", healthz())
	e.GET("/readyz", readyz(logger, ping))
	e.GET("/metrics", metrics(cfg.MetricsToken, MetricsHandler(reg)))
	e.GET("/openapi.json", openAPIDocument(docs.OpenAPI))
	e.GET("/docs", docsPage(docsui.FS(), docsui.CSP))
	e.GET("/docs/:file", docsAsset(docsui.FS(), docsui.CSP))

	// Middleware is given per route, not with Group.Use: Echo's Group.Use also registers
	// catch-all routes, which would answer unknown paths under the group with 401, not 404.
	signedIn := authenticate(accounts)
	admin := []echo.MiddlewareFunc{signedIn, requireRole(auth.RoleAdmin)}

	v1 := e.Group("/api/v1")

	v1.POST("/auth/login", login(accounts))
	v1.POST("/auth/refresh", refresh(accounts))
	v1.POST("/auth/logout", logout(accounts))
	v1.GET("/auth/me", me(), signedIn)
	v1.POST("/auth/password", changePassword(accounts), signedIn)

	v1.GET("/users", listUsers(accounts), admin...)
	v1.POST("/users", createUser(accounts), admin...)
	v1.GET("/users/:id", getUser(accounts), admin...)
	v1.PATCH("/users/:id", updateUser(accounts), admin...)
	v1.DELETE("/users/:id", deleteUser(accounts), admin...)
}
