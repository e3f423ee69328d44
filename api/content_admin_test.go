package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/foliocms/folio/internal/database"
)

func TestTypesOverHTTP(t *testing.T) {
	f := newItemsFixture(t)
	// Public reads.
	list := decode[ContentTypeList](t, f.send(t, "GET", "/api/v1/types", "", nil))
	if len(list.Data) != 4 || list.Data[1].Key != "event" || len(list.Data[1].Fields) == 0 {
		t.Fatalf("types = %+v", list)
	}
	// Admins only.
	body := map[string]any{"key": "report", "name": "Report", "fields": []map[string]any{{"name": "pages", "kind": "integer", "min": 1}}}
	decodeProblem(t, f.send(t, "POST", "/api/v1/types", f.editor, body), http.StatusForbidden)
	rec := f.send(t, "POST", "/api/v1/types", f.admin, body)
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != "/api/v1/types/report" {
		t.Fatalf("create type = %d %s", rec.Code, rec.Body)
	}
	p := decodeProblem(t, f.send(t, "POST", "/api/v1/types", f.admin, map[string]any{"key": "bad", "name": "Bad",
		"fields": []map[string]any{{"name": "title", "kind": "text"}, {"name": "x", "kind": "enum"}}}), http.StatusUnprocessableEntity)
	if len(p.Errors) != 2 || p.Errors[0].Field != "fields[0].name" || p.Errors[1].Field != "fields[1].values" {
		t.Errorf("bad definition errors = %+v", p.Errors)
	}

	// The acceptance path: an admin adds a field to event, sees the plan of a breaking change,
	// applies it, and finds the new schema in /openapi.json without a restart.
	ev := f.newItem(t, f.editor, map[string]any{"type": "event", "title": "Webinar", "fields": map[string]any{"location": "Online"}})
	event := decode[ContentType](t, f.send(t, "GET", "/api/v1/types/event", "", nil))
	fields := append(slices.Clone(event.Fields), FieldDefinition{Name: "capacity", Kind: "integer"})
	rec = f.send(t, "PUT", "/api/v1/types/event", f.admin, map[string]any{"name": "Event", "fields": fields})
	if rec.Code != http.StatusOK {
		t.Fatalf("adding an optional field = %d %s", rec.Code, rec.Body)
	}
	doc := decode[map[string]any](t, f.send(t, "GET", "/openapi.json", "", nil))
	schema := doc["components"].(map[string]any)["schemas"].(map[string]any)["EventFields"].(map[string]any)
	if _, ok := schema["properties"].(map[string]any)["capacity"]; !ok {
		t.Errorf("EventFields in /openapi.json lacks the new field: %v", schema)
	}
	var kept []FieldDefinition
	for _, d := range fields {
		if d.Name != "location" {
			kept = append(kept, d)
		}
	}
	rec = f.send(t, "PUT", "/api/v1/types/event", f.admin, map[string]any{"name": "Event", "fields": kept})
	p = decodeProblem(t, rec, http.StatusConflict)
	if p.Plan == nil || p.Plan.Items != 1 || p.Plan.Stripped != 1 || len(p.Plan.Changes) != 1 {
		t.Fatalf("plan = %+v", p.Plan)
	}
	if rec := f.send(t, "PUT", "/api/v1/types/event?apply=true", f.admin, map[string]any{"name": "Event", "fields": kept}); rec.Code != http.StatusOK {
		t.Fatalf("apply = %d %s", rec.Code, rec.Body)
	}
	if got := decode[Item](t, f.send(t, "GET", "/api/v1/items/"+ev.ID, f.editor, nil)); strings.Contains(string(got.Fields), "location") || got.Version != ev.Version+1 {
		t.Errorf("after apply the item = %s v%d", got.Fields, got.Version)
	}
	decodeProblem(t, f.send(t, "DELETE", "/api/v1/types/event", f.admin, nil), http.StatusConflict)
	if rec := f.send(t, "DELETE", "/api/v1/types/report", f.admin, nil); rec.Code != http.StatusNoContent {
		t.Errorf("delete unused type = %d", rec.Code)
	}
}

