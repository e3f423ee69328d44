package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/auth"
)

const principalKey = "folio.principal"

// authenticate makes a route require an access token: "Authorization: Bearer <token>". It puts
// the caller in the request's context for the handler (see principal) and marks the response
// private, since it depends on who asked. Handlers never parse tokens themselves.
func authenticate(accounts *auth.Store) echo.MiddlewareFunc { return authenticateIf(accounts, true) }

// identify is authenticate for public routes that show more to a caller with credentials: a
// request without an Authorization header goes through anonymously, one with a bad token is
// refused all the same.
func identify(accounts *auth.Store) echo.MiddlewareFunc { return authenticateIf(accounts, false) }

func authenticateIf(accounts *auth.Store, required bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Add(echo.HeaderVary, echo.HeaderAuthorization)
			if !required && c.Request().Header.Get(echo.HeaderAuthorization) == "" {
				return next(c)
			}
			h.Set(echo.HeaderCacheControl, "private, no-store")
			token, ok := bearerToken(c.Request())
			if !ok {
				h.Set(echo.HeaderWWWAuthenticate, `Bearer realm="folio"`)
				return NewProblem(http.StatusUnauthorized, "This request needs an access token: Authorization: Bearer <token>.")
			}
			p, err := accounts.Authenticate(c.Request().Context(), token)
			if errors.Is(err, auth.ErrInvalidToken) {
				h.Set(echo.HeaderWWWAuthenticate, `Bearer realm="folio", error="invalid_token"`)
				return NewProblem(http.StatusUnauthorized, "The access token is invalid or expired; refresh it or log in again.")
			}
			if err != nil {
				return err
			}
			c.Set(principalKey, p)
			return next(c)
		}
	}
}

// requireRole makes a route require at least role min; it follows authenticate.
func requireRole(min auth.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := principal(c)
			if p == nil {
				return NewProblem(http.StatusUnauthorized, "This request needs an access token.")
			}
			if !p.User.Role.AtLeast(min) {
				return NewProblem(http.StatusForbidden, "This needs the %s role; you are %s.", min, p.User.Role)
			}
			return next(c)
		}
	}
}

// principal returns the authenticated caller, or nil on a route without authenticate.
func principal(c echo.Context) *auth.Principal {
	p, _ := c.Get(principalKey).(*auth.Principal)
	return p
}

// bearerToken reads the token of an Authorization header with the Bearer scheme, whose name is
// case-insensitive (RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}
