package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"html"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/content"
	"github.com/foliocms/folio/internal/validation"
)

// Item is a piece of content.
type Item struct {
	ID    string `json:"id" format:"uuid" example:"0193d5b4-6f1e-7c3a-9a57-2f4d8b1c0e9a"`
	Type  string `json:"type" example:"news"`
	Slug  string `json:"slug" example:"ilo-coop-100-webinar-ii-advancing-gender-equality-through-cooperatives"`
	Title string `json:"title" example:"ILO COOP 100 Webinar II - Advancing gender equality through cooperatives"`
	// A short text for lists; null when there is none.
	Summary *string `json:"summary" extensions:"x-nullable" example:"Four cooperative practitioners discussed gender equality in the cooperative movement."`
	// Markdown.
	Body string `json:"body" example:"Four practitioners **shared** their experience."`
	// The body rendered to HTML and sanitized when the item was saved; read-only.
	BodyHTML string `json:"body_html" example:"<p>Four practitioners <strong>shared</strong> their experience.</p>\n"`
	// Values of the type's own fields (their schema per type is in the components, as
	// <Type>Fields, e.g. EventFields).
	Fields json.RawMessage `json:"fields" swaggertype:"object"`
	// The HTML of each markdown field, by name: rendered and sanitized when saved; read-only.
	FieldsHTML json.RawMessage `json:"fields_html" swaggertype:"object"`
	// Tag slugs.
	Tags   []string `json:"tags" example:"cooperatives,asia-and-the-pacific"`
	Status string   `json:"status" enums:"draft,published" example:"published"`
	// When it became, or becomes, public; null for a draft.
	PublishedAt *time.Time `json:"published_at" extensions:"x-nullable" format:"date-time" example:"2020-04-28T09:00:00Z"`
	// When it stops being public; null for never.
	UnpublishAt *time.Time `json:"unpublish_at" extensions:"x-nullable" format:"date-time"`
	Author      ItemAuthor `json:"author"`
	// Grows by one with every change; the ETag names it.
	Version   int64     `json:"version" example:"3"`
	CreatedAt time.Time `json:"created_at" format:"date-time"`
	UpdatedAt time.Time `json:"updated_at" format:"date-time"`
	// When it went to the trash; only on trashed items.
	DeletedAt *time.Time `json:"deleted_at,omitempty" validate:"optional" format:"date-time"`
	// In search results (q=) only: how the item matched.
	Search *ItemSearch `json:"search,omitempty" validate:"optional"`
} //	@name	Item

// ItemSearch tells how an item matched a search.
type ItemSearch struct {
	// Relevance: higher is better (bm25, with words in the title counting most).
	Score float64 `json:"score" example:"7.42"`
	// The text around the matches, HTML-escaped, the matched words in <mark>.
	Snippet string `json:"snippet" example:"Strengthening <mark>cooperatives</mark> towards socio-economic development…"`
} //	@name	ItemSearch

// ItemAuthor is who created an item.
type ItemAuthor struct {
	ID   string `json:"id" format:"uuid"`
	Name string `json:"name" example:"Ana Editor"`
} //	@name	ItemAuthor

// ItemListMeta describes a page of items: a cursor page, or a numbered page with totals.
type ItemListMeta struct {
	Limit int `json:"limit" example:"20"`
	// Pass as cursor to get the next page; null on the last page and with page.
	NextCursor *string `json:"next_cursor" extensions:"x-nullable"`
	// With page only: the number of items (in a search by relevance, of those ranked: at most
	// 1000), the page and the number of pages.
	Total *int64 `json:"total,omitempty" validate:"optional" example:"10"`
	Page  *int   `json:"page,omitempty" validate:"optional" example:"1"`
	Pages *int64 `json:"pages,omitempty" validate:"optional" example:"1"`
} //	@name	ItemListMeta