func TestTagsOverHTTP(t *testing.T) {
	f := newItemsFixture(t)
	decodeProblem(t, f.send(t, "POST", "/api/v1/tags", f.author, map[string]any{"slug": "india", "name": "India"}), http.StatusForbidden)
	rec := f.send(t, "POST", "/api/v1/tags", f.editor, map[string]any{"slug": "india", "name": "India", "group": "country"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create tag = %d %s", rec.Code, rec.Body)
	}
	decodeProblem(t, f.send(t, "POST", "/api/v1/tags", f.editor, map[string]any{"slug": "india", "name": "Again"}), http.StatusConflict)
	if got := decode[TagList](t, f.send(t, "GET", "/api/v1/tags?group=country", "", nil)); len(got.Data) != 1 || got.Data[0].Slug != "india" {
		t.Errorf("tags of group country = %+v", got.Data)
	}
	it := f.newItem(t, f.author, map[string]any{"title": "Tagged", "tags": []string{"india"}})
	decodeProblem(t, f.send(t, "DELETE", "/api/v1/tags/india", f.editor, nil), http.StatusConflict)
	if rec := f.send(t, "DELETE", "/api/v1/tags/india?detach=true", f.editor, nil); rec.Code != http.StatusNoContent {
		t.Fatalf("delete with detach = %d %s", rec.Code, rec.Body)
	}
	if got := decode[Item](t, f.send(t, "GET", "/api/v1/items/"+it.ID, f.author, nil)); len(got.Tags) != 0 {
		t.Errorf("item tags after detach = %v", got.Tags)
	}
	decodeProblem(t, f.send(t, "GET", "/api/v1/tags/india", "", nil), http.StatusNotFound)
}

func TestCollectionsOverHTTP(t *testing.T) {
	f := newItemsFixture(t)
	var ids []string
	for _, title := range []string{"Old", "Middle", "New"} {
		it := f.newItem(t, f.editor, map[string]any{"title": title, "tags": []string{"cooperatives"}})
		it = decode[Item](t, f.act(t, f.editor, it, "publish", nil))
		ids = append(ids, it.ID)
		f.clock.Advance(1)
	}
	body := map[string]any{"key": "coops", "title": "Cooperatives", "filter": map[string]any{"tags": []string{"cooperatives"}}, "pinned": []string{ids[0]}}
	decodeProblem(t, f.send(t, "POST", "/api/v1/collections", f.author, body), http.StatusForbidden)
	if rec := f.send(t, "POST", "/api/v1/collections", f.editor, body); rec.Code != http.StatusCreated {
		t.Fatalf("create collection = %d %s", rec.Code, rec.Body)
	}
	rec := f.send(t, "GET", "/api/v1/collections/coops/items", "", nil)
	var titles []string
	for _, it := range decode[ItemList](t, rec).Data {
		titles = append(titles, it.Title)
	}
	if strings.Join(titles, ",") != "Old,New,Middle" {
		t.Errorf("collection items = %v, want the pinned one first, then newest first", titles)
	}
	if rec.Header().Get("Surrogate-Key") != "collection:coops items" || !strings.HasPrefix(rec.Header().Get("Cache-Control"), "public") {
		t.Errorf("headers = %v", rec.Header())
	}
	var sparse struct{ Data []map[string]json.RawMessage }
	json.Unmarshal(f.send(t, "GET", "/api/v1/collections/coops/items?select=title&limit=1", "", nil).Body.Bytes(), &sparse)
	if len(sparse.Data) != 1 || len(sparse.Data[0]) != 2 {
		t.Errorf("select on a collection = %+v", sparse.Data)
	}
	decodeProblem(t, f.send(t, "GET", "/api/v1/collections/coops/items?tag=x", "", nil), http.StatusBadRequest)
	decodeProblem(t, f.send(t, "GET", "/api/v1/collections/nope/items", "", nil), http.StatusNotFound)
	rec = f.send(t, "PATCH", "/api/v1/collections/coops", f.editor, map[string]any{"pinned": []string{}})
	if rec.Code != http.StatusOK || len(decode[Collection](t, rec).Pinned) != 0 {
		t.Errorf("unpin = %d %s", rec.Code, rec.Body)
	}
}

func TestContentReviewFixesOverHTTP(t *testing.T) {
	f := newItemsFixture(t)
	public := f.newItem(t, f.editor, map[string]any{"title": "Public", "tags": []string{"cooperatives"}})
	public = decode[Item](t, f.act(t, f.editor, public, "publish", nil))
	draft := f.newItem(t, f.editor, map[string]any{"title": "Draft"})
	f.send(t, "POST", "/api/v1/collections", f.editor, map[string]any{"key": "c", "title": "C", "pinned": []string{draft.ID, public.ID}})

	// Anonymous callers do not learn the ids of pinned drafts.
	anon := decode[Collection](t, f.send(t, "GET", "/api/v1/collections/c", "", nil))
	if strings.Join(anon.Pinned, ",") != public.ID {
		t.Errorf("anonymous pinned = %v, want only the public item", anon.Pinned)
	}
	if all := decode[Collection](t, f.send(t, "GET", "/api/v1/collections/c", f.editor, nil)); len(all.Pinned) != 2 {
		t.Errorf("editor's pinned = %v, want both", all.Pinned)
	}
	if list := decode[CollectionList](t, f.send(t, "GET", "/api/v1/collections", "", nil)); len(list.Data[0].Pinned) != 1 {
		t.Errorf("anonymous list pinned = %v", list.Data[0].Pinned)
	}

	// Unknown properties inside a definition or a filter are refused where they are.
	p := decodeProblem(t, f.send(t, "POST", "/api/v1/types", f.admin, map[string]any{"key": "x", "name": "X",
		"fields": []map[string]any{{"name": "a", "kind": "text", "minimum": 3}}}), http.StatusUnprocessableEntity)
	if len(p.Errors) != 1 || p.Errors[0].Field != "fields[0].minimum" {
		t.Errorf("unknown definition property errors = %+v", p.Errors)
	}
	p = decodeProblem(t, f.send(t, "POST", "/api/v1/collections", f.editor, map[string]any{"key": "y", "title": "Y",
		"filter": map[string]any{"tag": []string{"cooperatives"}}}), http.StatusUnprocessableEntity)
	if len(p.Errors) != 1 || p.Errors[0].Field != "filter.tag" {
		t.Errorf("unknown filter property errors = %+v", p.Errors)
	}

	// Types and tags are cacheable public reads.
	rec := f.send(t, "GET", "/api/v1/types/event", "", nil)
	if !strings.HasPrefix(rec.Header().Get("Cache-Control"), "public") || rec.Header().Get("Surrogate-Key") != "types type:event" {
		t.Errorf("type headers = %v", rec.Header())
	}
	if again := f.send(t, "GET", "/api/v1/types/event", "", nil, "If-None-Match", rec.Header().Get("ETag")); again.Code != http.StatusNotModified {
		t.Errorf("type If-None-Match = %d", again.Code)
	}
	decodeProblem(t, f.send(t, "GET", "/api/v1/tags/cooperatives?x=1", "", nil), http.StatusBadRequest)
	if rec := f.send(t, "GET", "/api/v1/items?select=fields_html", "", nil); rec.Code != http.StatusOK {
		t.Errorf("select=fields_html = %d", rec.Code)
	}
}

func TestSearchOverHTTP(t *testing.T) {
	f := newItemsFixture(t)
	it := f.newItem(t, f.editor, map[string]any{"title": "Coopératives <en> Timor-Leste", "tags": []string{"cooperatives"}})
	f.act(t, f.editor, it, "publish", nil)
	other := f.newItem(t, f.editor, map[string]any{"title": "Unrelated", "body": "nothing"})
	other = decode[Item](t, f.act(t, f.editor, other, "publish", nil))
	f.send(t, "POST", "/api/v1/collections", f.editor, map[string]any{"key": "c", "title": "C", "pinned": []string{other.ID},
		"filter": map[string]any{"tags": []string{"cooperatives"}}})

	list := decode[ItemList](t, f.send(t, "GET", "/api/v1/items?q=cooperatives+tim", "", nil))
	if len(list.Data) != 1 || list.Data[0].Search == nil {
		t.Fatalf("search = %+v", list.Data)
	}
	snippet := list.Data[0].Search.Snippet
	if !strings.Contains(snippet, "<mark>Coopératives</mark>") || !strings.Contains(snippet, "&lt;en&gt;") || list.Data[0].Search.Score <= 0 {
		t.Errorf("snippet = %q, score %v; want marked matches and the item's own < > escaped", snippet, list.Data[0].Search.Score)
	}
	if plain := decode[ItemList](t, f.send(t, "GET", "/api/v1/items", "", nil)); plain.Data[0].Search != nil {
		t.Error("an item outside search results carries search")
	}
	// A collection's search ranks its pinned items with the rest.
	got := decode[ItemList](t, f.send(t, "GET", "/api/v1/collections/c/items?q=unrelated", "", nil))
	if len(got.Data) != 1 || got.Data[0].ID != other.ID {
		t.Errorf("collection search = %+v", got.Data)
	}
	for _, q := range []string{`%22`, `NEAR(`, `a+OR+b`, `*`, `%27%3B--`} {
		if rec := f.send(t, "GET", "/api/v1/items?q="+q, "", nil); rec.Code != http.StatusOK {
			t.Errorf("q=%s = %d %s", q, rec.Code, rec.Body)
		}
	}
}

// TestWriteBehindALongWrite: a write that waits past the busy timeout for another process's
// write lock (a large import) is a 503 to retry, not a 500.
func TestWriteBehindALongWrite(t *testing.T) {
	f := newItemsFixtureOn(t, newTestServerOn(t, database.Options{BusyTimeout: 50 * time.Millisecond}))
	defer holdWriteLock(t, f.path)()
	rec := f.send(t, "POST", "/api/v1/tags", f.editor, map[string]any{"slug": "india", "name": "India"})
	decodeProblem(t, rec, http.StatusServiceUnavailable)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}
