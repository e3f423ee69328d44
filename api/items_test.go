package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/foliocms/folio/internal/content"
)

// itemsFixture is a test server with an admin, an editor and two authors signed in, and the
// tags the tests use.
type itemsFixture struct {
	*testServer
	admin, editor, author, author2 string
}

func newItemsFixture(t *testing.T) *itemsFixture {
	t.Helper()
	return newItemsFixtureOn(t, newTestServer(t))
}

func newItemsFixtureOn(t *testing.T, s *testServer) *itemsFixture {
	t.Helper()
	f := &itemsFixture{testServer: s, admin: s.login(t, adminEmail, adminPassword).AccessToken}
	for _, u := range []struct {
		email, role string
		dst         *string
	}{{"editor@example.com", "editor", &f.editor}, {"author@example.com", "author", &f.author}, {"author2@example.com", "author", &f.author2}} {
		s.createUser(t, f.admin, u.email, u.role)
		*u.dst = s.login(t, u.email, "password of "+u.email).AccessToken
	}
	for _, tag := range []string{"cooperatives", "asia-and-the-pacific"} {
		if _, err := s.items.CreateTag(t.Context(), tag, tag, nil); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// newItem creates an item through the API and returns it.
func (f *itemsFixture) newItem(t *testing.T, token string, body map[string]any) Item {
	t.Helper()
	if body["type"] == nil {
		body["type"] = "news"
	}
	rec := f.send(t, "POST", "/api/v1/items", token, body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create item = %d %s", rec.Code, rec.Body)
	}
	return decode[Item](t, rec)
}

// act posts to an item action (publish, unpublish, restore) with If-Match.
func (f *itemsFixture) act(t *testing.T, token string, it Item, action string, body any) *httptest.ResponseRecorder {
	t.Helper()
	return f.send(t, "POST", "/api/v1/items/"+it.ID+"/"+action, token, body, "If-Match", etag(it.Version))
}

// TestEditorialWalkThrough is the acceptance path over the API: create a draft with
// Markdown, preview it, publish it, find it in the public list and by slug, edit it with
// If-Match, restore an earlier revision, trash it and restore it.
func TestEditorialWalkThrough(t *testing.T) {
	f := newItemsFixture(t)
	it := f.newItem(t, f.author, map[string]any{"title": "Coopératives en Timor-Leste", "summary": "How they organise.",
		"body": "## Background\n\nCooperatives **matter**.", "tags": []string{"cooperatives"}})
	if it.Slug != "cooperatives-en-timor-leste" || it.Status != "draft" || !strings.Contains(it.BodyHTML, "<strong>matter</strong>") {
		t.Fatalf("created %+v", it)
	}
	// Preview: the author and editors see the draft; the public does not.
	if rec := f.send(t, "GET", "/api/v1/items/"+it.ID, f.author, nil); rec.Code != http.StatusOK {
		t.Errorf("author preview = %d", rec.Code)
	}
	decodeProblem(t, f.send(t, "GET", "/api/v1/items/"+it.ID, "", nil), http.StatusNotFound)

	rec := f.act(t, f.editor, it, "publish", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("publish = %d %s", rec.Code, rec.Body)
	}
	it = decode[Item](t, rec)
	list := decode[ItemList](t, f.send(t, "GET", "/api/v1/items", "", nil))
	if len(list.Data) != 1 || list.Data[0].ID != it.ID {
		t.Errorf("public list = %+v", list.Data)
	}
	if got := decode[Item](t, f.send(t, "GET", "/api/v1/types/news/items/cooperatives-en-timor-leste", "", nil)); got.ID != it.ID {
		t.Errorf("by slug = %+v", got)
	}

	// Edit with If-Match; an edit from a stale version is refused with the current ETag.
	rec = f.send(t, "PATCH", "/api/v1/items/"+it.ID, f.editor, map[string]any{"title": "Cooperatives in Timor-Leste"}, "If-Match", etag(it.Version))
	if rec.Code != http.StatusOK {
		t.Fatalf("patch = %d %s", rec.Code, rec.Body)
	}
	edited := decode[Item](t, rec)
	stale := f.send(t, "PATCH", "/api/v1/items/"+it.ID, f.editor, map[string]any{"title": "Lost update"}, "If-Match", etag(it.Version))
	decodeProblem(t, stale, http.StatusPreconditionFailed)
	if tag := stale.Header().Get("ETag"); etagVersion(tag) != edited.Version || tag != rec.Header().Get("ETag") {
		t.Errorf("412 ETag = %q, want the current %q", tag, rec.Header().Get("ETag"))
	}
	decodeProblem(t, f.send(t, "PATCH", "/api/v1/items/"+it.ID, f.editor, map[string]any{"title": "No precondition"}), http.StatusPreconditionRequired)

	// Restore the first revision's content.
	revs := decode[RevisionList](t, f.send(t, "GET", "/api/v1/items/"+it.ID+"/revisions", f.editor, nil))
	if len(revs.Data) != 3 || revs.Data[2].Version != 1 {
		t.Fatalf("revisions = %+v", revs)
	}
	rec = f.send(t, "POST", "/api/v1/items/"+it.ID+"/revisions/1/restore", f.editor, nil, "If-Match", etag(edited.Version))
	if rec.Code != http.StatusOK || decode[Item](t, rec).Title != "Coopératives en Timor-Leste" {
		t.Fatalf("restore revision = %d %s", rec.Code, rec.Body)
	}
	restored := decode[Item](t, rec)

	// Trash, and restore.
	rec = f.send(t, "DELETE", "/api/v1/items/"+it.ID, f.editor, nil, "If-Match", etag(restored.Version))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("trash = %d %s", rec.Code, rec.Body)
	}
	decodeProblem(t, f.send(t, "GET", "/api/v1/items/"+it.ID, "", nil), http.StatusNotFound)
	trashed := decode[Item](t, f.send(t, "GET", "/api/v1/items/"+it.ID, f.editor, nil))
	if trashed.DeletedAt == nil {
		t.Error("a trashed item has no deleted_at")
	}
	rec = f.send(t, "POST", "/api/v1/items/"+it.ID+"/restore", f.editor, "{}", "If-Match", etag(trashed.Version))
	if rec.Code != http.StatusOK {
		t.Fatalf("restore = %d %s", rec.Code, rec.Body)
	}
	if rec := f.send(t, "GET", "/api/v1/items/"+it.ID, "", nil); rec.Code != http.StatusOK {
		t.Errorf("public read after restore = %d", rec.Code)
	}
}

func TestItemInputIsChecked(t *testing.T) {
	f := newItemsFixture(t)
	it := f.newItem(t, f.editor, map[string]any{"title": "Target"})
	f.newItem(t, f.editor, map[string]any{"title": "Taken", "slug": "taken"})
	patch := func(body any) *httptest.ResponseRecorder {
		return f.send(t, "PATCH", "/api/v1/items/"+it.ID, f.editor, body, "If-Match", etag(it.Version))
	}
	post := func(body any) *httptest.ResponseRecorder { return f.send(t, "POST", "/api/v1/items", f.editor, body) }
	tests := []struct {
		name   string
		rec    func() *httptest.ResponseRecorder
		status int
		field  string
	}{
		{"status in a create", func() *httptest.ResponseRecorder {
			return post(map[string]any{"type": "news", "title": "x", "status": "published"})
		}, 400, "status"},
		{"upper-case STATUS", func() *httptest.ResponseRecorder { return patch(`{"STATUS": "published"}`) }, 400, "STATUS"},
		{"published_at in a patch", func() *httptest.ResponseRecorder { return patch(`{"published_at": "2020-01-01T00:00:00Z"}`) }, 400, "published_at"},
		{"version in a patch", func() *httptest.ResponseRecorder { return patch(`{"version": 99}`) }, 400, "version"},
		{"author in a create", func() *httptest.ResponseRecorder {
			return post(map[string]any{"type": "news", "title": "x", "author": map[string]string{"id": "x"}})
		}, 400, "author"},
		{"body_html", func() *httptest.ResponseRecorder { return patch(`{"body_html": "<script></script>"}`) }, 400, "body_html"},
		{"unknown property", func() *httptest.ResponseRecorder { return patch(`{"colour": "red"}`) }, 400, "colour"},
		{"no type", func() *httptest.ResponseRecorder { return post(map[string]any{"title": "x"}) }, 422, "type"},
		{"unknown type", func() *httptest.ResponseRecorder { return post(map[string]any{"type": "recipe", "title": "x"}) }, 422, "type"},
		{"empty title", func() *httptest.ResponseRecorder { return patch(`{"title": ""}`) }, 422, "title"},
		{"long title", func() *httptest.ResponseRecorder { return patch(map[string]any{"title": strings.Repeat("t", 301)}) }, 422, "title"},
		{"empty slug", func() *httptest.ResponseRecorder { return patch(`{"slug": ""}`) }, 422, "slug"},
		{"slug with capitals", func() *httptest.ResponseRecorder { return patch(`{"slug": "Not-Valid"}`) }, 422, "slug"},
		{"slug taken", func() *httptest.ResponseRecorder { return patch(`{"slug": "taken"}`) }, 409, "slug"},
		{"unknown tag", func() *httptest.ResponseRecorder { return patch(`{"tags": ["cooperatives", "nope"]}`) }, 422, "tags[1]"},
		{"fields not an object", func() *httptest.ResponseRecorder { return patch(`{"fields": [1]}`) }, 422, "fields"},
		{"title of the wrong type", func() *httptest.ResponseRecorder { return patch(`{"title": 5}`) }, 422, "title"},
		{"changing the type", func() *httptest.ResponseRecorder { return patch(`{"type": "event"}`) }, 422, "type"},
		{"title null", func() *httptest.ResponseRecorder { return patch(`{"title": null}`) }, 422, "title"},
		{"bad time", func() *httptest.ResponseRecorder { return patch(`{"unpublish_at": "tomorrow"}`) }, 422, "unpublish_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := decodeProblem(t, tt.rec(), tt.status)
			if len(p.Errors) == 0 || p.Errors[0].Field != tt.field {
				t.Errorf("errors = %+v, want one about %s", p.Errors, tt.field)
			}
		})
	}
	// None of it changed anything.
	cur := decode[Item](t, f.send(t, "GET", "/api/v1/items/"+it.ID, f.editor, nil))
	if cur.Version != it.Version || cur.Status != "draft" || cur.Title != "Target" {
		t.Errorf("after refused changes: %+v", cur)
	}
	// Query parameters never fill body fields.
	rec := f.send(t, "POST", "/api/v1/items?status=published&title=Injected", f.editor, map[string]any{"type": "news", "title": "Honest"})
	if got := decode[Item](t, rec); got.Status != "draft" || got.Title != "Honest" {
		t.Errorf("created from a query string: %+v", got)
	}
	// Summary can be cleared with null; fields merge.
	ev := f.newItem(t, f.editor, map[string]any{"type": "event", "title": "An event"})
	rec = f.send(t, "PATCH", "/api/v1/items/"+ev.ID, f.editor, `{"summary": "S", "fields": {"location": "Bangkok", "online": false}}`, "If-Match", etag(ev.Version))
	next := decode[Item](t, rec)
	rec = f.send(t, "PATCH", "/api/v1/items/"+ev.ID, f.editor, `{"summary": null, "fields": {"location": null, "series": "ILO COOP 100"}}`, "If-Match", etag(next.Version))
	if got := decode[Item](t, rec); got.Summary != nil || string(got.Fields) != `{"online":false,"series":"ILO COOP 100"}` {
		t.Errorf("after null summary and fields merge: summary %v fields %s", got.Summary, got.Fields)
	}
}