// ItemList is a page of items. With select, each item has only the properties selected (and id).
type ItemList struct {
	Data []Item       `json:"data"`
	Meta ItemListMeta `json:"meta"`
} //	@name	ItemList

// NewItemRequest is the body of POST /items. The item is created as a draft.
type NewItemRequest struct {
	// The key of a content type.
	Type string `json:"type" example:"news"`
	// 1 to 300 characters.
	Title string `json:"title" example:"Cooperatives in Timor-Leste"`
	// Lower-case letters and digits joined by hyphens, at most 96 characters, unique within the
	// type; derived from the title when absent.
	Slug *string `json:"slug" validate:"optional" example:"cooperatives-in-timor-leste"`
	// At most 1000 characters.
	Summary *string `json:"summary" validate:"optional" extensions:"x-nullable" example:"How cooperatives organise in Timor-Leste."`
	// Markdown.
	Body string `json:"body" validate:"optional" example:"## Background\n\nCooperatives in *Timor-Leste*…"`
	// Values of the type's own fields: a JSON object.
	Fields json.RawMessage `json:"fields" validate:"optional" swaggertype:"object"`
	// Slugs of existing tags, at most 50.
	Tags []string `json:"tags" validate:"optional" example:"cooperatives"`
	// When the item stops being public once published.
	UnpublishAt *time.Time `json:"unpublish_at" validate:"optional" extensions:"x-nullable" format:"date-time"`
} //	@name	NewItem

// ItemPatchRequest is the body of PATCH /items/{id}: a JSON merge patch (RFC 7396) of the
// item's content. fields is merged too: a property set to null there is removed.
type ItemPatchRequest struct {
	// The item's type, if given, must be its current one.
	Type        *string         `json:"type" validate:"optional" example:"news"`
	Title       *string         `json:"title" validate:"optional" example:"Cooperatives in Timor-Leste"`
	Slug        *string         `json:"slug" validate:"optional" example:"cooperatives-in-timor-leste"`
	Summary     *string         `json:"summary" validate:"optional" extensions:"x-nullable"`
	Body        *string         `json:"body" validate:"optional"`
	Fields      json.RawMessage `json:"fields" validate:"optional" swaggertype:"object"`
	Tags        []string        `json:"tags" validate:"optional"`
	UnpublishAt *time.Time      `json:"unpublish_at" validate:"optional" extensions:"x-nullable" format:"date-time"`
} //	@name	ItemPatch

// PublishRequest is the optional body of POST /items/{id}/publish.
type PublishRequest struct {
	// When the item becomes public: a future time schedules it, a past one backdates it. Default:
	// now, or the time it has if it is already published.
	PublishedAt *time.Time `json:"published_at" validate:"optional" format:"date-time" example:"2020-04-28T09:00:00Z"`
	// When it stops being public; null for never. Default: as it is.
	UnpublishAt *time.Time `json:"unpublish_at" validate:"optional" extensions:"x-nullable" format:"date-time"`
} //	@name	PublishRequest

// itemServerOwned are the Item properties that no request body may set.
var itemServerOwned = []string{"id", "version", "author", "body_html", "fields_html", "created_at", "updated_at", "deleted_at", "status", "published_at"}

func itemResponse(it *content.Item) Item {
	return Item{
		ID: it.ID, Type: it.Type, Slug: it.Slug, Title: it.Title, Summary: it.Summary, Body: it.Body,
		BodyHTML: it.BodyHTML, Fields: json.RawMessage(it.Fields), FieldsHTML: json.RawMessage(cmp.Or(it.FieldsHTML, "{}")), Tags: it.Tags, Status: it.Status,
		PublishedAt: it.PublishedAt, UnpublishAt: it.UnpublishAt,
		Author:  ItemAuthor{ID: it.AuthorID, Name: it.AuthorName},
		Version: it.Version, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt, DeletedAt: it.DeletedAt,
		Search: searchResponse(it),
	}
}

