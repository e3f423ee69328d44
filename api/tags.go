package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/content"
)

// Tag labels items.
type Tag struct {
	Slug string `json:"slug" example:"asia-and-the-pacific"`
	Name string `json:"name" example:"Asia and the Pacific"`
	// Free text grouping tags, such as topic, region, country or series; null when none.
	Group     *string   `json:"group" extensions:"x-nullable" example:"region"`
	Version   int64     `json:"version" example:"1"`
	CreatedAt time.Time `json:"created_at" format:"date-time"`
	UpdatedAt time.Time `json:"updated_at" format:"date-time"`
} //	@name	Tag

// TagList is a page of tags.
type TagList struct {
	Data []Tag    `json:"data"`
	Meta ListMeta `json:"meta"`
} //	@name	TagList

// NewTag is the body of POST /tags.
type NewTag struct {
	Slug  string  `json:"slug" example:"timor-leste"`
	Name  string  `json:"name" example:"Timor-Leste"`
	Group *string `json:"group" validate:"optional" extensions:"x-nullable" example:"country"`
} //	@name	NewTag

// TagPatch is the body of PATCH /tags/{slug}, a JSON merge patch. A new slug follows into the
// items that carry the tag.
type TagPatch struct {
	Slug  *string `json:"slug" validate:"optional" example:"timor-leste"`
	Name  *string `json:"name" validate:"optional" example:"Timor-Leste"`
	Group *string `json:"group" validate:"optional" extensions:"x-nullable" example:"country"`
} //	@name	TagPatch

var tagServerOwned = []string{"version", "created_at", "updated_at"}

func tagResponse(t *content.Tag) Tag {
	return Tag{Slug: t.Slug, Name: t.Name, Group: t.Group, Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// listTags lists the tags.
//
//	@Summary		List tags
//	@Description	Every tag, by slug, optionally of one group.
//	@ID				listTags
//	@Tags			tags
//	@Produce		json
//	@Param			group	query		string	false	"Only tags of this group"
//	@Param			limit	query		int		false	"Page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor	query		string	false	"The next_cursor of the previous page"
//	@Param			If-None-Match	header	string	false	"An ETag from an earlier response; a match gets 304"
//	@Success		200		{object}	TagList
//	@Header			200		{string}	Link			"The next page, rel=\"next\", when there is one"
//	@Header			200		{string}	ETag			"Identifies this response"
//	@Header			200		{string}	Cache-Control	"public, max-age=…, stale-while-revalidate=…"
//	@Header			200		{string}	Surrogate-Key	"tags"
//	@Success		304		"Not modified since the ETag given"
//	@Failure		400		{object}	Problem	"A bad limit or cursor, or an unknown query parameter"
//	@Failure		401	{object}	Problem	"A bad token"
//	@Security		BearerAuth
//	@Security		Anonymous
//	@Router			/api/v1/tags [get]
func listTags(items *content.Store, cache cachePolicy) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c, "limit", "cursor", "group"); err != nil {
			return err
		}
		limit, after, err := pageParams(c)
		if err != nil {
			return err
		}
		tags, more, err := items.Tags(c.Request().Context(), limit, after, c.QueryParam("group"))
		if err != nil {
			return err
		}
		list := TagList{Data: make([]Tag, len(tags))}
		last := ""
		for i := range tags {
			list.Data[i] = tagResponse(&tags[i])
			last = tags[i].Slug
		}
		list.Meta = pageMeta(c, limit, more, last)
		body, err := marshalJSON(list)
		if err != nil {
			return err
		}
		return cache.servePublic(c, body, bodyETag(body), "tags")
	}
}

// getTag returns one tag.
//
//	@Summary		Get a tag
//	@ID				getTag
//	@Tags			tags
//	@Produce		json
//	@Param			slug	path		string	true	"Tag slug"
//	@Param			If-None-Match	header	string	false	"An ETag from an earlier response; a match gets 304"
//	@Success		200		{object}	Tag
//	@Header			200		{string}	ETag			"The tag's version"
//	@Header			200		{string}	Cache-Control	"public, max-age=…, stale-while-revalidate=…"
//	@Header			200		{string}	Surrogate-Key	"tags tag:SLUG"
//	@Success		304		"Not modified since the ETag given"
//	@Failure		400		{object}	Problem	"An unknown query parameter"
//	@Failure		404		{object}	Problem	"No such tag"
//	@Failure		401	{object}	Problem	"A bad token"
//	@Security		BearerAuth
//	@Security		Anonymous
//	@Router			/api/v1/tags/{slug} [get]
func getTag(items *content.Store, cache cachePolicy) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c); err != nil {
			return err
		}
		t, err := items.FindTag(c.Request().Context(), c.Param("slug"))
		if err != nil {
			return err
		}
		body, tag, err := versionedJSON(tagResponse(t), t.Version)
		if err != nil {
			return err
		}
		return cache.servePublic(c, body, tag, "tags tag:"+t.Slug)
	}
}

