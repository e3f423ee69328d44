package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/auth"
)

// LoginRequest is the body of POST /auth/login.
type LoginRequest struct {
	Email    string `json:"email" example:"admin@example.com"`
	Password string `json:"password" example:"correct horse battery staple"`
} //	@name	LoginRequest

// RefreshRequest carries a refresh token.
type RefreshRequest struct {
	// The refresh token of the last login or refresh. Each works once.
	RefreshToken string `json:"refresh_token" example:"q8Hc0yYkzS3xkY8bH6Q9jzv3w0vX7R2s1dJmGf5nLpA"`
} //	@name	RefreshRequest

// Tokens is what a login or a refresh returns.
type Tokens struct {
	// A JWT to send as "Authorization: Bearer <access_token>" until it expires.
	AccessToken string `json:"access_token" example:"eyJhbGciOiJIUzI1NiIsImtpZCI6IjNmMmEiLCJ0eXAiOiJhdCtqd3QifQ.e30.sig"`
	// An opaque token for POST /auth/refresh; it works once and is replaced by each refresh.
	RefreshToken string `json:"refresh_token" example:"q8Hc0yYkzS3xkY8bH6Q9jzv3w0vX7R2s1dJmGf5nLpA"`
	// Always "Bearer".
	TokenType string `json:"token_type" enums:"Bearer" example:"Bearer"`
	// Seconds until the access token expires.
	ExpiresIn int `json:"expires_in" example:"900"`
} //	@name	Tokens

// PasswordChange is the body of POST /auth/password.
type PasswordChange struct {
	CurrentPassword string `json:"current_password" example:"correct horse battery staple"`
	// 10 to 256 bytes.
	NewPassword string `json:"new_password" example:"a longer and newer passphrase"`
} //	@name	PasswordChange

func tokensResponse(t auth.Tokens) Tokens {
	return Tokens{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: "Bearer", ExpiresIn: int(t.ExpiresIn.Seconds())}
}

// login exchanges an email and password for tokens.
//
//	@Summary		Log in
//	@Description	Exchanges an email and password for an access token (a JWT, 15 minutes by default) and a refresh token (30 days, one use). A wrong email and a wrong password get the same answer. After 5 failures in 15 minutes for an account or from an address, logins are refused with 429 until the window passes, even with the right password.
//	@ID				login
//	@Tags			auth
//	@Accept			json
//	@Produce		json
//	@Param			body	body		LoginRequest	true	"Credentials"
//	@Success		200		{object}	Tokens
//	@Failure		400		{object}	Problem	"Malformed body"
//	@Failure		401		{object}	Problem	"Wrong email or password"
//	@Failure		422		{object}	Problem	"A property is missing or of the wrong type"
//	@Failure		429		{object}	Problem	"Too many failed logins; see Retry-After"
//	@Header			429		{integer}	Retry-After	"Seconds until a login may be tried again"
//	@Router			/api/v1/auth/login [post]
func login(accounts *auth.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req LoginRequest
		if _, err := decodeJSON(c, &req); err != nil {
			return err
		}
		t, err := accounts.Login(c.Request().Context(), req.Email, req.Password, c.RealIP())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, tokensResponse(t))
	}
}

// refresh rotates a refresh token.
//
//	@Summary		Refresh the tokens
//	@Description	Exchanges a refresh token for a new access token and a new refresh token. A refresh token works once: presenting one again ends its whole session (its newer tokens included), because it means the token was copied.
//	@ID				refreshTokens
//	@Tags			auth
//	@Accept			json
//	@Produce		json
//	@Param			body	body		RefreshRequest	true	"The refresh token"
//	@Success		200		{object}	Tokens
//	@Failure		400		{object}	Problem	"Malformed body"
//	@Failure		401		{object}	Problem	"The refresh token is unknown, expired, already used or its session ended"
//	@Failure		422		{object}	Problem	"A property is missing or of the wrong type"
//	@Router			/api/v1/auth/refresh [post]
func refresh(accounts *auth.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req RefreshRequest
		if _, err := decodeJSON(c, &req); err != nil {
			return err
		}
		t, err := accounts.Refresh(c.Request().Context(), req.RefreshToken)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, tokensResponse(t))
	}
}

// logout ends the session of a refresh token.
//
//	@Summary		Log out
//	@Description	Ends the session of the refresh token: its refresh tokens and its access tokens stop working. Answers 204 for a token that is unknown or already ended too.
//	@ID				logout
//	@Tags			auth
//	@Accept			json
//	@Param			body	body	RefreshRequest	true	"The session's refresh token"
//	@Success		204		"Logged out"
//	@Failure		400		{object}	Problem	"Malformed body"
//	@Failure		422		{object}	Problem	"A property is missing or of the wrong type"
//	@Router			/api/v1/auth/logout [post]
func logout(accounts *auth.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req RefreshRequest
		if _, err := decodeJSON(c, &req); err != nil {
			return err
		}
		if err := accounts.Logout(c.Request().Context(), req.RefreshToken); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// me returns the caller's account.
//
//	@Summary		The current user
//	@Description	The account the access token belongs to.
//	@ID				getCurrentUser
//	@Tags			auth
//	@Produce		json
//	@Security		BearerAuth
//	@Success		200	{object}	User
//	@Header			200	{string}	ETag	"The user's version"
//	@Failure		401	{object}	Problem	"No valid access token"
//	@Router			/api/v1/auth/me [get]
func me() echo.HandlerFunc {
	return func(c echo.Context) error {
		u := principal(c).User
		c.Response().Header().Set(headerETag, etag(u.Version))
		return c.JSON(http.StatusOK, userResponse(&u))
	}
}

// changePassword changes the caller's password.
//
//	@Summary		Change your password
//	@Description	Sets a new password after checking the current one, and ends your other sessions; this one stays. A wrong current password counts as a failed login.
//	@ID				changePassword
//	@Tags			auth
//	@Accept			json
//	@Security		BearerAuth
//	@Param			body	body	PasswordChange	true	"Current and new password"
//	@Success		204		"Changed"
//	@Failure		400		{object}	Problem	"Malformed body"
//	@Failure		401		{object}	Problem	"No valid access token"
//	@Failure		422		{object}	Problem	"Wrong current password, or a new password of the wrong length"
//	@Failure		429		{object}	Problem	"Too many failed attempts; see Retry-After"
//	@Header			429		{integer}	Retry-After	"Seconds until the password may be tried again"
//	@Router			/api/v1/auth/password [post]
func changePassword(accounts *auth.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req PasswordChange
		if _, err := decodeJSON(c, &req); err != nil {
			return err
		}
		err := accounts.ChangePassword(c.Request().Context(), principal(c), req.CurrentPassword, req.NewPassword, c.RealIP())
		if err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}