// searchResponse is how an item matched a search, or nil outside search results. The snippet's
// text is the item's, so it is escaped before the match markers become <mark>.
func searchResponse(it *content.Item) *ItemSearch {
	if it.SearchRank == nil {
		return nil
	}
	snippet := html.EscapeString(it.SearchSnippet)
	snippet = strings.NewReplacer(content.MarkStart, "<mark>", content.MarkEnd, "</mark>").Replace(snippet)
	return &ItemSearch{Score: -*it.SearchRank, Snippet: snippet}
}

// actor returns the caller as the content domain sees them: nil when anonymous.
func actor(c echo.Context) *content.Actor {
	p := principal(c)
	if p == nil {
		return nil
	}
	return &content.Actor{UserID: p.User.ID, Role: p.User.Role}
}

// listItems lists items.
//
//	@Summary		List items
//	@Description	Public items (published, published_at reached, unpublish_at not reached, not in the trash), newest first by default. With credentials, status and trashed show the drafts, scheduled and trashed items the caller may see (authors: their own). Pages by cursor (default) or by page number (adds total and pages). Anonymous answers are cacheable (ETag, Cache-Control, Surrogate-Key). A query parameter fields.NAME=VALUE keeps the items whose field NAME equals VALUE (it needs exactly one type); OpenAPI cannot name a family of parameters, so it is not among those listed, and generated clients add it themselves (in Go, with a RequestEditorFn).
//	@ID				listItems
//	@Tags			items
//	@Produce		json
//	@Param			type				query		string	false	"Types, comma-separated: any of"
//	@Param			tag					query		string	false	"Tag slugs, comma-separated: all of"
//	@Param			tag_any				query		string	false	"Tag slugs, comma-separated: any of"
//	@Param			author				query		string	false	"A user id"	format(uuid)
//	@Param			published_after		query		string	false	"Only items published after this time"	format(date-time)
//	@Param			published_before	query		string	false	"Only items published before this time"	format(date-time)
//	@Param			sort				query		string	false	"published_at, updated_at, created_at or title; - for descending"	default(-published_at)
//	@Param			limit				query		int		false	"Page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor				query		string	false	"The next_cursor of the previous page"
//	@Param			page				query		int		false	"A page number, instead of a cursor"	minimum(1)
//	@Param			select				query		string	false	"Item properties to return, comma-separated (id is always returned)"
//	@Param			q					query		string	false	"Full-text search of title, summary, body and tag names; accents ignored, the last word matches as a prefix; results by relevance (among the 1000 newest matches that pass the filters) unless sort is given, each with search.snippet"	maxLength(200)
//	@Param			status				query		string	false	"With credentials: draft, published or any"	Enums(draft, published, any)
//	@Param			trashed				query		bool	false	"With credentials: list the trash"
//	@Param			If-None-Match		header		string	false	"An ETag from an earlier response; a match gets 304"
//	@Success		200					{object}	ItemList
//	@Success		304					"Not modified"
//	@Header			200					{string}	ETag			"Identifies this response"
//	@Header			200					{string}	Link			"The next page, rel=\"next\", when there is one"
//	@Header			200					{string}	Cache-Control	"public, max-age=…, stale-while-revalidate=… when anonymous; private, no-store with credentials"
//	@Header			200					{string}	Surrogate-Key	"Keys for purging caches: items, type:KEY"
//	@Failure		400					{object}	Problem			"An unknown parameter or a bad value"
//	@Failure		401					{object}	Problem			"status or trashed without credentials, or a bad token"
//	@Security		BearerAuth
//	@Security		Anonymous
//	@Router			/api/v1/items [get]
func listItems(items *content.Store, cache cachePolicy) echo.HandlerFunc {
	return func(c echo.Context) error {
		a := actor(c)
		q, err := content.ParseQuery(c.QueryParams(), a != nil)
		if err != nil {
			return queryError(err)
		}
		ctx := c.Request().Context()
		var next *time.Time
		if a == nil {
			// Asked before the list is read, so that a scheduled change that happens meanwhile
			// cannot be missed: the answer is kept no later than the first one after this moment.
			if next, err = items.NextChange(ctx); err != nil {
				return err
			}
		}
		page, err := items.ListItems(ctx, a, q)
		if err != nil {
			return queryError(err)
		}
		body, err := listBody(c, page, q)
		if err != nil {
			return err
		}
		if a == nil {
			keys := "items"
			for _, t := range q.Types {
				keys += " type:" + t
			}
			return cache.serve(c, body, bodyETag(body), keys, next)
		}
		return writeJSON(c, http.StatusOK, body)
	}
}