func TestItemRolesOverHTTP(t *testing.T) {
	f := newItemsFixture(t)
	draft := f.newItem(t, f.author, map[string]any{"title": "Draft"})
	published := f.newItem(t, f.author, map[string]any{"title": "Published"})
	published = decode[Item](t, f.act(t, f.editor, published, "publish", nil))
	tests := []struct {
		name   string
		token  string
		method string
		it     Item
		path   string
		status int
	}{
		{"anonymous create", "", "POST", Item{}, "", 401},
		{"other author sees draft", f.author2, "GET", draft, "", 404},
		{"other author edits draft", f.author2, "PATCH", draft, "", 404},
		{"author edits published", f.author, "PATCH", published, "", 403},
		{"author publishes", f.author, "POST", draft, "/publish", 403},
		{"author unpublishes", f.author, "POST", published, "/unpublish", 403},
		{"author trashes published", f.author, "DELETE", published, "", 403},
		{"other author revisions", f.author2, "GET", published, "/revisions", 403},
		{"anonymous revisions", "", "GET", published, "/revisions", 401},
		{"author edits own draft", f.author, "PATCH", draft, "", 200},
		{"editor unpublishes", f.editor, "POST", published, "/unpublish", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/v1/items"
			var body any
			if tt.it.ID != "" {
				path += "/" + tt.it.ID + tt.path
			} else {
				body = map[string]any{"type": "news", "title": "x"}
			}
			if tt.method == "PATCH" {
				body = map[string]any{"title": "changed"}
			}
			rec := f.send(t, tt.method, path, tt.token, body, "If-Match", etag(tt.it.Version))
			if rec.Code != tt.status {
				t.Errorf("= %d %s, want %d", rec.Code, rec.Body, tt.status)
			}
		})
	}
}

