package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/content"
)

// FieldDefinition defines one field of a content type.
type FieldDefinition struct {
	// Lower-case letters, digits and underscores; not an item property such as title.
	Name string `json:"name" example:"starts_at"`
	Kind string `json:"kind" enums:"text,markdown,number,integer,boolean,date,datetime,url,email,enum,list,reference" example:"datetime"`
	// Items must give a value.
	Required    bool   `json:"required,omitempty" validate:"optional" example:"false"`
	Description string `json:"description,omitempty" validate:"optional" example:"When it starts"`
	// Characters (text, markdown, url, email; each item of a list).
	MinLength *int `json:"min_length,omitempty" validate:"optional"`
	MaxLength *int `json:"max_length,omitempty" validate:"optional" example:"200"`
	// Bounds of number and integer fields.
	Min *float64 `json:"min,omitempty" validate:"optional"`
	Max *float64 `json:"max,omitempty" validate:"optional"`
	// A regular expression (RE2 syntax) that text, url, email and list values must match.
	Pattern string `json:"pattern,omitempty" validate:"optional"`
	// The values of an enum field.
	Values []string `json:"values,omitempty" validate:"optional"`
	// The types a reference field may point to; any when absent.
	Types []string `json:"types,omitempty" validate:"optional"`
} //	@name	FieldDefinition

// ContentType is a kind of item, with the fields its items have.
type ContentType struct {
	Key         string            `json:"key" example:"event"`
	Name        string            `json:"name" example:"Event"`
	Description string            `json:"description" example:"Something that takes place at a given time."`
	Fields      []FieldDefinition `json:"fields"`
	Version     int64             `json:"version" example:"1"`
	CreatedAt   time.Time         `json:"created_at" format:"date-time"`
	UpdatedAt   time.Time         `json:"updated_at" format:"date-time"`
} //	@name	ContentType

// ContentTypeList is the list of content types.
type ContentTypeList struct {
	Data []ContentType `json:"data"`
	Meta ListMeta      `json:"meta"`
} //	@name	ContentTypeList

// NewContentType is the body of POST /types.
type NewContentType struct {
	// Lower-case letters, digits, - and _, starting with a letter.
	Key         string            `json:"key" example:"report"`
	Name        string            `json:"name" example:"Report"`
	Description string            `json:"description" validate:"optional" example:"A published study."`
	Fields      []FieldDefinition `json:"fields" validate:"optional"`
} //	@name	NewContentType

// ContentTypeUpdate is the body of PUT /types/{key}: the whole definition.
type ContentTypeUpdate struct {
	Name        string            `json:"name" example:"Event"`
	Description string            `json:"description" validate:"optional"`
	Fields      []FieldDefinition `json:"fields"`
} //	@name	ContentTypeUpdate

// TypeChangePlan is what a change to a type would do to its items.
type TypeChangePlan struct {
	// The parts of the change that could make existing items invalid.
	Changes []string `json:"changes" example:"removes location"`
	// Items of the type (trashed included).
	Items int `json:"items" example:"12"`
	// Items that would not validate under the new definition, and a few of their ids.
	Invalid  int      `json:"invalid" example:"0"`
	Examples []string `json:"examples"`
	// Items holding values of removed fields; applying removes the values (each item gets a new
	// version; earlier revisions keep them).
	Stripped int `json:"stripped" example:"3"`
} //	@name	TypeChangePlan

func fieldDefs(in []content.FieldDef) []FieldDefinition {
	out := make([]FieldDefinition, len(in))
	for i, d := range in {
		out[i] = FieldDefinition(d)
	}
	return out
}

func fieldDefsIn(in []FieldDefinition) []content.FieldDef {
	out := make([]content.FieldDef, len(in))
	for i, d := range in {
		out[i] = content.FieldDef(d)
	}
	return out
}

