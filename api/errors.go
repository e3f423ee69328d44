package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/auth"
	"github.com/foliocms/folio/internal/content"
	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/logging"
	"github.com/foliocms/folio/internal/validation"
)

// statusClientClosedRequest is the status logged and counted for requests whose client left
// before the answer.
const statusClientClosedRequest = 499

// ProblemType is the problem type of responses that need nothing beyond their status code to
// be understood (RFC 9457 §4.2.1); their title is the status's reason phrase.
const ProblemType = "about:blank"

// Problem is an RFC 9457 problem details object: the body of every error response, served as
// application/problem+json.
type Problem struct {
	// A URI identifying the kind of problem; "about:blank" when the status code says it all.
	Type string `json:"type" example:"about:blank"`
	// A short summary of the kind of problem.
	Title string `json:"title" example:"Not Found"`
	// The HTTP status code.
	Status int `json:"status" example:"404"`
	// What went wrong with this request, in words meant for the person who sent it.
	Detail string `json:"detail,omitempty" validate:"optional" example:"There is nothing at /api/v1/nope."`
	// The X-Request-ID of the request, to quote when reporting a problem.
	RequestID string `json:"request_id,omitempty" validate:"optional" example:"01936d3c-7a4e-7b7c-9d59-5a1f0c1e2d3b"`
	// One entry per invalid field, for 400 and 422 responses about the request's content.
	Errors []FieldError `json:"errors,omitempty" validate:"optional"`
	// For a 409 to a type change that could invalidate items: what it would do.
	Plan *TypeChangePlan `json:"plan,omitempty" validate:"optional"`
} //	@name	Problem

// FieldError names one invalid part of a request and says what is wrong with it.
type FieldError struct {
	// A dotted path to the field, such as "title" or "fields.starts_at" or "tags[2]".
	Field string `json:"field" example:"title"`
	// What is wrong with it.
	Message string `json:"message" example:"must be 1 to 300 characters"`
} //	@name	FieldError

// Error makes a Problem usable as the error a handler returns.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
	}
	return fmt.Sprintf("%d %s", p.Status, p.Title)
}

// NewProblem returns a problem of type about:blank for status, with a detail for the client.
func NewProblem(status int, format string, a ...any) *Problem {
	return &Problem{Type: ProblemType, Title: http.StatusText(status), Status: status, Detail: fmt.Sprintf(format, a...)}
}

// errorHandler returns the one HTTPErrorHandler: every error a handler or middleware returns,
// and the router's 404 and 405, becomes a problem+json response. Nothing internal reaches the
// client: a 5xx says only that something failed and which request id to quote, while the error
// itself goes to the log with that id.
func errorHandler(logger *slog.Logger, bodyLimit int64) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		req := c.Request()
		ctx := req.Context()
		if c.Response().Committed {
			// Too late for a problem: the status line is on the wire. Log it so it is not lost.
			logger.WarnContext(ctx, "error after response started", "error", err)
			return
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			// The client went away: nothing is broken and nobody reads the answer. 499 (nginx's
			// "client closed request") keeps these out of the server-error rate.
			logger.InfoContext(ctx, "client closed the request", "route", c.Path())
			c.Response().WriteHeader(statusClientClosedRequest)
			return
		}
		p := problemFor(err, c, bodyLimit)
		if p.Status >= 500 {
			logger.ErrorContext(ctx, "request failed", "error", err, "method", req.Method, "route", c.Path())
		}
		p.RequestID = logging.RequestID(ctx)
		if err := writeProblem(c, p); err != nil {
			logger.DebugContext(ctx, "write problem", "error", err)
		}
	}
}

// writeProblem sends p as the response.
func writeProblem(c echo.Context, p *Problem) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/problem+json")
	// A problem describes this request only: never let a cache keep it (and keep "private" on
	// authenticated requests).
	if h.Get(echo.HeaderCacheControl) != "private, no-store" {
		h.Set(echo.HeaderCacheControl, "no-store")
	}
	// Every 401 carries a challenge (RFC 9110 §15.5.2): the authentication middleware sets a
	// precise one; a login or refresh with refused credentials gets the API's.
	if p.Status == http.StatusUnauthorized && h.Get(echo.HeaderWWWAuthenticate) == "" {
		h.Set(echo.HeaderWWWAuthenticate, `Bearer realm="folio"`)
	}
	body, err := marshalJSON(p)
	if err != nil {
		return err
	}
	// With its length, as every JSON body: a HEAD, whose body net/http leaves out, then gets
	// the headers a GET gets.
	return writeJSON(c, p.Status, body)
}

// fieldErrors converts the domain's field errors.
func fieldErrors(verr *validation.Error) []FieldError {
	errs := make([]FieldError, len(verr.Fields))
	for i, f := range verr.Fields {
		errs[i] = FieldError{Field: f.Field, Message: f.Message}
	}
	return errs
}