func TestPublicCaching(t *testing.T) {
	f := newItemsFixture(t)
	it := f.newItem(t, f.editor, map[string]any{"title": "Cached"})
	it = decode[Item](t, f.act(t, f.editor, it, "publish", nil))

	rec := f.send(t, "GET", "/api/v1/items/"+it.ID, "", nil)
	h := rec.Header()
	if h.Get("Cache-Control") != "public, max-age=60, stale-while-revalidate=300" || etagVersion(h.Get("ETag")) != it.Version ||
		h.Get("Surrogate-Key") != "item:"+it.ID+" type:news" {
		t.Errorf("headers = %v", h)
	}
	if again := f.send(t, "GET", "/api/v1/items/"+it.ID, "", nil, "If-None-Match", h.Get("ETag")); again.Code != http.StatusNotModified {
		t.Errorf("If-None-Match = %d, want 304", again.Code)
	}
	list := f.send(t, "GET", "/api/v1/items?type=news", "", nil)
	if list.Header().Get("Surrogate-Key") != "items type:news" || list.Header().Get("ETag") == "" {
		t.Errorf("list headers = %v", list.Header())
	}
	if again := f.send(t, "GET", "/api/v1/items?type=news", "", nil, "If-None-Match", list.Header().Get("ETag")); again.Code != http.StatusNotModified {
		t.Errorf("list If-None-Match = %d, want 304", again.Code)
	}
	// With credentials: private.
	if cc := f.send(t, "GET", "/api/v1/items/"+it.ID, f.editor, nil).Header().Get("Cache-Control"); cc != "private, no-store" {
		t.Errorf("authenticated Cache-Control = %q", cc)
	}

	// A publication scheduled in 20 s: the public list may be cached for 20 s at most, stale
	// included.
	soon := f.newItem(t, f.editor, map[string]any{"title": "Soon"})
	at := f.clock.Now().Add(20 * time.Second).Format(time.RFC3339Nano)
	if rec := f.act(t, f.editor, soon, "publish", map[string]string{"published_at": at}); rec.Code != http.StatusOK {
		t.Fatalf("schedule = %d %s", rec.Code, rec.Body)
	}
	cc := f.send(t, "GET", "/api/v1/items", "", nil).Header().Get("Cache-Control")
	if cc != "public, max-age=20, stale-while-revalidate=0" {
		t.Errorf("Cache-Control with a publication due in 20s = %q", cc)
	}
	// An item that is unpublished in 10 s.
	end := f.clock.Now().Add(10 * time.Second).Format(time.RFC3339Nano)
	rec = f.send(t, "PATCH", "/api/v1/items/"+it.ID, f.editor, map[string]any{"unpublish_at": end}, "If-Match", etag(it.Version))
	if rec.Code != http.StatusOK {
		t.Fatalf("patch = %d %s", rec.Code, rec.Body)
	}
	if cc := f.send(t, "GET", "/api/v1/items/"+it.ID, "", nil).Header().Get("Cache-Control"); cc != "public, max-age=10, stale-while-revalidate=0" {
		t.Errorf("Cache-Control of an item unpublished in 10s = %q", cc)
	}
	f.clock.Advance(11 * time.Second)
	decodeProblem(t, f.send(t, "GET", "/api/v1/items/"+it.ID, "", nil), http.StatusNotFound)
}

