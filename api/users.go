package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/auth"
)

// User is an account as the API shows it; never its password hash.
type User struct {
	ID        string    `json:"id" format:"uuid" example:"0193d5b4-6f1e-7c3a-9a57-2f4d8b1c0e9a"`
	Email     string    `json:"email" format:"email" example:"editor@example.com"`
	Name      string    `json:"name" example:"Ana Editor"`
	Role      string    `json:"role" enums:"admin,editor,author" example:"editor"`
	Active    bool      `json:"active" example:"true"`
	CreatedAt time.Time `json:"created_at" format:"date-time"`
	UpdatedAt time.Time `json:"updated_at" format:"date-time"`
} //	@name	User

// UserList is a page of users.
type UserList struct {
	Data []User   `json:"data"`
	Meta ListMeta `json:"meta"`
} //	@name	UserList

// NewUser is the body of POST /users.
type NewUser struct {
	Email string `json:"email" format:"email" example:"editor@example.com"`
	// 1 to 100 characters.
	Name string `json:"name" example:"Ana Editor"`
	Role string `json:"role" enums:"admin,editor,author" example:"editor"`
	// 10 to 256 bytes.
	Password string `json:"password" example:"a long enough passphrase"`
} //	@name	NewUser

// UserPatch is the body of PATCH /users/{id}, a JSON merge patch: the properties given change,
// the others stay.
type UserPatch struct {
	Email *string `json:"email" validate:"optional" format:"email" example:"ana@example.com"`
	Name  *string `json:"name" validate:"optional" example:"Ana Editor"`
	Role  *string `json:"role" validate:"optional" enums:"admin,editor,author" example:"author"`
	// false deactivates the user: their sessions end and they cannot log in.
	Active *bool `json:"active" validate:"optional" example:"false"`
	// Sets a new password and ends the user's sessions.
	Password *string `json:"password" validate:"optional" example:"a new long passphrase"`
} //	@name	UserPatch

// userServerOwned are the User properties a request may not set.
var userServerOwned = []string{"id", "version", "created_at", "updated_at"}

func userResponse(u *auth.User) User {
	return User{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Active: u.Active, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// listUsers lists the accounts.
//
//	@Summary		List users
//	@Description	Every account, in the order they were created. Admins only.
//	@ID				listUsers
//	@Tags			users
//	@Produce		json
//	@Security		BearerAuth
//	@Param			limit	query		int		false	"Page size, 1 to 100"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor	query		string	false	"The next_cursor of the previous page"
//	@Success		200		{object}	UserList
//	@Header			200		{string}	Link	"The next page, rel=\"next\", when there is one"
//	@Failure		400		{object}	Problem	"A bad limit or cursor, or an unknown query parameter"
//	@Failure		401		{object}	Problem	"No valid access token"
//	@Failure		403		{object}	Problem	"Not an admin"
//	@Router			/api/v1/users [get]
func listUsers(accounts *auth.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c, "limit", "cursor"); err != nil {
			return err
		}
		limit, after, err := pageParams(c)
		if err != nil {
			return err
		}
		users, more, err := accounts.ListUsers(c.Request().Context(), limit, after)
		if err != nil {
			return err
		}
		list := UserList{Data: make([]User, len(users))}
		for i := range users {
			list.Data[i] = userResponse(&users[i])
		}
		last := ""
		if len(users) > 0 {
			last = users[len(users)-1].ID
		}
		list.Meta = pageMeta(c, limit, more, last)
		return c.JSON(http.StatusOK, list)
	}
}

// createUser creates an account.
//
//	@Summary		Create a user
//	@Description	Creates an active account. Admins only.
//	@ID				createUser
//	@Tags			users
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		NewUser	true	"The new user"
//	@Success		201		{object}	User
//	@Header			201		{string}	Location	"The new user's URL"
//	@Header			201		{string}	ETag		"The user's version"
//	@Failure		400		{object}	Problem		"Malformed body, or an unknown or server-owned property"
//	@Failure		401		{object}	Problem		"No valid access token"
//	@Failure		403		{object}	Problem		"Not an admin"
//	@Failure		409		{object}	Problem		"The email is taken"
//	@Failure		422		{object}	Problem		"Invalid values"
//	@Router			/api/v1/users [post]
func createUser(accounts *auth.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req NewUser
		if _, err := decodeJSON(c, &req, userServerOwned...); err != nil {
			return err
		}
		u, err := accounts.CreateUser(c.Request().Context(), auth.NewUser{Email: req.Email, Name: req.Name, Role: auth.Role(req.Role), Password: req.Password})
		if err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set(echo.HeaderLocation, "/api/v1/users/"+u.ID)
		h.Set(headerETag, etag(u.Version))
		return c.JSON(http.StatusCreated, userResponse(u))
	}
}