// listBody renders a page of items as q asked for it, setting the Link header to the next page.
func listBody(c echo.Context, page *content.Page, q content.Query) ([]byte, error) {
	list := ItemList{Data: make([]Item, len(page.Items)), Meta: ItemListMeta{Limit: q.Limit}}
	for i := range page.Items {
		list.Data[i] = itemResponse(&page.Items[i])
	}
	if page.Next != nil {
		cursor := page.Next.Encode()
		list.Meta.NextCursor = &cursor
		setNextLink(c, "cursor", cursor)
	}
	if q.Page > 0 {
		pages := int64(math.Ceil(float64(page.Total) / float64(q.Limit)))
		list.Meta.Total, list.Meta.Page, list.Meta.Pages = &page.Total, &q.Page, &pages
		if int64(q.Page) < pages {
			setNextLink(c, "page", strconv.Itoa(q.Page+1))
		}
	}
	return marshalList(list, q.Select)
}

// marshalList encodes a list, keeping only the selected properties of each item (in the
// order of their names).
func marshalList(list ItemList, sel []string) ([]byte, error) {
	if len(sel) == 0 {
		return marshalJSON(list)
	}
	names := slices.Clone(sel)
	slices.Sort(names)
	names = slices.Compact(names)
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	for i := range list.Data {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeSelected(&b, reflect.ValueOf(&list.Data[i]).Elem(), names); err != nil {
			return nil, err
		}
	}
	meta, err := marshalJSON(list.Meta)
	if err != nil {
		return nil, err
	}
	b.WriteString(`],"meta":`)
	b.Write(meta)
	b.WriteByte('}')
	return bytes.Clone(b.Bytes()), nil // as long as it is: the response cache may keep it
}

// itemProperties are the JSON properties of Item: the field of each, and whether it is left
// out when empty.
var itemProperties = func() map[string]itemProperty {
	props := map[string]itemProperty{}
	for _, sf := range reflect.VisibleFields(reflect.TypeFor[Item]()) {
		name, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		props[name] = itemProperty{index: sf.Index, omitEmpty: strings.Contains(opts, "omitempty")}
	}
	return props
}()

type itemProperty struct {
	index     []int
	omitEmpty bool
}

