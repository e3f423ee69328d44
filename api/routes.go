package api

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/foliocms/folio/docs"
	"github.com/foliocms/folio/internal/config"
	"github.com/foliocms/folio/internal/docsui"
)

// addRoutes registers every route of the server. It is the map of the API: read it first.
func addRoutes(e *echo.Echo, cfg config.Config, logger *slog.Logger, reg *prometheus.Registry, ping func(context.Context) error) {
	// Operations.
	e.GET("/healthz", healthz())
	e.GET("/readyz", readyz(logger, ping))
	e.GET("/metrics", metrics(cfg.MetricsToken, MetricsHandler(reg)))
	e.GET("/openapi.json", openAPIDocument(docs.OpenAPI))
	e.GET("/docs", docsPage(docsui.FS(), docsui.CSP))
	e.GET("/docs/:file", docsAsset(docsui.FS(), docsui.CSP))
}