// problemFor translates any error into the problem the client sees, setting the headers that
// go with it.
func problemFor(err error, c echo.Context, bodyLimit int64) *Problem {
	var (
		p         *Problem
		he        *echo.HTTPError
		mbe       *http.MaxBytesError
		verr      *validation.Error
		throttled *auth.ThrottledError
		code      int
	)
	req := c.Request()
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &verr):
		return invalid(fieldErrors(verr))
	case errors.As(err, &throttled):
		c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(throttled.RetryAfter.Seconds()))))
		return NewProblem(http.StatusTooManyRequests, "Too many failed attempts; try again in %s.", throttled.RetryAfter.Round(time.Second))
	case errors.Is(err, auth.ErrInvalidCredentials):
		return NewProblem(http.StatusUnauthorized, "The email or the password is wrong.")
	case errors.Is(err, auth.ErrInvalidToken):
		return NewProblem(http.StatusUnauthorized, "The token is invalid, expired or already used; log in again.")
	case errors.Is(err, auth.ErrEmailTaken):
		p := NewProblem(http.StatusConflict, "Another user has this email.")
		p.Errors = []FieldError{{Field: "email", Message: "is taken"}}
		return p
	case errors.Is(err, auth.ErrLastAdmin):
		return NewProblem(http.StatusConflict, "This would leave no active admin; make another user an admin first.")
	case errors.Is(err, auth.ErrHasContent):
		return NewProblem(http.StatusConflict, "This user authored content; deactivate them instead.")
	case errors.Is(err, content.ErrRenderBusy):
		c.Response().Header().Set(echo.HeaderRetryAfter, "2")
		return NewProblem(http.StatusServiceUnavailable, "The server is rendering too many bodies at once; try again in a moment.")
	case database.IsBusy(err):
		// Another process held the database's write lock past the busy timeout: a large import.
		c.Response().Header().Set(echo.HeaderRetryAfter, "5")
		return NewProblem(http.StatusServiceUnavailable, "The database is busy with a long write (such as an import); try again in a few seconds.")
	case errors.Is(err, auth.ErrBusy):
		c.Response().Header().Set(echo.HeaderRetryAfter, "1")
		return NewProblem(http.StatusServiceUnavailable, "The server is checking too many passwords at once; try again in a moment.")
	case errors.Is(err, auth.ErrStale):
		return NewProblem(http.StatusPreconditionFailed, "It changed since the version in If-Match; fetch it again (the ETag header has the current version).")
	case errors.Is(err, content.ErrForbidden):
		return NewProblem(http.StatusForbidden, "Your role does not allow this on this item.")
	case errors.Is(err, content.ErrStale):
		return NewProblem(http.StatusPreconditionFailed, "It changed since the version in If-Match; fetch it again (the ETag header has the current version).")
	case errors.Is(err, content.ErrTypeInUse):
		return NewProblem(http.StatusConflict, "Items, or a reference field of another type, use this type.")
	case errors.Is(err, content.ErrTypeExists):
		p := NewProblem(http.StatusConflict, "A type with this key exists.")
		p.Errors = []FieldError{{Field: "key", Message: "is taken"}}
		return p
	case errors.Is(err, content.ErrTypeChanged):
		return NewProblem(http.StatusConflict, "The item's type changed while it was being saved; send the request again.")
	case errors.Is(err, content.ErrTagInUse):
		return NewProblem(http.StatusConflict, "Items carry this tag; delete it with detach=true to take it off them.")
	case errors.Is(err, content.ErrCollectionExists):
		p := NewProblem(http.StatusConflict, "A collection with this key exists.")
		p.Errors = []FieldError{{Field: "key", Message: "is taken"}}
		return p
	case errors.Is(err, content.ErrSlugTaken):
		p := NewProblem(http.StatusConflict, "Another item of this type has this slug (items in the trash keep theirs).")
		p.Errors = []FieldError{{Field: "slug", Message: "is taken"}}
		return p
	case errors.Is(err, content.ErrInTrash):
		return NewProblem(http.StatusConflict, "The item is in the trash; restore it first.")
	case errors.Is(err, content.ErrNotInTrash):
		return NewProblem(http.StatusConflict, "The item is not in the trash.")
	case errors.Is(err, content.ErrTagExists):
		p := NewProblem(http.StatusConflict, "A tag with this slug exists.")
		p.Errors = []FieldError{{Field: "slug", Message: "is taken"}}
		return p
	case errors.Is(err, content.ErrBadCursor):
		return queryProblem("cursor", "is not a cursor this API returned")
	case errors.Is(err, auth.ErrNotFound), errors.Is(err, content.ErrNotFound):
		code = http.StatusNotFound
	case errors.As(err, &mbe):
		code = http.StatusRequestEntityTooLarge
	case errors.As(err, &he):
		code = he.Code
	default:
		code = http.StatusInternalServerError
	}

	switch code {
	case http.StatusNotFound:
		return NewProblem(code, "There is nothing at %s.", req.URL.Path)
	case http.StatusMethodNotAllowed:
		return NewProblem(code, "%s is not allowed on %s; the Allow header lists the methods that are.", req.Method, req.URL.Path)
	case http.StatusRequestEntityTooLarge:
		return NewProblem(code, "The request body is larger than the limit of %d bytes.", bodyLimit)
	case http.StatusUnsupportedMediaType:
		return NewProblem(code, "Request bodies must be JSON, sent with Content-Type: application/json.")
	}
	if code >= 500 || code < 400 || he == nil {
		if code < 500 {
			code = http.StatusInternalServerError
		}
		return NewProblem(code, "The server could not complete the request. If this persists, report it with the request id.")
	}
	// Other client errors that Echo raises, such as a malformed path parameter: its message is
	// written for clients, its Internal error is not.
	if msg, ok := he.Message.(string); ok && msg != http.StatusText(code) {
		return NewProblem(code, "%s", msg)
	}
	return &Problem{Type: ProblemType, Title: http.StatusText(code), Status: code}
}
