package api

import (
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/logging"
	"github.com/foliocms/folio/internal/validation"
)

// HeaderRequestID carries the id of a request, from the client when it sent a well-formed one.
const HeaderRequestID = "X-Request-ID"

// maxRequestIDLen bounds an incoming request id, which ends up in every log line of the request.
const maxRequestIDLen = 128

// requestID gives every request an id, keeps it in the request's context for the logger, and
// echoes it in the X-Request-ID response header. A client's own id is kept when it is at most
// 128 characters of [A-Za-z0-9._-], so a proxy's id can follow the request through; anything
// else is replaced, because it would be written into logs verbatim.
func requestID() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			id := req.Header.Get(HeaderRequestID)
			if !validRequestID(id) {
				id = newRequestID()
			}
			c.SetRequest(req.WithContext(logging.WithRequestID(req.Context(), id)))
			c.Response().Header().Set(HeaderRequestID, id)
			return next(c)
		}
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}

// observe writes the access log line and the request metrics of every request. It renders a
// returned error itself (through the error handler) so that both see the final status and
// size, then reports the error as handled.
func observe(logger *slog.Logger, m *httpMetrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			m.inFlight.Inc()
			defer m.inFlight.Dec()

			err := next(c)
			if err != nil {
				c.Error(err)
			}

			req, res := c.Request(), c.Response()
			elapsed := time.Since(start)
			route, method := m.route(c.Path()), metricMethod(req.Method)
			status := strconv.Itoa(res.Status)
			m.requests.WithLabelValues(route, method, status).Inc()
			m.duration.WithLabelValues(route, method).Observe(elapsed.Seconds())

			level := slog.LevelInfo
			if res.Status >= 500 {
				level = slog.LevelWarn
			}
			logger.LogAttrs(req.Context(), level, "request",
				slog.String("method", req.Method),
				slog.String("route", route),
				slog.String("path", req.URL.Path),
				slog.Int("status", res.Status),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.Int64("bytes", res.Size),
				slog.String("remote_ip", c.RealIP()),
			)
			return nil
		}
	}
}

// recoverPanics turns a panic in a handler into an error, so the client gets a 500 problem and
// the log gets the stack, with the request id, instead of a dropped connection.
func recoverPanics(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(r) // net/http's way to abort a response on purpose
				}
				logger.ErrorContext(c.Request().Context(), "panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}()
			return next(c)
		}
	}
}

// apiCSP is the Content-Security-Policy of every response but the API reference's pages: API
// responses are data, never documents, so a browser that renders one anyway may run nothing.
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// securityHeaders sets the headers every response carries. Cache-Control defaults to no-store;
// handlers of public, cacheable responses replace it.
func securityHeaders() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Content-Security-Policy", apiCSP)
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set(echo.HeaderCacheControl, "no-store")
			return next(c)
		}
	}
}

// limitBody answers 413 when the declared length exceeds limit, and caps what a handler can
// read when the length is not declared (a chunked body), so that no handler reads more than
// limit bytes whatever it does. Like jsonBodies, it leaves requests that match no route alone:
// their answer is 404 or 405, whatever their body.
func limitBody(limit int64, routes routeSet) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if !routes.matched(c) {
				return next(c)
			}
			if req.ContentLength > limit {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			return next(c)
		}
	}
}

// jsonBodies answers 415 to a request that carries a body in anything but JSON. Besides being
// the API's contract, it keeps Echo's binder from ever decoding a form, where "status=published"
// in a form body could reach a field the client must not set.
func jsonBodies(routes routeSet) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if routes.matched(c) && hasBody(req) && !isJSON(req.Header.Get(echo.HeaderContentType)) {
				return echo.NewHTTPError(http.StatusUnsupportedMediaType)
			}
			return next(c)
		}
	}
}

func hasBody(req *http.Request) bool {
	return req.ContentLength > 0 || (req.ContentLength < 0 && req.Body != nil && req.Body != http.NoBody)
}

// isJSON accepts application/json and the JSON-based types such as application/merge-patch+json,
// in UTF-8 (RFC 8259 allows no other encoding between systems).
func isJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return mt == echo.MIMEApplicationJSON || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// routeSet holds the "METHOD /template" of every route, to tell a request that matched one from
// one the router will answer with 404 or 405.
type routeSet map[string]bool

func (r routeSet) matched(c echo.Context) bool { return r[c.Request().Method+" "+c.Path()] }

// metricMethod bounds the method label: a client may send any token as a method, and each would
// otherwise become new time series.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// notFoundUnlessText answers 404 to a path that is not storable text: a NUL character (%00) or
// bytes that are not UTF-8 (%FF). No id, key or slug has one, and PostgreSQL refuses them in
// text, where the lookup would be a 500 instead of nothing found. (Query values are checked
// where they are read, by checkQuery and ParseQuery.)
func notFoundUnlessText() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !validation.StorableText(c.Request().URL.Path) {
				return echo.ErrNotFound
			}
			return next(c)
		}
	}
}