func typeResponse(t *content.Type) ContentType {
	return ContentType{Key: t.Key, Name: t.Name, Description: t.Description, Fields: fieldDefs(t.Defs()),
		Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// typeServerOwned are the ContentType properties a request may not set.
var typeServerOwned = []string{"version", "created_at", "updated_at"}

// listTypes lists the content types.
//
//	@Summary		List content types
//	@Description	Every content type, by key, with its field definitions.
//	@ID				listTypes
//	@Tags			types
//	@Produce		json
//	@Param			limit	query		int		false	"Page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor	query		string	false	"The next_cursor of the previous page"
//	@Param			If-None-Match	header	string	false	"An ETag from an earlier response; a match gets 304"
//	@Success		200		{object}	ContentTypeList
//	@Header			200		{string}	ETag			"Identifies this response"
//	@Header			200		{string}	Cache-Control	"public, max-age=…, stale-while-revalidate=…"
//	@Header			200		{string}	Surrogate-Key	"types"
//	@Success		304		"Not modified since the ETag given"
//	@Failure		400		{object}	Problem	"A bad limit or cursor, or an unknown query parameter"
//	@Failure		401	{object}	Problem	"A bad token"
//	@Security		BearerAuth
//	@Security		Anonymous
//	@Router			/api/v1/types [get]
func listTypes(items *content.Store, cache cachePolicy) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c, "limit", "cursor"); err != nil {
			return err
		}
		limit, after, err := pageParams(c)
		if err != nil {
			return err
		}
		types, err := items.Types(c.Request().Context())
		if err != nil {
			return err
		}
		start := 0
		if after != "" {
			start = len(types)
			if i := slices.IndexFunc(types, func(t content.Type) bool { return t.Key > after }); i >= 0 {
				start = i
			}
		}
		types = types[start:]
		more := len(types) > limit
		types = types[:min(limit, len(types))]
		list := ContentTypeList{Data: make([]ContentType, len(types))}
		last := ""
		for i := range types {
			list.Data[i] = typeResponse(&types[i])
			last = types[i].Key
		}
		list.Meta = pageMeta(c, limit, more, last)
		body, err := marshalJSON(list)
		if err != nil {
			return err
		}
		return cache.servePublic(c, body, bodyETag(body), "types")
	}
}

// getType returns one content type.
//
//	@Summary		Get a content type
//	@ID				getType
//	@Tags			types
//	@Produce		json
//	@Param			key	path		string	true	"Type key"
//	@Param			If-None-Match	header	string	false	"An ETag from an earlier response; a match gets 304"
//	@Success		200	{object}	ContentType
//	@Header			200	{string}	ETag			"The type's version"
//	@Header			200	{string}	Cache-Control	"public, max-age=…, stale-while-revalidate=…"
//	@Header			200	{string}	Surrogate-Key	"types type:KEY"
//	@Success		304		"Not modified since the ETag given"
//	@Failure		400	{object}	Problem	"An unknown query parameter"
//	@Failure		404	{object}	Problem	"No such type"
//	@Failure		401	{object}	Problem	"A bad token"
//	@Security		BearerAuth
//	@Security		Anonymous
//	@Router			/api/v1/types/{key} [get]
func getType(items *content.Store, cache cachePolicy) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c); err != nil {
			return err
		}
		t, err := items.FindType(c.Request().Context(), c.Param("key"))
		if err != nil {
			return err
		}
		body, tag, err := versionedJSON(typeResponse(t), t.Version)
		if err != nil {
			return err
		}
		return cache.servePublic(c, body, tag, "types type:"+t.Key)
	}
}

// createType defines a content type.
//
//	@Summary		Create a content type
//	@Description	Defines a content type and its fields. The definition is checked: an unknown kind, a field defined twice, an enum without values, a pattern that does not compile or a field named like an item property is a 422 naming it. Admins only.
//	@ID				createType
//	@Tags			types
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		NewContentType	true	"The type"
//	@Success		201		{object}	ContentType
//	@Header			201		{string}	Location	"The type's URL"
//	@Header			201		{string}	ETag		"The type's version"
//	@Failure		400		{object}	Problem		"Malformed body, or an unknown property"
//	@Failure		401		{object}	Problem		"No valid access token"
//	@Failure		403		{object}	Problem		"Not an admin"
//	@Failure		409		{object}	Problem		"A type with this key exists"
//	@Failure		422		{object}	Problem		"An invalid definition"
//	@Router			/api/v1/types [post]
func createType(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req NewContentType
		if _, err := decodeJSON(c, &req, typeServerOwned...); err != nil {
			return err
		}
		t, err := items.CreateType(c.Request().Context(), req.Key, content.TypeInput{Name: req.Name, Description: req.Description, Fields: fieldDefsIn(req.Fields)})
		if err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set(echo.HeaderLocation, "/api/v1/types/"+t.Key)
		h.Set(headerETag, etag(t.Version))
		return c.JSON(http.StatusCreated, typeResponse(t))
	}
}