func TestItemLists(t *testing.T) {
	f := newItemsFixture(t)
	base := f.clock.Now().Add(-time.Hour)
	for i := range 7 {
		it := f.newItem(t, f.editor, map[string]any{"title": fmt.Sprintf("Item %d", i), "type": []string{"news", "event"}[i%2],
			"tags": [][]string{{"cooperatives"}, {"cooperatives", "asia-and-the-pacific"}}[i%2]})
		f.act(t, f.editor, it, "publish", map[string]string{"published_at": base.Add(time.Duration(i) * time.Minute).Format(time.RFC3339Nano)})
	}
	f.newItem(t, f.author, map[string]any{"title": "A draft"})

	titles := func(path, token string) []string {
		t.Helper()
		rec := f.send(t, "GET", path, token, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body)
		}
		var out []string
		for _, it := range decode[ItemList](t, rec).Data {
			out = append(out, it.Title)
		}
		return out
	}
	tests := []struct{ path, token, want string }{
		{"/api/v1/items?limit=3", "", "Item 6,Item 5,Item 4"},
		{"/api/v1/items?type=event", "", "Item 5,Item 3,Item 1"},
		{"/api/v1/items?tag=cooperatives,asia-and-the-pacific", "", "Item 5,Item 3,Item 1"},
		{"/api/v1/items?sort=title&limit=2", "", "Item 0,Item 1"},
		{"/api/v1/items?published_before=" + base.Add(90*time.Second).Format(time.RFC3339), "", "Item 1,Item 0"},
		{"/api/v1/items?status=draft", f.author, "A draft"},
		{"/api/v1/items?status=draft", f.author2, ""},
		{"/api/v1/items?status=draft", f.editor, "A draft"},
	}
	for _, tt := range tests {
		if got := strings.Join(titles(tt.path, tt.token), ","); got != tt.want {
			t.Errorf("GET %s = %s, want %s", tt.path, got, tt.want)
		}
	}

	// Page mode.
	page := decode[ItemList](t, f.send(t, "GET", "/api/v1/items?page=2&limit=3", "", nil))
	if *page.Meta.Total != 7 || *page.Meta.Pages != 3 || *page.Meta.Page != 2 || len(page.Data) != 3 || page.Meta.NextCursor != nil {
		t.Errorf("page meta = %+v", page.Meta)
	}
	if past := decode[ItemList](t, f.send(t, "GET", "/api/v1/items?page=9", "", nil)); len(past.Data) != 0 || *past.Meta.Total != 7 {
		t.Errorf("page past the end = %+v", past)
	}
	// Cursor mode, following Link.
	var all []string
	next := "/api/v1/items?limit=3"
	for next != "" {
		rec := f.send(t, "GET", next, "", nil)
		for _, it := range decode[ItemList](t, rec).Data {
			all = append(all, it.Title)
		}
		next = ""
		if link := rec.Header().Get("Link"); link != "" {
			next = strings.TrimPrefix(strings.Split(link, ">")[0], "<")
		}
	}
	if strings.Join(all, ",") != "Item 6,Item 5,Item 4,Item 3,Item 2,Item 1,Item 0" {
		t.Errorf("cursor walk = %v, want every item once, newest first", all)
	}
	// select.
	rec := f.send(t, "GET", "/api/v1/items?select=title&limit=1", "", nil)
	var sparse struct{ Data []map[string]any }
	json.Unmarshal(rec.Body.Bytes(), &sparse)
	if len(sparse.Data) != 1 || len(sparse.Data[0]) != 2 || sparse.Data[0]["id"] == nil || sparse.Data[0]["title"] == nil {
		t.Errorf("select=title = %s", rec.Body)
	}
	// Errors.
	for _, q := range []string{"limit=0", "limit=101", "page=0", "sort=nope", "select=secret", "cursor=bad", "nope=1"} {
		decodeProblem(t, f.send(t, "GET", "/api/v1/items?"+q, "", nil), http.StatusBadRequest)
	}
	for _, q := range []string{"status=draft", "trashed=true"} {
		decodeProblem(t, f.send(t, "GET", "/api/v1/items?"+q, "", nil), http.StatusUnauthorized)
	}
}

