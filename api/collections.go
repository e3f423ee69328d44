package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/content"
)

// CollectionFilter selects a collection's items: of any of types (any type when empty), with all
// of tags and, when given, any of tags_any.
type CollectionFilter struct {
	Types   []string `json:"types" example:"news,article"`
	Tags    []string `json:"tags" example:"cooperatives,asia-and-the-pacific"`
	TagsAny []string `json:"tags_any" example:"india,nepal"`
} //	@name	CollectionFilter

// CollectionFilterInput is a collection's filter as a request gives it: a list left out is
// empty. A filter given replaces the whole filter.
type CollectionFilterInput struct {
	Types   []string `json:"types" validate:"optional" example:"news,article"`
	Tags    []string `json:"tags" validate:"optional" example:"cooperatives"`
	TagsAny []string `json:"tags_any" validate:"optional" example:"india,nepal"`
} //	@name	CollectionFilterInput

// Collection is a curated listing page.
type Collection struct {
	Key         string           `json:"key" example:"ilo-coop-asia-pacific"`
	Title       string           `json:"title" example:"ILO's work on cooperatives in Asia and the Pacific"`
	Description string           `json:"description" example:"News, articles and events on cooperatives in the region."`
	Filter      CollectionFilter `json:"filter"`
	// Item ids shown first, in this order. Anonymous callers see only those of public items;
	// editors see all (items that are not public are skipped when the collection is listed).
	Pinned []string `json:"pinned" example:"0193d5b4-6f1e-7c3a-9a57-2f4d8b1c0e9a"`
	// The order of the items after the pinned ones: a sort field, - for descending.
	Sort      string    `json:"sort" example:"-published_at"`
	Version   int64     `json:"version" example:"1"`
	CreatedAt time.Time `json:"created_at" format:"date-time"`
	UpdatedAt time.Time `json:"updated_at" format:"date-time"`
} //	@name	Collection

// CollectionList is a page of collections.
type CollectionList struct {
	Data []Collection `json:"data"`
	Meta ListMeta     `json:"meta"`
} //	@name	CollectionList

// NewCollection is the body of POST /collections.
type NewCollection struct {
	Key         string                 `json:"key" example:"ilo-coop-asia-pacific"`
	Title       string                 `json:"title" example:"ILO's work on cooperatives in Asia and the Pacific"`
	Description *string                `json:"description" validate:"optional"`
	Filter      *CollectionFilterInput `json:"filter" validate:"optional"`
	Pinned      []string               `json:"pinned" validate:"optional"`
	Sort        *string                `json:"sort" validate:"optional" example:"-published_at"`
} //	@name	NewCollection

// CollectionPatch is the body of PATCH /collections/{key}, a JSON merge patch; filter and
// pinned are replaced whole.
type CollectionPatch struct {
	Title       *string                `json:"title" validate:"optional"`
	Description *string                `json:"description" validate:"optional"`
	Filter      *CollectionFilterInput `json:"filter" validate:"optional"`
	Pinned      []string               `json:"pinned" validate:"optional"`
	Sort        *string                `json:"sort" validate:"optional"`
} //	@name	CollectionPatch

var collectionServerOwned = []string{"version", "created_at", "updated_at"}

func collectionResponse(c *content.Collection) Collection {
	f := c.FilterValue()
	return Collection{Key: c.Key, Title: c.Title, Description: c.Description,
		Filter: CollectionFilter{Types: f.Types, Tags: f.Tags, TagsAny: f.TagsAny}, Pinned: c.PinnedIDs(),
		Sort: c.Sort, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func collectionInput(title, description *string, filter *CollectionFilterInput, pinned []string, pinnedGiven bool, sort *string) content.CollectionInput {
	in := content.CollectionInput{Title: title, Description: description, Sort: sort}
	if filter != nil {
		in.Filter = &content.CollectionFilter{Types: filter.Types, Tags: filter.Tags, TagsAny: filter.TagsAny}
	}
	if pinnedGiven {
		in.Pinned = &pinned
	}
	return in
}

// listCollections lists the collections.
//
//	@Summary		List collections
//	@ID				listCollections
//	@Tags			collections
//	@Produce		json
//	@Param			limit	query		int		false	"Page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor	query		string	false	"The next_cursor of the previous page"
//	@Param			If-None-Match	header	string	false	"An ETag from an earlier response; a match gets 304"
//	@Success		200		{object}	CollectionList
//	@Header			200		{string}	Link			"The next page, rel=\"next\", when there is one"
//	@Header			200		{string}	ETag			"Identifies this response"
//	@Header			200		{string}	Cache-Control	"public, max-age=…, stale-while-revalidate=… when anonymous"
//	@Header			200		{string}	Surrogate-Key	"collections"
//	@Success		304		"Not modified since the ETag given"
//	@Failure		400		{object}	Problem	"A bad limit or cursor, or an unknown query parameter"
//	@Failure		401		{object}	Problem	"A bad token"
//	@Security		BearerAuth
//	@Security		Anonymous
//	@Router			/api/v1/collections [get]
func listCollections(items *content.Store, cache cachePolicy) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c, "limit", "cursor"); err != nil {
			return err
		}
		limit, after, err := pageParams(c)
		if err != nil {
			return err
		}
		cs, more, err := items.Collections(c.Request().Context(), limit, after)
		if err != nil {
			return err
		}
		list := CollectionList{Data: make([]Collection, len(cs))}
		last := ""
		for i := range cs {
			if list.Data[i], err = visibleCollection(c, items, &cs[i]); err != nil {
				return err
			}
			last = cs[i].Key
		}
		list.Meta = pageMeta(c, limit, more, last)
		body, err := marshalJSON(list)
		if err != nil {
			return err
		}
		return cache.servePublic(c, body, bodyETag(body), "collections")
	}
}