// writeSelected writes the JSON object of an item's named properties, each encoded as it is
// in the whole item; an omitempty property that is nil is left out, as there.
func writeSelected(b *bytes.Buffer, it reflect.Value, names []string) error {
	b.WriteByte('{')
	first := true
	for _, name := range names {
		p, ok := itemProperties[name]
		if !ok {
			continue
		}
		v := it.FieldByIndex(p.index)
		if p.omitEmpty && v.Kind() == reflect.Pointer && v.IsNil() {
			continue
		}
		enc, err := marshalJSON(v.Interface())
		if err != nil {
			return err
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(strconv.Quote(name))
		b.WriteByte(':')
		b.Write(enc)
	}
	b.WriteByte('}')
	return nil
}

// getItem returns an item by id.
//
//	@Summary		Get an item
//	@Description	A public item, or with credentials any item the caller may see (editors: all, trash included; authors: their own). Anything else is 404.
//	@ID				getItem
//	@Tags			items
//	@Produce		json
//	@Param			id				path		string	true	"Item id"	format(uuid)
//	@Param			If-None-Match	header		string	false	"An ETag from an earlier response; a match gets 304"
//	@Success		200				{object}	Item
//	@Success		304				"Not modified"
//	@Header			200				{string}	ETag			"The item's version"
//	@Header			200				{string}	Cache-Control	"public, max-age=…, stale-while-revalidate=… when anonymous; private, no-store with credentials"
//	@Header			200				{string}	Surrogate-Key	"item:ID type:KEY"
//	@Failure		401				{object}	Problem	"A bad token"
//	@Failure		404				{object}	Problem	"No such item, or not one the caller may see"
//	@Security		BearerAuth
//	@Security		Anonymous
//	@Router			/api/v1/items/{id} [get]
func getItem(items *content.Store, cache cachePolicy) echo.HandlerFunc {
	return func(c echo.Context) error {
		it, err := items.FindItem(c.Request().Context(), actor(c), c.Param("id"))
		if err != nil {
			return err
		}
		return serveItem(c, it, cache)
	}
}

// getItemBySlug returns an item by its type and slug.
//
//	@Summary		Get an item by slug
//	@Description	As GET /api/v1/items/{id}, by the type's key and the item's slug: what a frontend has in its URLs. Items in the trash are not found by slug.
//	@ID				getItemBySlug
//	@Tags			items
//	@Produce		json
//	@Param			key				path		string	true	"Type key"
//	@Param			slug			path		string	true	"Item slug"
//	@Param			If-None-Match	header		string	false	"An ETag from an earlier response; a match gets 304"
//	@Success		200				{object}	Item
//	@Success		304				"Not modified"
//	@Header			200				{string}	ETag			"The item's version"
//	@Header			200				{string}	Cache-Control	"public, max-age=…, stale-while-revalidate=… when anonymous; private, no-store with credentials"
//	@Header			200				{string}	Surrogate-Key	"item:ID type:KEY"
//	@Failure		401				{object}	Problem	"A bad token"
//	@Failure		404				{object}	Problem	"No such item, or not one the caller may see"
//	@Security		BearerAuth
//	@Security		Anonymous
//	@Router			/api/v1/types/{key}/items/{slug} [get]
func getItemBySlug(items *content.Store, cache cachePolicy) echo.HandlerFunc {
	return func(c echo.Context) error {
		it, err := items.FindBySlug(c.Request().Context(), actor(c), c.Param("key"), c.Param("slug"))
		if err != nil {
			return err
		}
		return serveItem(c, it, cache)
	}
}

func serveItem(c echo.Context, it *content.Item, cache cachePolicy) error {
	body, tag, err := itemJSON(it)
	if err != nil {
		return err
	}
	if principal(c) == nil {
		return cache.serve(c, body, tag, "item:"+it.ID+" type:"+it.Type, content.NextItemChange(it, cache.now()))
	}
	c.Response().Header().Set(headerETag, tag)
	return writeJSON(c, http.StatusOK, body)
}

// itemJSON encodes an item, with its entity tag: "v<version>.<digest of the body>". The version
// is what If-Match compares; the digest makes the tag change whenever the representation does
// without a new version (the author renamed, a tag renamed), so If-None-Match never gets a 304
// for content that changed.
func itemJSON(it *content.Item) ([]byte, string, error) {
	return versionedJSON(itemResponse(it), it.Version)
}

// createItem creates a draft.
//
//	@Summary		Create an item
//	@Description	Creates a draft authored by the caller. The slug is derived from the title when absent (-2, -3… on a collision); a slug given that is taken is 409. The body's Markdown is rendered to body_html.
//	@ID				createItem
//	@Tags			items
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			body	body		NewItemRequest	true	"The new item"
//	@Success		201		{object}	Item
//	@Header			201		{string}	Location	"The item's URL"
//	@Header			201		{string}	ETag		"The item's version"
//	@Failure		400		{object}	Problem		"Malformed body, or an unknown or server-owned property"
//	@Failure		401		{object}	Problem		"No valid access token"
//	@Failure		409		{object}	Problem		"The slug is taken"
//	@Failure		422		{object}	Problem		"Invalid values, an unknown type or tag"
//	@Router			/api/v1/items [post]
func createItem(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req NewItemRequest
		if _, err := decodeJSON(c, &req, itemServerOwned...); err != nil {
			return err
		}
		it, err := items.CreateItem(c.Request().Context(), actor(c), content.NewItem{
			Type: req.Type, Title: req.Title, Slug: req.Slug, Summary: req.Summary, Body: req.Body,
			Fields: req.Fields, Tags: req.Tags, UnpublishAt: req.UnpublishAt,
		})
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/items/"+it.ID)
		return writeItem(c, http.StatusCreated, it)
	}
}

