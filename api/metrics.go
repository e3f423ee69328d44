package api

import (
	"crypto/subtle"
	"io"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a Prometheus registry holding the Go runtime and process collectors.
// Each server gets its own registry (no global state), and other packages register their
// collectors on it.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// NewMetricsServer returns the handler of the separate metrics listener (FOLIO_METRICS_ADDR):
// /metrics without a token, with the same request ids, headers and problem+json errors as the
// API.
func NewMetricsServer(logger *slog.Logger, reg *prometheus.Registry) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard)
	e.HTTPErrorHandler = errorHandler(logger, 0)
	e.Use(requestID(), recoverPanics(logger), securityHeaders())
	get(e, "/metrics", echo.WrapHandler(MetricsHandler(reg)))
	return e
}

// MetricsHandler serves the registry in the Prometheus text format.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// httpMetrics are the request metrics. Routes are labelled by their template (/api/v1/items/:id,
// not the path), and requests that match no route share the label "unmatched", so that a
// scanner probing random paths cannot grow the number of series.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	routes   map[string]bool
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "folio_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "folio_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "folio_http_requests_in_flight",
			Help: "HTTP requests being answered now.",
		}),
		routes: map[string]bool{},
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight)
	return m
}

func (m *httpMetrics) route(path string) string {
	if m.routes[path] {
		return path
	}
	return "unmatched"
}

// metrics serves /metrics on the API listener. With a token configured it answers requests that
// bear it; without one, /metrics exists only on the separate metrics listener, and here it is
// not found.
//
//	@Summary		Prometheus metrics
//	@Description	Request counts by route, method and status; latency histograms; requests in flight; Go runtime and process metrics. On the API listener it answers only when FOLIO_METRICS_TOKEN is set and sent as a bearer token; FOLIO_METRICS_ADDR serves it on a separate listener instead.
//	@ID				getMetrics
//	@Tags			operations
//	@Produce		plain
//	@Security		MetricsToken
//	@Success		200	{string}	string	"Metrics in the Prometheus text format"
//	@Failure		401	{object}	Problem	"Missing or wrong token"
//	@Failure		404	{object}	Problem	"No token is configured, so metrics are not served here"
//	@Router			/metrics [get]
func metrics(token string, handler http.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		if token == "" {
			return echo.ErrNotFound
		}
		got, ok := bearerToken(c.Request())
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
			return NewProblem(http.StatusUnauthorized, "Send the metrics token as: Authorization: Bearer <token>.")
		}
		handler.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}