// visibleCollection is a collection as the caller may see it: without credentials, pinned lists
// only public items (the ids of drafts and scheduled items are not for the public).
func visibleCollection(c echo.Context, items *content.Store, col *content.Collection) (Collection, error) {
	out := collectionResponse(col)
	if principal(c) == nil {
		public, err := items.PublicIDs(c.Request().Context(), out.Pinned)
		if err != nil {
			return Collection{}, err
		}
		out.Pinned = public
	}
	return out, nil
}

// getCollection returns one collection.
//
//	@Summary		Get a collection
//	@ID				getCollection
//	@Tags			collections
//	@Produce		json
//	@Param			key	path		string	true	"Collection key"
//	@Param			If-None-Match	header	string	false	"An ETag from an earlier response; a match gets 304"
//	@Success		200	{object}	Collection
//	@Header			200	{string}	ETag			"The collection's version"
//	@Header			200	{string}	Cache-Control	"public, max-age=…, stale-while-revalidate=… when anonymous"
//	@Header			200	{string}	Surrogate-Key	"collection:KEY"
//	@Success		304		"Not modified since the ETag given"
//	@Failure		400	{object}	Problem	"An unknown query parameter"
//	@Failure		401	{object}	Problem	"A bad token"
//	@Failure		404	{object}	Problem	"No such collection"
//	@Security		BearerAuth
//	@Security		Anonymous
//	@Router			/api/v1/collections/{key} [get]
func getCollection(items *content.Store, cache cachePolicy) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c); err != nil {
			return err
		}
		// Before the read: see listItems.
		next, err := items.NextChange(c.Request().Context())
		if err != nil {
			return err
		}
		col, err := items.FindCollection(c.Request().Context(), c.Param("key"))
		if err != nil {
			return err
		}
		out, err := visibleCollection(c, items, col)
		if err != nil {
			return err
		}
		body, tag, err := versionedJSON(out, col.Version)
		if err != nil {
			return err
		}
		if principal(c) != nil {
			c.Response().Header().Set(headerETag, tag)
			return writeJSON(c, http.StatusOK, body)
		}
		// Which pinned items are public changes with the clock: cache no longer than that.
		return cache.serve(c, body, tag, "collection:"+col.Key, next)
	}
}

// collectionItems returns a page of a collection's items.
//
//	@Summary		List a collection's items
//	@Description	The collection's pinned items that are public, in their order, then every other public item matching its filter, in its sort order: the listing page, in one call. Pages by cursor or by page number like GET /api/v1/items; select works the same. Cacheable (ETag, Cache-Control, Surrogate-Key collection:KEY).
//	@ID				listCollectionItems
//	@Tags			collections
//	@Produce		json
//	@Param			key				path		string	true	"Collection key"
//	@Param			limit			query		int		false	"Page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor			query		string	false	"The next_cursor of the previous page"
//	@Param			page			query		int		false	"A page number, instead of a cursor"	minimum(1)
//	@Param			select			query		string	false	"Item properties to return, comma-separated (id is always returned)"
//	@Param			q				query		string	false	"Full-text search within the collection (pinned items included), by relevance among the 1000 newest matches"	maxLength(200)
//	@Param			If-None-Match	header		string	false	"An ETag from an earlier response; a match gets 304"
//	@Success		200				{object}	ItemList
//	@Success		304				"Not modified"
//	@Header			200				{string}	ETag			"Identifies this response"
//	@Header			200				{string}	Link			"The next page, rel=\"next\", when there is one"
//	@Header			200				{string}	Cache-Control	"public, max-age=…, stale-while-revalidate=…"
//	@Header			200				{string}	Surrogate-Key	"collection:KEY items"
//	@Failure		400				{object}	Problem			"An unknown parameter or a bad value"
//	@Failure		404				{object}	Problem			"No such collection"
//	@Router			/api/v1/collections/{key}/items [get]
func collectionItems(items *content.Store, cache cachePolicy) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c, "limit", "cursor", "page", "select", "q"); err != nil {
			return err
		}
		// The item-list parser checks limit, page, select and q; the cursor is the collection's own.
		v := c.QueryParams()
		values := map[string][]string{}
		for _, k := range []string{"limit", "page", "select", "q"} {
			if v.Has(k) {
				values[k] = v[k]
			}
		}
		q, err := content.ParseQuery(values, false)
		if err != nil {
			return queryError(err)
		}
		cq := content.CollectionQuery{Limit: q.Limit, Page: q.Page, Q: q.Q}
		if s := v.Get("cursor"); s != "" {
			if q.Page > 0 {
				return queryProblem("cursor", "cannot be combined with page")
			}
			if cq.Cursor, err = content.DecodeCursor(s); err != nil {
				return queryProblem("cursor", "is not a cursor this API returned")
			}
		}
		ctx := c.Request().Context()
		// Before the read: see listItems.
		next, err := items.NextChange(ctx)
		if err != nil {
			return err
		}
		page, err := items.CollectionItems(ctx, c.Param("key"), cq)
		if err != nil {
			return err
		}
		body, err := listBody(c, page, q)
		if err != nil {
			return err
		}
		return cache.serve(c, body, bodyETag(body), "collection:"+c.Param("key")+" items", next)
	}
}

