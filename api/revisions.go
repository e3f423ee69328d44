package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/content"
)

// Revision is one saved version of an item.
type Revision struct {
	ItemID  string `json:"item_id" format:"uuid"`
	Version int64  `json:"version" example:"2"`
	// The item's content and state as saved: type, slug, title, summary, body, fields, tags,
	// status, published_at, unpublish_at, deleted_at.
	Snapshot  json.RawMessage `json:"snapshot" swaggertype:"object"`
	Author    ItemAuthor      `json:"author"`
	CreatedAt time.Time       `json:"created_at" format:"date-time"`
} //	@name	Revision

// RevisionList is a page of revisions, newest first.
type RevisionList struct {
	Data []Revision `json:"data"`
	Meta ListMeta   `json:"meta"`
} //	@name	RevisionList

func revisionResponse(r *content.Revision) Revision {
	return Revision{ItemID: r.ItemID, Version: r.Version, Snapshot: json.RawMessage(r.Snapshot),
		Author: ItemAuthor{ID: r.AuthorID, Name: r.AuthorName}, CreatedAt: r.CreatedAt}
}

// listRevisions lists an item's revisions.
//
//	@Summary		List an item's revisions
//	@Description	Every saved version of the item, newest first, with who saved it and when. Editors and admins, and the item's author.
//	@ID				listRevisions
//	@Tags			items
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"Item id"	format(uuid)
//	@Param			limit	query		int		false	"Page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor	query		string	false	"The next_cursor of the previous page"
//	@Success		200		{object}	RevisionList
//	@Header			200		{string}	Link	"The next page, rel=\"next\", when there is one"
//	@Failure		400		{object}	Problem	"A bad limit or cursor, or an unknown query parameter"
//	@Failure		401		{object}	Problem	"No valid access token"
//	@Failure		403		{object}	Problem	"The caller may see the item but not its revisions"
//	@Failure		404		{object}	Problem	"No such item, or not one the caller may see"
//	@Router			/api/v1/items/{id}/revisions [get]
func listRevisions(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c, "limit", "cursor"); err != nil {
			return err
		}
		limit, after, err := pageParams(c)
		if err != nil {
			return err
		}
		var before int64
		if after != "" {
			if before, err = strconv.ParseInt(after, 10, 64); err != nil || before < 1 {
				return queryProblem("cursor", "is not a cursor this API returned")
			}
		}
		revs, more, err := items.Revisions(c.Request().Context(), actor(c), c.Param("id"), limit, before)
		if err != nil {
			return err
		}
		list := RevisionList{Data: make([]Revision, len(revs))}
		for i := range revs {
			list.Data[i] = revisionResponse(&revs[i])
		}
		last := ""
		if len(revs) > 0 {
			last = strconv.FormatInt(revs[len(revs)-1].Version, 10)
		}
		list.Meta = pageMeta(c, limit, more, last)
		return c.JSON(http.StatusOK, list)
	}
}

// getRevision returns one revision.
//
//	@Summary		Get a revision
//	@Description	One saved version of the item. Editors and admins, and the item's author.
//	@ID				getRevision
//	@Tags			items
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id		path		string	true	"Item id"	format(uuid)
//	@Param			version	path		int		true	"Version"	minimum(1)
//	@Success		200		{object}	Revision
//	@Header			200		{string}	ETag	"Identifies this response"
//	@Failure		401		{object}	Problem	"No valid access token"
//	@Failure		403		{object}	Problem	"The caller may see the item but not its revisions"
//	@Failure		404		{object}	Problem	"No such item or version, or not one the caller may see"
//	@Router			/api/v1/items/{id}/revisions/{version} [get]
func getRevision(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		version, err := strconv.ParseInt(c.Param("version"), 10, 64)
		if err != nil || version < 1 {
			return echo.ErrNotFound
		}
		r, err := items.Revision(c.Request().Context(), actor(c), c.Param("id"), version)
		if err != nil {
			return err
		}
		body, err := marshalJSON(revisionResponse(r))
		if err != nil {
			return err
		}
		c.Response().Header().Set(headerETag, bodyETag(body))
		return writeJSON(c, http.StatusOK, body)
	}
}

// restoreRevision makes a revision's content current again.
//
//	@Summary		Restore a revision
//	@Description	Makes the revision's content (title, summary, body, fields, tags, slug) the item's again, as a new version; its status and dates stay as they are. If-Match is required; the body is empty or {}. Authors may do this on their own drafts; editors and admins on any item.
//	@ID				restoreRevision
//	@Tags			items
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string	true	"Item id"	format(uuid)
//	@Param			version		path		int		true	"Version to restore"	minimum(1)
//	@Param			If-Match	header		string	true	"The ETag of the item's current version"
//	@Success		200			{object}	Item
//	@Header			200			{string}	ETag	"The item's new version"
//	@Failure		400			{object}	Problem	"A body other than {}"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"The caller may see the item but not change it"
//	@Failure		404			{object}	Problem	"No such item or version, or not one the caller may see"
//	@Failure		409			{object}	Problem	"The revision's slug is taken now, or the item is in the trash"
//	@Failure		412			{object}	Problem	"The item changed since the If-Match version; ETag has the current one"
//	@Header			412			{string}	ETag	"The item's current version"
//	@Failure		422			{object}	Problem	"The revision names tags that no longer exist"
//	@Failure		428			{object}	Problem	"No If-Match"
//	@Router			/api/v1/items/{id}/revisions/{version}/restore [post]
func restoreRevision(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		revision, err := strconv.ParseInt(c.Param("version"), 10, 64)
		if err != nil || revision < 1 {
			return echo.ErrNotFound
		}
		version, err := ifMatch(c, true)
		if err != nil {
			return err
		}
		if err := emptyBody(c); err != nil {
			return err
		}
		return itemWrite(c, items, func(ctx context.Context, a *content.Actor, id string) (*content.Item, error) {
			return items.RestoreRevision(ctx, a, id, revision, version)
		})
	}
}