func writeItem(c echo.Context, status int, it *content.Item) error {
	body, tag, err := itemJSON(it)
	if err != nil {
		return err
	}
	c.Response().Header().Set(headerETag, tag)
	return writeJSON(c, status, body)
}

// setCurrentETag gives a 412 the item's current ETag, so the client can fetch it and retry.
func setCurrentETag(c echo.Context, items *content.Store, a *content.Actor, id string) {
	if cur, err := items.FindItem(c.Request().Context(), a, id); err == nil {
		if _, tag, err := itemJSON(cur); err == nil {
			c.Response().Header().Set(headerETag, tag)
		}
	}
}

// updateItem patches an item's content.
//
//	@Summary		Change an item
//	@Description	A JSON merge patch of the item's content; If-Match with its current ETag is required. Authors may change their own drafts; editors and admins any item (a published item changes live). status and published_at change through publish and unpublish only.
//	@ID				updateItem
//	@Tags			items
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string				true	"Item id"	format(uuid)
//	@Param			If-Match	header		string				true	"The ETag of the version being changed"
//	@Param			body		body		ItemPatchRequest	true	"The properties to change"
//	@Success		200			{object}	Item
//	@Header			200			{string}	ETag	"The item's new version"
//	@Failure		400			{object}	Problem	"Malformed body, or an unknown or server-owned property"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"The caller may see the item but not change it"
//	@Failure		404			{object}	Problem	"No such item, or not one the caller may see"
//	@Failure		409			{object}	Problem	"The slug is taken, or the item is in the trash"
//	@Failure		412			{object}	Problem	"The item changed since the If-Match version; ETag has the current one"
//	@Header			412			{string}	ETag	"The item's current version"
//	@Failure		422			{object}	Problem	"Invalid values"
//	@Failure		428			{object}	Problem	"No If-Match"
//	@Router			/api/v1/items/{id} [patch]
func updateItem(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		version, err := ifMatch(c, true)
		if err != nil {
			return err
		}
		var req ItemPatchRequest
		present, err := decodeJSON(c, &req, itemServerOwned...)
		if err != nil {
			return err
		}
		p := content.ItemPatch{Type: req.Type, Title: req.Title, Slug: req.Slug, Body: req.Body, Fields: req.Fields}
		if present["tags"] {
			p.Tags = &req.Tags
		}
		p.Summary = optional(present["summary"], req.Summary)
		p.UnpublishAt = optional(present["unpublish_at"], req.UnpublishAt)
		return itemWrite(c, items, func(ctx context.Context, a *content.Actor, id string) (*content.Item, error) {
			return items.UpdateItem(ctx, a, id, version, p)
		})
	}
}

// optional turns a decoded nullable property into a merge-patch value.
func optional[T any](present bool, v *T) content.Optional[T] {
	o := content.Optional[T]{Set: present, Null: v == nil}
	if v != nil {
		o.Value = *v
	}
	return o
}