// createCollection creates a collection.
//
//	@Summary		Create a collection
//	@Description	Editors and admins.
//	@ID				createCollection
//	@Tags			collections
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		NewCollection	true	"The collection"
//	@Success		201		{object}	Collection
//	@Header			201		{string}	Location	"The collection's URL"
//	@Header			201		{string}	ETag		"The collection's version"
//	@Failure		400		{object}	Problem		"Malformed body, or an unknown property"
//	@Failure		401		{object}	Problem		"No valid access token"
//	@Failure		403		{object}	Problem		"Not an editor or admin"
//	@Failure		409		{object}	Problem		"A collection with this key exists"
//	@Failure		422		{object}	Problem		"Invalid values, unknown types, tags or items"
//	@Router			/api/v1/collections [post]
func createCollection(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req NewCollection
		present, err := decodeJSON(c, &req, collectionServerOwned...)
		if err != nil {
			return err
		}
		col, err := items.CreateCollection(c.Request().Context(), req.Key,
			collectionInput(&req.Title, req.Description, req.Filter, req.Pinned, present["pinned"], req.Sort))
		if err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set(echo.HeaderLocation, "/api/v1/collections/"+col.Key)
		h.Set(headerETag, etag(col.Version))
		return c.JSON(http.StatusCreated, collectionResponse(col))
	}
}

// updateCollection changes a collection.
//
//	@Summary		Change a collection
//	@Description	A JSON merge patch of the collection; filter and pinned are replaced whole. Editors and admins.
//	@ID				updateCollection
//	@Tags			collections
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			key			path		string			true	"Collection key"
//	@Param			If-Match	header		string			false	"The ETag of the version being changed"
//	@Param			body		body		CollectionPatch	true	"The properties to change"
//	@Success		200			{object}	Collection
//	@Header			200			{string}	ETag	"The collection's new version"
//	@Failure		400			{object}	Problem	"Malformed body, or an unknown property"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"Not an editor or admin"
//	@Failure		404			{object}	Problem	"No such collection"
//	@Failure		412			{object}	Problem	"The collection changed since the If-Match version"
//	@Failure		422			{object}	Problem	"Invalid values, unknown types, tags or items"
//	@Router			/api/v1/collections/{key} [patch]
func updateCollection(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		versions, err := ifMatch(c, false)
		if err != nil {
			return err
		}
		var req CollectionPatch
		present, err := decodeJSON(c, &req, append(collectionServerOwned, "key")...)
		if err != nil {
			return err
		}
		col, err := items.UpdateCollection(c.Request().Context(), c.Param("key"), versions,
			collectionInput(req.Title, req.Description, req.Filter, req.Pinned, present["pinned"], req.Sort))
		if err != nil {
			return err
		}
		c.Response().Header().Set(headerETag, etag(col.Version))
		return c.JSON(http.StatusOK, collectionResponse(col))
	}
}

// deleteCollection deletes a collection.
//
//	@Summary		Delete a collection
//	@Description	Deletes the collection, not its items. Editors and admins.
//	@ID				deleteCollection
//	@Tags			collections
//	@Security		BearerAuth
//	@Param			key			path	string	true	"Collection key"
//	@Param			If-Match	header	string	false	"The ETag of the version being deleted"
//	@Success		204			"Deleted"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"Not an editor or admin"
//	@Failure		404			{object}	Problem	"No such collection"
//	@Failure		412			{object}	Problem	"The collection changed since the If-Match version"
//	@Router			/api/v1/collections/{key} [delete]
func deleteCollection(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		versions, err := ifMatch(c, false)
		if err != nil {
			return err
		}
		if err := items.DeleteCollection(c.Request().Context(), c.Param("key"), versions); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}