func TestAuthorsWithItemsAreNotDeleted(t *testing.T) {
	f := newItemsFixture(t)
	f.newItem(t, f.author, map[string]any{"title": "Mine"})
	id := f.userID(t, f.author)
	p := decodeProblem(t, f.send(t, "DELETE", "/api/v1/users/"+id, f.admin, nil), http.StatusConflict)
	if !strings.Contains(p.Detail, "deactivate") {
		t.Errorf("detail = %q, want advice to deactivate", p.Detail)
	}
	if rec := f.send(t, "PATCH", "/api/v1/users/"+id, f.admin, map[string]any{"active": false}); rec.Code != http.StatusOK {
		t.Errorf("deactivating the author = %d", rec.Code)
	}
}

// TestETagsFollowTheRepresentation: an ETag changes whenever what a GET returns changes, even
// without a new version, so If-None-Match never revalidates content that changed.
func TestETagsFollowTheRepresentation(t *testing.T) {
	f := newItemsFixture(t)
	x := f.newItem(t, f.editor, map[string]any{"title": "X", "slug": "foo"})
	x = decode[Item](t, f.act(t, f.editor, x, "publish", nil))
	first := f.send(t, "GET", "/api/v1/types/news/items/foo", "", nil).Header().Get("ETag")

	// The author is renamed: the item's JSON changes, its version does not.
	f.send(t, "PATCH", "/api/v1/users/"+f.userID(t, f.editor), f.admin, map[string]any{"name": "Renamed Editor"})
	if rec := f.send(t, "GET", "/api/v1/types/news/items/foo", "", nil, "If-None-Match", first); rec.Code != http.StatusOK {
		t.Errorf("after the author's rename, If-None-Match = %d, want 200 with the new name", rec.Code)
	}

	// X gives up the slug and Y, at the same version, takes it.
	rec := f.send(t, "PATCH", "/api/v1/items/"+x.ID, f.editor, map[string]any{"slug": "bar"}, "If-Match", etag(x.Version))
	if rec.Code != http.StatusOK {
		t.Fatalf("rename slug = %d %s", rec.Code, rec.Body)
	}
	y := f.newItem(t, f.editor, map[string]any{"title": "Y"})
	y = decode[Item](t, f.act(t, f.editor, y, "publish", nil))
	rec = f.send(t, "PATCH", "/api/v1/items/"+y.ID, f.editor, map[string]any{"slug": "foo"}, "If-Match", etag(y.Version))
	if rec.Code != http.StatusOK {
		t.Fatalf("take slug = %d %s", rec.Code, rec.Body)
	}
	xTag := f.send(t, "GET", "/api/v1/items/"+x.ID, "", nil).Header().Get("ETag")
	if rec := f.send(t, "GET", "/api/v1/types/news/items/foo", "", nil, "If-None-Match", xTag); rec.Code != http.StatusOK || decode[Item](t, rec).ID != y.ID {
		t.Errorf("slug now Y's, If-None-Match with X's ETag = %d", rec.Code)
	}
}