// itemWrite runs a write on the item of the path and answers with the item, or with the
// current ETag when the write was refused as stale.
func itemWrite(c echo.Context, items *content.Store, write func(context.Context, *content.Actor, string) (*content.Item, error)) error {
	ctx, a, id := c.Request().Context(), actor(c), c.Param("id")
	it, err := write(ctx, a, id)
	if errors.Is(err, content.ErrStale) {
		setCurrentETag(c, items, a, id)
	}
	if err != nil {
		return err
	}
	return writeItem(c, http.StatusOK, it)
}

// deleteItem moves an item to the trash.
//
//	@Summary		Trash an item
//	@Description	Moves the item to the trash (POST …/restore brings it back); its slug stays reserved. If-Match is required. Authors may trash their own drafts; editors and admins any item.
//	@ID				trashItem
//	@Tags			items
//	@Security		BearerAuth
//	@Param			id			path	string	true	"Item id"	format(uuid)
//	@Param			If-Match	header	string	true	"The ETag of the current version"
//	@Success		204			"In the trash"
//	@Header			204			{string}	ETag	"The trashed item's new version, for a later restore's If-Match"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"The caller may see the item but not trash it"
//	@Failure		404			{object}	Problem	"No such item, or not one the caller may see"
//	@Failure		409			{object}	Problem	"Already in the trash"
//	@Failure		412			{object}	Problem	"The item changed since the If-Match version; ETag has the current one"
//	@Header			412			{string}	ETag	"The item's current version"
//	@Failure		428			{object}	Problem	"No If-Match"
//	@Router			/api/v1/items/{id} [delete]
func deleteItem(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		version, err := ifMatch(c, true)
		if err != nil {
			return err
		}
		ctx, a, id := c.Request().Context(), actor(c), c.Param("id")
		it, err := items.TrashItem(ctx, a, id, version)
		if errors.Is(err, content.ErrStale) {
			setCurrentETag(c, items, a, id)
		}
		if err != nil {
			return err
		}
		if _, tag, err := itemJSON(it); err == nil {
			c.Response().Header().Set(headerETag, tag)
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// restoreItem takes an item out of the trash.
//
//	@Summary		Restore an item from the trash
//	@Description	Takes the item out of the trash as it was: a published item is public again. If-Match is required; the body is empty or {}.
//	@ID				restoreItem
//	@Tags			items
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string	true	"Item id"	format(uuid)
//	@Param			If-Match	header		string	true	"The ETag of the current version"
//	@Success		200			{object}	Item
//	@Header			200			{string}	ETag	"The item's new version"
//	@Failure		400			{object}	Problem	"A body other than {}"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"The caller may see the item but not restore it"
//	@Failure		404			{object}	Problem	"No such item, or not one the caller may see"
//	@Failure		409			{object}	Problem	"Not in the trash"
//	@Failure		412			{object}	Problem	"The item changed since the If-Match version; ETag has the current one"
//	@Header			412			{string}	ETag	"The item's current version"
//	@Failure		428			{object}	Problem	"No If-Match"
//	@Router			/api/v1/items/{id}/restore [post]
func restoreItem(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		version, err := ifMatch(c, true)
		if err != nil {
			return err
		}
		if err := emptyBody(c); err != nil {
			return err
		}
		return itemWrite(c, items, func(ctx context.Context, a *content.Actor, id string) (*content.Item, error) {
			return items.RestoreItem(ctx, a, id, version)
		})
	}
}

// publishItem publishes or schedules an item.
//
//	@Summary		Publish an item
//	@Description	Publishes the item now, or at published_at: a future time schedules it (it becomes public then, with nothing else to run), a past one backdates it. unpublish_at sets when it stops being public. If-Match is required; the body may be empty. Editors and admins only.
//	@ID				publishItem
//	@Tags			items
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string			true	"Item id"	format(uuid)
//	@Param			If-Match	header		string			true	"The ETag of the current version"
//	@Param			body		body		PublishRequest	false	"When"
//	@Success		200			{object}	Item
//	@Header			200			{string}	ETag	"The item's new version"
//	@Failure		400			{object}	Problem	"Malformed body, or an unknown property"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"Not an editor or admin"
//	@Failure		404			{object}	Problem	"No such item, or not one the caller may see"
//	@Failure		409			{object}	Problem	"The item is in the trash"
//	@Failure		412			{object}	Problem	"The item changed since the If-Match version; ETag has the current one"
//	@Header			412			{string}	ETag	"The item's current version"
//	@Failure		422			{object}	Problem	"unpublish_at is not after published_at"
//	@Failure		428			{object}	Problem	"No If-Match"
//	@Router			/api/v1/items/{id}/publish [post]
func publishItem(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		version, err := ifMatch(c, true)
		if err != nil {
			return err
		}
		var req PublishRequest
		present := map[string]bool{}
		if hasBody(c.Request()) {
			if present, err = decodeJSON(c, &req); err != nil {
				return err
			}
		}
		unpublish := optional(present["unpublish_at"], req.UnpublishAt)
		return itemWrite(c, items, func(ctx context.Context, a *content.Actor, id string) (*content.Item, error) {
			return items.PublishItem(ctx, a, id, version, req.PublishedAt, unpublish)
		})
	}
}