// createTag creates a tag.
//
//	@Summary		Create a tag
//	@Description	Editors and admins.
//	@ID				createTag
//	@Tags			tags
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		NewTag	true	"The tag"
//	@Success		201		{object}	Tag
//	@Header			201		{string}	Location	"The tag's URL"
//	@Header			201		{string}	ETag		"The tag's version"
//	@Failure		400		{object}	Problem		"Malformed body, or an unknown property"
//	@Failure		401		{object}	Problem		"No valid access token"
//	@Failure		403		{object}	Problem		"Not an editor or admin"
//	@Failure		409		{object}	Problem		"A tag with this slug exists"
//	@Failure		422		{object}	Problem		"Invalid values"
//	@Router			/api/v1/tags [post]
func createTag(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req NewTag
		if _, err := decodeJSON(c, &req, tagServerOwned...); err != nil {
			return err
		}
		t, err := items.CreateTag(c.Request().Context(), req.Slug, req.Name, req.Group)
		if err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set(echo.HeaderLocation, "/api/v1/tags/"+t.Slug)
		h.Set(headerETag, etag(t.Version))
		return c.JSON(http.StatusCreated, tagResponse(t))
	}
}

// updateTag renames a tag.
//
//	@Summary		Change a tag
//	@Description	A JSON merge patch of the tag. A new slug follows into the items that carry the tag. Editors and admins.
//	@ID				updateTag
//	@Tags			tags
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			slug		path		string		true	"Tag slug"
//	@Param			If-Match	header		string		false	"The ETag of the version being changed"
//	@Param			body		body		TagPatch	true	"The properties to change"
//	@Success		200			{object}	Tag
//	@Header			200			{string}	ETag	"The tag's new version"
//	@Failure		400			{object}	Problem	"Malformed body, or an unknown property"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"Not an editor or admin"
//	@Failure		404			{object}	Problem	"No such tag"
//	@Failure		409			{object}	Problem	"The new slug is taken"
//	@Failure		412			{object}	Problem	"The tag changed since the If-Match version"
//	@Failure		422			{object}	Problem	"Invalid values"
//	@Router			/api/v1/tags/{slug} [patch]
func updateTag(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		versions, err := ifMatch(c, false)
		if err != nil {
			return err
		}
		var req TagPatch
		present, err := decodeJSON(c, &req, tagServerOwned...)
		if err != nil {
			return err
		}
		t, err := items.UpdateTag(c.Request().Context(), c.Param("slug"), versions,
			content.TagInput{Slug: req.Slug, Name: req.Name, Group: optional(present["group"], req.Group)})
		if err != nil {
			return err
		}
		c.Response().Header().Set(headerETag, etag(t.Version))
		return c.JSON(http.StatusOK, tagResponse(t))
	}
}

// deleteTag deletes a tag.
//
//	@Summary		Delete a tag
//	@Description	Deletes a tag no item carries; with detach=true, takes it off the items first (each gets a new version). Editors and admins.
//	@ID				deleteTag
//	@Tags			tags
//	@Security		BearerAuth
//	@Param			slug		path	string	true	"Tag slug"
//	@Param			detach		query	bool	false	"Take the tag off the items that carry it"
//	@Param			If-Match	header	string	false	"The ETag of the version being deleted"
//	@Success		204			"Deleted"
//	@Failure		400			{object}	Problem	"A bad detach or an unknown query parameter"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"Not an editor or admin"
//	@Failure		404			{object}	Problem	"No such tag"
//	@Failure		409			{object}	Problem	"Items carry the tag (use detach=true)"
//	@Failure		412			{object}	Problem	"The tag changed since the If-Match version"
//	@Router			/api/v1/tags/{slug} [delete]
func deleteTag(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c, "detach"); err != nil {
			return err
		}
		detach := c.QueryParam("detach")
		if detach != "" && detach != "true" && detach != "false" {
			return queryProblem("detach", "must be true or false")
		}
		versions, err := ifMatch(c, false)
		if err != nil {
			return err
		}
		if err := items.DeleteTag(c.Request().Context(), actor(c), c.Param("slug"), versions, detach == "true"); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}