// updateType replaces a content type's definition.
//
//	@Summary		Change a content type
//	@Description	Replaces the type's name, description and fields. Adding optional fields applies at once. A change that could make existing items invalid (removing a field, adding a required one, changing a kind, narrowing a constraint or an enum) answers 409 with a plan (how many items would not validate, a few example ids) and applies only when sent again with apply=true; applying removes removed fields' values from the items as a new version of each (their revisions keep them). Admins only.
//	@ID				updateType
//	@Tags			types
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			key			path		string				true	"Type key"
//	@Param			apply		query		bool				false	"Apply a change that could invalidate items"
//	@Param			If-Match	header		string				false	"The ETag of the version being changed"
//	@Param			body		body		ContentTypeUpdate	true	"The whole definition"
//	@Success		200			{object}	ContentType
//	@Header			200			{string}	ETag	"The type's new version"
//	@Failure		400			{object}	Problem	"Malformed body, or an unknown property"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"Not an admin"
//	@Failure		404			{object}	Problem	"No such type"
//	@Failure		409			{object}	Problem	"The change could invalidate items: the plan is in plan; send apply=true to apply it"
//	@Failure		412			{object}	Problem	"The type changed since the If-Match version"
//	@Failure		422			{object}	Problem	"An invalid definition"
//	@Router			/api/v1/types/{key} [put]
func updateType(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c, "apply"); err != nil {
			return err
		}
		apply := c.QueryParam("apply")
		if apply != "" && apply != "true" && apply != "false" {
			return queryProblem("apply", "must be true or false")
		}
		versions, err := ifMatch(c, false)
		if err != nil {
			return err
		}
		var req ContentTypeUpdate
		if _, err := decodeJSON(c, &req, append(typeServerOwned, "key")...); err != nil {
			return err
		}
		t, _, err := items.UpdateType(c.Request().Context(), actor(c), c.Param("key"), versions,
			content.TypeInput{Name: req.Name, Description: req.Description, Fields: fieldDefsIn(req.Fields)}, apply == "true")
		var planErr *content.PlanError
		if errors.As(err, &planErr) {
			p := NewProblem(http.StatusConflict, "This change could make existing items invalid (%s). Send it again with apply=true to apply it.", strings.Join(planErr.Plan.Changes, "; "))
			plan := TypeChangePlan{Changes: orNone(planErr.Plan.Changes), Items: planErr.Plan.Items, Invalid: planErr.Plan.Invalid,
				Examples: orNone(planErr.Plan.Examples), Stripped: planErr.Plan.Stripped}
			p.Plan = &plan
			return p
		}
		if err != nil {
			return err
		}
		c.Response().Header().Set(headerETag, etag(t.Version))
		return c.JSON(http.StatusOK, typeResponse(t))
	}
}

func orNone(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// deleteType deletes a content type.
//
//	@Summary		Delete a content type
//	@Description	Deletes a type that no item (trashed ones included) uses and no reference field names. Admins only.
//	@ID				deleteType
//	@Tags			types
//	@Security		BearerAuth
//	@Param			key			path	string	true	"Type key"
//	@Param			If-Match	header	string	false	"The ETag of the version being deleted"
//	@Success		204			"Deleted"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"Not an admin"
//	@Failure		404			{object}	Problem	"No such type"
//	@Failure		409			{object}	Problem	"Items use the type"
//	@Failure		412			{object}	Problem	"The type changed since the If-Match version"
//	@Router			/api/v1/types/{key} [delete]
func deleteType(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		versions, err := ifMatch(c, false)
		if err != nil {
			return err
		}
		if err := items.DeleteType(c.Request().Context(), c.Param("key"), versions); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}