func TestPreconditions(t *testing.T) {
	f := newItemsFixture(t)
	it := f.newItem(t, f.editor, map[string]any{"title": "Conditional"})
	patch := func(ifMatch string, body any) *httptest.ResponseRecorder {
		return f.send(t, "PATCH", "/api/v1/items/"+it.ID, f.editor, body, "If-Match", ifMatch)
	}
	decodeProblem(t, patch("*", map[string]any{"title": "any"}), http.StatusPreconditionRequired)
	decodeProblem(t, patch(`W/"v1"`, map[string]any{"title": "weak"}), http.StatusPreconditionFailed)
	decodeProblem(t, patch(`"nonsense"`, map[string]any{"title": "nonsense"}), http.StatusPreconditionFailed)
	// A list of tags matches when one of them is current.
	rec := patch(`"v7", "v1"`, map[string]any{"title": "listed"})
	if rec.Code != http.StatusOK {
		t.Fatalf("If-Match with a list holding the current version = %d %s", rec.Code, rec.Body)
	}
	it = decode[Item](t, rec)
	// A change that changes nothing writes nothing: same version, no revision.
	rec = patch(rec.Header().Get("ETag"), map[string]any{"title": "listed"})
	if got := decode[Item](t, rec); rec.Code != http.StatusOK || got.Version != it.Version {
		t.Errorf("no-op patch = %d, version %d, want %d", rec.Code, got.Version, it.Version)
	}
	if revs := decode[RevisionList](t, f.send(t, "GET", "/api/v1/items/"+it.ID+"/revisions", f.editor, nil)); len(revs.Data) != 2 {
		t.Errorf("%d revisions after a no-op patch, want 2", len(revs.Data))
	}
}

func TestPublishMakesPublic(t *testing.T) {
	f := newItemsFixture(t)
	// An unpublish_at already past does not leave a freshly published item hidden.
	past := f.clock.Now().Add(-time.Hour).Format(time.RFC3339)
	it := f.newItem(t, f.editor, map[string]any{"title": "Expired", "unpublish_at": past})
	it = decode[Item](t, f.act(t, f.editor, it, "publish", nil))
	if rec := f.send(t, "GET", "/api/v1/items/"+it.ID, "", nil); rec.Code != http.StatusOK || it.UnpublishAt != nil {
		t.Errorf("published with a past unpublish_at: public GET %d, unpublish_at %v", rec.Code, it.UnpublishAt)
	}
	// Publishing a scheduled item without a time publishes it now.
	later := f.clock.Now().Add(24 * time.Hour).Format(time.RFC3339)
	sched := f.newItem(t, f.editor, map[string]any{"title": "Scheduled"})
	sched = decode[Item](t, f.act(t, f.editor, sched, "publish", map[string]string{"published_at": later}))
	decodeProblem(t, f.send(t, "GET", "/api/v1/items/"+sched.ID, "", nil), http.StatusNotFound)
	decodeProblem(t, f.send(t, "GET", "/api/v1/types/news/items/"+sched.Slug, "", nil), http.StatusNotFound)
	sched = decode[Item](t, f.act(t, f.editor, sched, "publish", nil))
	if rec := f.send(t, "GET", "/api/v1/items/"+sched.ID, "", nil); rec.Code != http.StatusOK {
		t.Errorf("publishing a scheduled item without a time: public GET = %d, want 200", rec.Code)
	}
}