// unpublishItem takes an item back to draft.
//
//	@Summary		Unpublish an item
//	@Description	Takes the item back to draft; its published_at and unpublish_at are cleared. If-Match is required; the body is empty or {}. Editors and admins only.
//	@ID				unpublishItem
//	@Tags			items
//	@Accept			json
//	@Produce		json
//	@Security		BearerAuth
//	@Param			id			path		string	true	"Item id"	format(uuid)
//	@Param			If-Match	header		string	true	"The ETag of the current version"
//	@Success		200			{object}	Item
//	@Header			200			{string}	ETag	"The item's new version"
//	@Failure		400			{object}	Problem	"A body other than {}"
//	@Failure		401			{object}	Problem	"No valid access token"
//	@Failure		403			{object}	Problem	"Not an editor or admin"
//	@Failure		404			{object}	Problem	"No such item, or not one the caller may see"
//	@Failure		409			{object}	Problem	"The item is in the trash"
//	@Failure		412			{object}	Problem	"The item changed since the If-Match version; ETag has the current one"
//	@Header			412			{string}	ETag	"The item's current version"
//	@Failure		428			{object}	Problem	"No If-Match"
//	@Router			/api/v1/items/{id}/unpublish [post]
func unpublishItem(items *content.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		version, err := ifMatch(c, true)
		if err != nil {
			return err
		}
		if err := emptyBody(c); err != nil {
			return err
		}
		return itemWrite(c, items, func(ctx context.Context, a *content.Actor, id string) (*content.Item, error) {
			return items.UnpublishItem(ctx, a, id, version)
		})
	}
}

// emptyBody accepts an action's body when it is empty or {}.
func emptyBody(c echo.Context) error {
	if !hasBody(c.Request()) {
		return nil
	}
	var none struct{}
	_, err := decodeJSON(c, &none)
	return err
}

// queryError renders a problem with a list's query: 400 (401 for status and trashed without
// credentials).
func queryError(err error) error {
	if errors.Is(err, content.ErrNeedsCredentials) {
		return NewProblem(http.StatusUnauthorized, "status and trashed need credentials: Authorization: Bearer <token>.")
	}
	var verr *validation.Error
	var qerr *content.QueryError
	switch {
	case errors.As(err, &qerr):
		verr = qerr.Problems
	case !errors.As(err, &verr):
		return err
	}
	p := NewProblem(http.StatusBadRequest, "The query has parameters or values this list does not take; see errors.")
	p.Errors = fieldErrors(verr)
	return p
}