// getUser returns one account.
//
//	@Summary		Get a user
//	@Description	Admins only.
//	@ID				getUser
//	@Tags			users
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id	path		string	true	"User id"	format(uuid)
//	@Success		200	{object}	User
//	@Header			200	{string}	ETag	"The user's version"
//	@Failure		401	{object}	Problem	"No valid access token"
//	@Failure		403	{object}	Problem	"Not an admin"
//	@Failure		404	{object}	Problem	"No such user"
//	@Router			/api/v1/users/{id} [get]
func getUser(accounts *auth.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, err := accounts.FindUser(c.Request().Context(), c.Param("id"))
		if err != nil {
			return err
		}
		c.Response().Header().Set(headerETag, etag(u.Version))
		return c.JSON(http.StatusOK, userResponse(u))
	}
}

// updateUser changes an account.
//
//	@Summary		Change a user
//	@Description	A JSON merge patch (RFC 7396) of the user. Deactivating a user or setting their password ends their sessions at once. The last active admin cannot be demoted or deactivated. With If-Match, the change applies only to that version. Admins only.
//	@ID				updateUser
//	@Tags			users
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string		true	"User id"	format(uuid)
//	@Param			If-Match	header		string		false	"The ETag of the version being changed"
//	@Param			body		body		UserPatch	true	"The properties to change"
//	@Success		200			{object}	User
//	@Header			200			{string}	ETag	"The user's new version"
//	@Failure		400			{object}	Problem	"Malformed body, or an unknown or server-owned property"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"Not an admin"
//	@Failure		404			{object}	Problem	"No such user"
//	@Failure		409			{object}	Problem	"The email is taken, or the change would leave no active admin"
//	@Failure		412			{object}	Problem	"The user changed since the If-Match version; ETag has the current one"
//	@Header			412			{string}	ETag	"The user's current version"
//	@Failure		422			{object}	Problem	"Invalid values"
//	@Router			/api/v1/users/{id} [patch]
func updateUser(accounts *auth.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		version, err := ifMatch(c, false)
		if err != nil {
			return err
		}
		var req UserPatch
		if _, err := decodeJSON(c, &req, userServerOwned...); err != nil {
			return err
		}
		ch := auth.UserChanges{Email: req.Email, Name: req.Name, Active: req.Active, Password: req.Password}
		if req.Role != nil {
			r := auth.Role(*req.Role)
			ch.Role = &r
		}
		ctx := c.Request().Context()
		u, err := accounts.UpdateUser(ctx, c.Param("id"), version, ch)
		if err != nil {
			return withCurrentETag(ctx, c, accounts, err)
		}
		c.Response().Header().Set(headerETag, etag(u.Version))
		return c.JSON(http.StatusOK, userResponse(u))
	}
}

// deleteUser deletes an account.
//
//	@Summary		Delete a user
//	@Description	Deletes the account and ends its sessions. A user who authored content cannot be deleted (deactivate them instead), nor the last active admin. With If-Match, only that version is deleted. Admins only.
//	@ID				deleteUser
//	@Tags			users
//	@Security		BearerAuth
//	@Param			id			path	string	true	"User id"	format(uuid)
//	@Param			If-Match	header	string	false	"The ETag of the version being deleted"
//	@Success		204			"Deleted"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"Not an admin"
//	@Failure		404			{object}	Problem	"No such user"
//	@Failure		409			{object}	Problem	"The user authored content, or is the last active admin"
//	@Failure		412			{object}	Problem	"The user changed since the If-Match version; ETag has the current one"
//	@Header			412			{string}	ETag	"The user's current version"
//	@Router			/api/v1/users/{id} [delete]
func deleteUser(accounts *auth.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		version, err := ifMatch(c, false)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		if err := accounts.DeleteUser(ctx, c.Param("id"), version); err != nil {
			return withCurrentETag(ctx, c, accounts, err)
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// withCurrentETag gives a 412 the current ETag, so the client can fetch and retry.
func withCurrentETag(ctx context.Context, c echo.Context, accounts *auth.Store, err error) error {
	if errors.Is(err, auth.ErrStale) {
		if u, ferr := accounts.FindUser(ctx, c.Param("id")); ferr == nil {
			c.Response().Header().Set(headerETag, etag(u.Version))
		}
	}
	return err
}