func TestRevisionsOfAnotherAuthorsDraft(t *testing.T) {
	f := newItemsFixture(t)
	draft := f.newItem(t, f.author, map[string]any{"title": "Private draft"})
	decodeProblem(t, f.send(t, "GET", "/api/v1/items/"+draft.ID+"/revisions", f.author2, nil), http.StatusNotFound)
	decodeProblem(t, f.send(t, "GET", "/api/v1/items/"+draft.ID+"/revisions/1", f.author2, nil), http.StatusNotFound)
	decodeProblem(t, f.send(t, "POST", "/api/v1/items/"+draft.ID+"/revisions/1/restore", f.author2, nil, "If-Match", etag(1)), http.StatusNotFound)
	if rec := f.send(t, "GET", "/api/v1/items/"+draft.ID+"/revisions/1", f.author, nil); rec.Code != http.StatusOK || rec.Header().Get("ETag") == "" {
		t.Errorf("the author's own revision = %d, ETag %q", rec.Code, rec.Header().Get("ETag"))
	}
}

// TestNULIsRefused: a NUL character or bytes that are not UTF-8 in a body's strings or a query's
// values are a 400, and in a path a 404, on every database (PostgreSQL refuses them in text,
// which would be a 500); an escaped backslash before "u0000" is not a NUL.
func TestNULIsRefused(t *testing.T) {
	f := newItemsFixture(t)
	for _, body := range []string{`{"type":"news","title":"a\u0000b"}`, `{"type":"news","title":"t","fields":{"x\u0000":1}}`} {
		decodeProblem(t, f.send(t, "POST", "/api/v1/items", f.editor, body), http.StatusBadRequest)
	}
	for _, target := range []string{"/api/v1/items?tag=a%00b", "/api/v1/tags?group=%00", "/api/v1/collections/c/items?q=x&fields.a%00=1",
		"/api/v1/items?tag=%FF", "/api/v1/tags?group=caf%E9"} {
		decodeProblem(t, f.send(t, "GET", target, "", nil), http.StatusBadRequest)
	}
	for _, target := range []string{"/api/v1/tags/a%00b", "/api/v1/types/news/items/x%00", "/api/v1/items/%00", "/api/v1/tags/%FF", "/api/v1/types/news/items/caf%E9"} {
		decodeProblem(t, f.send(t, "GET", target, "", nil), http.StatusNotFound)
	}
	if rec := f.send(t, "POST", "/api/v1/items", f.editor, `{"type":"news","title":"a\\u0000b"}`); rec.Code != http.StatusCreated {
		t.Errorf("a title with the text \\u0000 = %d %s", rec.Code, rec.Body)
	}
}

// TestSelectedPropertiesAreTheItemsOwn: a list with select encodes each property exactly as the
// whole item does (the reference below is the item encoded whole and cut down), for every
// property alone and all together, with and without the properties left out when empty.
func TestSelectedPropertiesAreTheItemsOwn(t *testing.T) {
	summary, at, rank := "A <summary> & more", time.Date(2020, 4, 28, 9, 0, 0, 123000, time.UTC), -7.5
	items := []content.Item{
		{ID: "a", Type: "news", Slug: "a", Title: "Café \"quoted\" \u2028", Summary: &summary, Body: "**b**", BodyHTML: "<p><b>b</b></p>\n",
			Fields: `{ "x" : [1, 2] }`, FieldsHTML: `{}`, Tags: []string{"t"}, Status: "published", PublishedAt: &at, UnpublishAt: &at,
			AuthorID: "u", AuthorName: "Ana", Version: 3, CreatedAt: at, UpdatedAt: at, DeletedAt: &at, SearchRank: &rank, SearchSnippet: "s"},
		{ID: "b", Type: "event", Slug: "b", Title: "B", Fields: `{}`, Tags: []string{}, Status: "draft", CreatedAt: at, UpdatedAt: at},
	}
	reference := func(list ItemList, sel []string) []byte {
		data := make([]map[string]json.RawMessage, len(list.Data))
		for i, it := range list.Data {
			b, _ := marshalJSON(it)
			var all map[string]json.RawMessage
			_ = json.Unmarshal(b, &all)
			data[i] = map[string]json.RawMessage{}
			for _, f := range sel {
				if v, ok := all[f]; ok {
					data[i][f] = v
				}
			}
		}
		b, _ := marshalJSON(struct {
			Data []map[string]json.RawMessage `json:"data"`
			Meta ItemListMeta                 `json:"meta"`
		}{data, list.Meta})
		return b
	}
	list := ItemList{Meta: ItemListMeta{Limit: 20}}
	for i := range items {
		list.Data = append(list.Data, itemResponse(&items[i]))
	}
	selections := [][]string{content.SelectFields, {"title", "id", "title"}}
	for _, f := range content.SelectFields {
		selections = append(selections, []string{"id", f})
	}
	for _, sel := range selections {
		got, err := marshalList(list, sel)
		if err != nil {
			t.Fatal(err)
		}
		if want := reference(list, sel); !bytes.Equal(got, want) {
			t.Errorf("select %v:\n got %s\nwant %s", sel, got, want)
		}
	}
}

