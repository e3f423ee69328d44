package api

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/foliocms/folio/internal/auth"
	"github.com/foliocms/folio/internal/changes"
	"github.com/foliocms/folio/internal/config"
	"github.com/foliocms/folio/internal/content"
)

// NewServer returns the HTTP handler of Folio's API: every route of routes.go behind the
// middleware every request passes through, and the one error handler.
//
// reg receives the request metrics and is what /metrics serves.
func NewServer(cfg config.Config, logger *slog.Logger, reg *prometheus.Registry, deps Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.JSONSerializer = jsonSerializer{}
	e.Logger.SetOutput(io.Discard) // everything worth logging goes through slog
	e.HTTPErrorHandler = errorHandler(logger, cfg.BodyLimit)
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)

	m := newHTTPMetrics(reg)
	// Outermost first. observe renders errors itself so that the log and the metrics see the
	// final status; recoverPanics sits inside it so a panic becomes such an error.
	e.Use(requestID(), observe(logger, m), recoverPanics(logger), securityHeaders())
	if len(cfg.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins: cfg.CORSOrigins,
			AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
			AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType, "If-Match", "If-None-Match", HeaderRequestID},
			// Without these a browser hides the headers a frontend needs for caching, paging,
			// concurrency and support requests.
			ExposeHeaders: []string{"ETag", "Link", echo.HeaderLocation, echo.HeaderRetryAfter, HeaderRequestID},
			MaxAge:        600,
		}))
	}
	routes := routeSet{}
	e.Use(limitBody(cfg.BodyLimit, routes), jsonBodies(routes), notFoundUnlessText())

	if deps.Now == nil {
		deps.Now = time.Now
	}
	addRoutes(e, cfg, logger, reg, deps)
	for _, r := range e.Routes() {
		m.routes[r.Path] = true
		routes[r.Method+" "+r.Path] = true
	}
	return e
}

// Deps are the services the handlers use.
type Deps struct {
	Ping     func(context.Context) error // whether the database answers, for /readyz
	Accounts *auth.Store
	Content  *content.Store
	Now      func() time.Time // the clock of caching decisions; time.Now when nil
	// Changes is the content generation; without it public responses are not kept in memory.
	Changes *changes.Generation
}

// ipExtractor decides which address is the client's. Without trusted proxies it is the peer's
// address, whatever headers say; behind them it is the rightmost X-Forwarded-For entry that is
// not a trusted proxy, so a client cannot pick its own address by sending the header.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