// TestResponsesKeepHTMLCharacters: <, > and & come out as themselves, not as \u003c, \u003e
// and \u0026, in an item read alone, in a list (whole and selected) and in a client's own
// write's answer: the same JSON, shorter.
func TestResponsesKeepHTMLCharacters(t *testing.T) {
	f := newItemsFixture(t)
	it := f.newItem(t, f.editor, map[string]any{"title": "Tom & Jerry", "slug": "tom-and-jerry", "summary": "a <b> tag", "body": "**bold** & <i>"})
	f.act(t, f.editor, it, "publish", nil)
	for _, path := range []string{"/api/v1/items/" + it.ID, "/api/v1/types/news/items/tom-and-jerry", "/api/v1/items", "/api/v1/items?select=title,summary,body_html"} {
		rec := f.send(t, "GET", path, "", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body)
		}
		body := rec.Body.String()
		for _, want := range []string{`"title":"Tom & Jerry"`, `"summary":"a <b> tag"`, `<strong>bold</strong> &amp;`} {
			if !strings.Contains(body, want) {
				t.Errorf("GET %s: no %s in %s", path, want, body)
			}
		}
		if strings.Contains(body, `\u00`) {
			t.Errorf("GET %s escapes HTML characters: %s", path, body)
		}
	}
	rec := f.send(t, "PATCH", "/api/v1/items/"+it.ID, f.editor, map[string]any{"title": "Tom > Jerry"}, "If-Match", etag(it.Version+1))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"title":"Tom > Jerry"`) {
		t.Errorf("PATCH = %d %s", rec.Code, rec.Body)
	}
}

// TestSelectReadsWhatItReturns: a list with select reads only the columns it needs, and each
// property it returns is the one the whole item has, alone or with others, searched or not.
func TestSelectReadsWhatItReturns(t *testing.T) {
	f := newItemsFixture(t)
	it := f.newItem(t, f.editor, map[string]any{"title": "Selected cooperatives", "summary": "A summary", "body": "Some **body**", "tags": []string{"cooperatives"}})
	f.act(t, f.editor, it, "publish", nil)
	whole := func(query string) map[string]json.RawMessage {
		t.Helper()
		var list struct{ Data []map[string]json.RawMessage }
		if err := json.Unmarshal(f.send(t, "GET", "/api/v1/items?"+query, "", nil).Body.Bytes(), &list); err != nil || len(list.Data) != 1 {
			t.Fatalf("GET /items?%s: %v, %d items", query, err, len(list.Data))
		}
		return list.Data[0]
	}
	for _, search := range []string{"", "&q=cooperatives"} {
		all := whole("limit=1" + search)
		for _, sel := range append(slices.Clone(content.SelectFields), "title,body", "summary,tags,fields_html,author") {
			got := whole("limit=1&select=" + sel + search)
			// deleted_at is only on items in the trash.
			names := slices.DeleteFunc(append(strings.Split(sel, ","), "id"), func(n string) bool { return all[n] == nil })
			if names = slices.Compact(slices.Sorted(slices.Values(names))); len(got) != len(names) {
				t.Errorf("select=%s%s: %d properties, want %v", sel, search, len(got), names)
			}
			for _, name := range names {
				if !bytes.Equal(got[name], all[name]) {
					t.Errorf("select=%s%s: %s = %s, the whole item has %s", sel, search, name, got[name], all[name])
				}
			}
		}
	}
}
