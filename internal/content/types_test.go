package content

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/foliocms/folio/internal/validation"
)

func ptr[T any](v T) *T { return &v }

// fieldErrorsOf returns the field paths of a validation error, or nil.
func fieldErrorsOf(err error) []string {
	var verr *validation.Error
	if !errors.As(err, &verr) {
		return nil
	}
	var out []string
	for _, f := range verr.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestTypeDefinitionsAreChecked(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		fields []FieldDef
		want   string // the field path of the problem
	}{
		{"unknown kind", []FieldDef{{Name: "a", Kind: "colour"}}, "fields[0].kind"},
		{"duplicate name", []FieldDef{{Name: "a", Kind: KindText}, {Name: "a", Kind: KindText}}, "fields[1].name"},
		{"reserved name", []FieldDef{{Name: "title", Kind: KindText}}, "fields[0].name"},
		{"bad name", []FieldDef{{Name: "Starts At", Kind: KindText}}, "fields[0].name"},
		{"enum without values", []FieldDef{{Name: "a", Kind: KindEnum}}, "fields[0].values"},
		{"repeated enum value", []FieldDef{{Name: "a", Kind: KindEnum, Values: []string{"x", "x"}}}, "fields[0].values[1]"},
		{"values on text", []FieldDef{{Name: "a", Kind: KindText, Values: []string{"x"}}}, "fields[0].values"},
		{"pattern that does not compile", []FieldDef{{Name: "a", Kind: KindText, Pattern: "(unclosed"}}, "fields[0].pattern"},
		{"pattern on a number", []FieldDef{{Name: "a", Kind: KindNumber, Pattern: "x"}}, "fields[0].pattern"},
		{"min above max", []FieldDef{{Name: "a", Kind: KindInteger, Min: ptr(5.0), Max: ptr(1.0)}}, "fields[0].min"},
		{"min on text", []FieldDef{{Name: "a", Kind: KindText, Min: ptr(1.0)}}, "fields[0].min"},
		{"length on a boolean", []FieldDef{{Name: "a", Kind: KindBoolean, MaxLength: ptr(3)}}, "fields[0].min_length"},
		{"negative min_length", []FieldDef{{Name: "a", Kind: KindText, MinLength: ptr(-1)}}, "fields[0].min_length"},
		{"zero max_length", []FieldDef{{Name: "a", Kind: KindText, MaxLength: ptr(0)}}, "fields[0].max_length"},
		{"repeated reference type", []FieldDef{{Name: "a", Kind: KindReference, Types: []string{"news", "news"}}}, "fields[0].types[1]"},
		{"min_length above max_length", []FieldDef{{Name: "a", Kind: KindText, MinLength: ptr(9), MaxLength: ptr(3)}}, "fields[0].min_length"},
		{"reference to an unknown type", []FieldDef{{Name: "a", Kind: KindReference, Types: []string{"nope"}}}, "fields[0].types[0]"},
		{"types on text", []FieldDef{{Name: "a", Kind: KindText, Types: []string{"news"}}}, "fields[0].types"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.store.CreateType(t.Context(), fmt.Sprintf("t%d", i), TypeInput{Name: "T", Fields: tt.fields})
			if got := fieldErrorsOf(err); !slices.Contains(got, tt.want) {
				t.Errorf("CreateType = %v, want a problem at %s", err, tt.want)
			}
		})
	}
	if _, err := f.store.CreateType(t.Context(), "news", TypeInput{Name: "N"}); !errors.Is(err, ErrTypeExists) {
		t.Errorf("a taken key = %v, want ErrTypeExists", err)
	}
	if _, err := f.store.CreateType(t.Context(), "Bad Key", TypeInput{Name: "N"}); !slices.Contains(fieldErrorsOf(err), "key") {
		t.Errorf("a bad key = %v", err)
	}
	// A reference may name the type being defined.
	if _, err := f.store.CreateType(t.Context(), "person", TypeInput{Name: "Person", Fields: []FieldDef{{Name: "mentor", Kind: KindReference, Types: []string{"person"}}}}); err != nil {
		t.Errorf("self-reference: %v", err)
	}
}

func TestItemFieldsAreChecked(t *testing.T) {
	f := newFixture(t)
	target := f.create(t, f.editor, NewItem{Title: "A news item"})
	_, err := f.store.CreateType(t.Context(), "sample", TypeInput{Name: "Sample", Fields: []FieldDef{
		{Name: "code", Kind: KindText, Required: true, MinLength: ptr(2), MaxLength: ptr(5), Pattern: "^[A-Z]+$"},
		{Name: "notes", Kind: KindMarkdown, MaxLength: ptr(50)},
		{Name: "ratio", Kind: KindNumber, Min: ptr(0.0), Max: ptr(1.0)},
		{Name: "count", Kind: KindInteger, Min: ptr(1.0)},
		{Name: "open", Kind: KindBoolean},
		{Name: "day", Kind: KindDate},
		{Name: "at", Kind: KindDatetime},
		{Name: "link", Kind: KindURL},
		{Name: "contact", Kind: KindEmail},
		{Name: "level", Kind: KindEnum, Values: []string{"low", "high"}},
		{Name: "aliases", Kind: KindList, MaxLength: ptr(3)},
		{Name: "related", Kind: KindReference, Types: []string{"news"}},
		{Name: "anything", Kind: KindReference},
	}})
	if err != nil {
		t.Fatal(err)
	}
	valid := map[string]any{"code": "ABC"}
	with := func(k string, v any) string {
		m := map[string]any{}
		for key, val := range valid {
			m[key] = val
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	other := f.create(t, f.editor, NewItem{Type: "event", Title: "An event"})
	tests := []struct {
		name, fields, want string
	}{
		{"missing required", with("code", nil), "fields.code"},
		{"too short", with("code", "A"), "fields.code"},
		{"too long", with("code", "ABCDEF"), "fields.code"},
		{"pattern", with("code", "abc"), "fields.code"},
		{"text of the wrong kind", with("code", 5), "fields.code"},
		{"unknown field", with("colour", "red"), "fields.colour"},
		{"number below min", with("ratio", -0.5), "fields.ratio"},
		{"number above max", with("ratio", 2), "fields.ratio"},
		{"number as text", with("ratio", "0.5"), "fields.ratio"},
		{"integer with a fraction", with("count", 1.5), "fields.count"},
		{"integer below min", with("count", 0), "fields.count"},
		{"boolean as text", with("open", "yes"), "fields.open"},
		{"bad date", with("day", "2020-02-30"), "fields.day"},
		{"date with time", with("day", "2020-02-03T00:00:00Z"), "fields.day"},
		{"bad datetime", with("at", "tomorrow"), "fields.at"},
		{"url without scheme", with("link", "example.com"), "fields.link"},
		{"javascript url", with("link", "javascript:alert(1)"), "fields.link"},
		{"bad email", with("contact", "nobody"), "fields.contact"},
		{"value not in enum", with("level", "medium"), "fields.level"},
		{"list of numbers", with("aliases", []int{1}), "fields.aliases"},
		{"list item too long", with("aliases", []string{"ok", "toolong"}), "fields.aliases[1]"},
		{"reference to nothing", with("related", "0193d5b4-0000-7000-8000-000000000000"), "fields.related"},
		{"reference not an id", with("related", "not-an-id"), "fields.related"},
		{"reference of another type", with("related", other.ID), "fields.related"},
		{"markdown too long", with("notes", strings.Repeat("x", 51)), "fields.notes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.store.CreateItem(t.Context(), f.editor, NewItem{Type: "sample", Title: "x", Fields: json.RawMessage(tt.fields)})
			if got := fieldErrorsOf(err); !slices.Contains(got, tt.want) {
				t.Errorf("CreateItem(%s) = %v, want a problem at %s", tt.fields, err, tt.want)
			}
		})
	}
	// All valid at once; markdown rendered beside the source.
	good := `{"code":"ABC","notes":"**bold**","ratio":0.5,"count":3,"open":true,"day":"2020-07-03","at":"2020-07-03T08:00:00Z",
	          "link":"https://example.com","contact":"a@example.com","level":"high","aliases":["a","bc"],"related":"` + target.ID + `","anything":"` + other.ID + `"}`
	it, err := f.store.CreateItem(t.Context(), f.editor, NewItem{Type: "sample", Title: "ok", Fields: json.RawMessage(good)})
	if err != nil {
		t.Fatalf("CreateItem with valid fields = %v", err)
	}
	if !strings.Contains(it.FieldsHTML, `\u003cstrong\u003ebold\u003c/strong\u003e`) && !strings.Contains(it.FieldsHTML, "<strong>bold</strong>") {
		t.Errorf("fields_html = %s, want the rendered markdown", it.FieldsHTML)
	}
	// An update that touches the fields is checked too; one that does not, is not.
	if _, err := f.store.UpdateItem(t.Context(), f.editor, it.ID, v(it.Version), ItemPatch{Fields: json.RawMessage(`{"level":"none"}`)}); !slices.Contains(fieldErrorsOf(err), "fields.level") {
		t.Errorf("update with a bad enum = %v", err)
	}
	// Null removes an optional field; a required one cannot be removed.
	if _, err := f.store.UpdateItem(t.Context(), f.editor, it.ID, v(it.Version), ItemPatch{Fields: json.RawMessage(`{"code":null}`)}); !slices.Contains(fieldErrorsOf(err), "fields.code") {
		t.Errorf("removing a required field = %v", err)
	}
	updated, err := f.store.UpdateItem(t.Context(), f.editor, it.ID, v(it.Version), ItemPatch{Fields: json.RawMessage(`{"notes":null}`)})
	if err != nil || strings.Contains(updated.Fields, "notes") || strings.Contains(updated.FieldsHTML, "notes") {
		t.Errorf("removing notes = %v; fields %s, html %s", err, updated.Fields, updated.FieldsHTML)
	}
}

func TestTypeChangePlanAndApply(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	event, _ := f.store.FindType(ctx, "event")
	withLocation := f.create(t, f.editor, NewItem{Type: "event", Title: "In Bangkok", Fields: json.RawMessage(`{"location":"Bangkok","online":false}`)})
	f.create(t, f.editor, NewItem{Type: "event", Title: "No location"})
	defs := event.Defs()

	// Adding an optional field applies at once.
	added := append(slices.Clone(defs), FieldDef{Name: "capacity", Kind: KindInteger, Min: ptr(1.0)})
	typ, plan, err := f.store.UpdateType(ctx, f.editor, "event", nil, TypeInput{Name: "Event", Fields: added}, false)
	if err != nil || !plan.Applied || typ.Version != event.Version+1 {
		t.Fatalf("adding an optional field = %v (plan %+v)", err, plan)
	}

	// Removing location and requiring capacity: a plan, not applied.
	var next []FieldDef
	for _, d := range added {
		switch d.Name {
		case "location":
		case "capacity":
			d.Required = true
			next = append(next, d)
		default:
			next = append(next, d)
		}
	}
	_, _, err = f.store.UpdateType(ctx, f.editor, "event", nil, TypeInput{Name: "Event", Fields: next}, false)
	var perr *PlanError
	if !errors.As(err, &perr) {
		t.Fatalf("breaking change without apply = %v, want a plan", err)
	}
	p := perr.Plan
	if p.Items != 2 || p.Invalid != 2 || len(p.Examples) != 2 || p.Stripped != 1 ||
		!slices.Contains(p.Changes, "removes location") || !slices.Contains(p.Changes, "capacity: becomes required") {
		t.Errorf("plan = %+v", p)
	}
	if cur, _ := f.store.FindType(ctx, "event"); cur.Version != typ.Version {
		t.Errorf("the plan changed the type: version %d, want %d", cur.Version, typ.Version)
	}

	// Applied: the location value leaves the item as a new version; its earlier revision keeps it.
	if _, _, err := f.store.UpdateType(ctx, f.editor, "event", nil, TypeInput{Name: "Event", Fields: next}, true); err != nil {
		t.Fatalf("apply = %v", err)
	}
	after, _ := f.store.FindItem(ctx, f.editor, withLocation.ID)
	if strings.Contains(after.Fields, "location") || after.Version != withLocation.Version+1 {
		t.Errorf("after apply: fields %s at version %d", after.Fields, after.Version)
	}
	rev, err := f.store.Revision(ctx, f.editor, withLocation.ID, withLocation.Version)
	if err != nil || !strings.Contains(rev.Snapshot, "Bangkok") {
		t.Errorf("the earlier revision lost the value: %v %s", err, rev.Snapshot)
	}
	// The item must now get a capacity when its fields change.
	if _, err := f.store.UpdateItem(ctx, f.editor, after.ID, v(after.Version), ItemPatch{Fields: json.RawMessage(`{"online":true}`)}); !slices.Contains(fieldErrorsOf(err), "fields.capacity") {
		t.Errorf("update without the newly required field = %v", err)
	}
	// Deleting a type in use is refused; an unused one goes.
	if err := f.store.DeleteType(ctx, "event", nil); !errors.Is(err, ErrTypeInUse) {
		t.Errorf("delete event = %v", err)
	}
	f.store.CreateType(ctx, "spare", TypeInput{Name: "Spare"})
	if err := f.store.DeleteType(ctx, "spare", nil); err != nil {
		t.Errorf("delete spare = %v", err)
	}
}

func TestFieldFilters(t *testing.T) {
	f := newFixture(t)
	for i, loc := range []string{"Bangkok", "Dili", "Bangkok"} {
		it := f.create(t, f.editor, NewItem{Type: "event", Title: fmt.Sprintf("E%d", i), Fields: json.RawMessage(fmt.Sprintf(`{"location":%q,"online":%v}`, loc, i == 2))})
		f.publish(t, it, nil)
	}
	list := func(query string) ([]Item, error) {
		v, _ := url.ParseQuery(query)
		q, err := ParseQuery(v, false)
		if err != nil {
			return nil, err
		}
		page, err := f.store.ListItems(t.Context(), nil, q)
		if err != nil {
			return nil, err
		}
		return page.Items, nil
	}
	if items, err := list("type=event&fields.location=Bangkok"); err != nil || len(items) != 2 {
		t.Errorf("location=Bangkok = %d items, %v", len(items), err)
	}
	if items, err := list("type=event&fields.location=Bangkok&fields.online=true"); err != nil || len(items) != 1 {
		t.Errorf("Bangkok and online = %d items, %v", len(items), err)
	}
	for _, bad := range []string{"fields.location=Bangkok", "type=event&fields.colour=red", "type=event&fields.online=maybe", "type=news,event&fields.series=x"} {
		var qerr *QueryError
		if _, err := list(bad); !errors.As(err, &qerr) {
			t.Errorf("%s = %v, want a QueryError", bad, err)
		}
	}
}

func TestDeleteTag(t *testing.T) {
	f := newFixture(t)
	it := f.create(t, f.editor, NewItem{Title: "Tagged", Tags: []string{"cooperatives", "covid-19"}})
	if err := f.store.DeleteTag(t.Context(), f.editor, "covid-19", nil, false); !errors.Is(err, ErrTagInUse) {
		t.Fatalf("delete a tag in use = %v", err)
	}
	if err := f.store.DeleteTag(t.Context(), f.editor, "covid-19", nil, true); err != nil {
		t.Fatalf("delete with detach = %v", err)
	}
	after, _ := f.store.FindItem(t.Context(), f.editor, it.ID)
	if !slices.Equal(after.Tags, []string{"cooperatives"}) || after.Version != it.Version+1 {
		t.Errorf("after detach: tags %v at version %d", after.Tags, after.Version)
	}
	// A renamed slug follows into the items.
	if _, err := f.store.UpdateTag(t.Context(), "cooperatives", nil, TagInput{Slug: ptr("co-ops")}); err != nil {
		t.Fatal(err)
	}
	after, _ = f.store.FindItem(t.Context(), f.editor, it.ID)
	if !slices.Equal(after.Tags, []string{"co-ops"}) {
		t.Errorf("after the slug change: tags %v", after.Tags)
	}
}

func TestCollectionItems(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	base := f.clock.Now().Add(-100 * time.Hour)
	var ids []string
	for i := range 8 {
		at := base.Add(time.Duration(i) * time.Hour)
		tags := []string{"cooperatives"}
		if i%2 == 0 {
			tags = append(tags, "asia-and-the-pacific")
		}
		ids = append(ids, f.publish(t, f.create(t, f.editor, NewItem{Title: fmt.Sprintf("I%d", i), Tags: tags}), &at).ID)
	}
	draft := f.create(t, f.editor, NewItem{Title: "Draft", Tags: []string{"cooperatives", "asia-and-the-pacific"}})
	// Pinned: an old matching item, an item outside the filter, and a draft (skipped).
	pinned := []string{ids[0], ids[1], draft.ID}
	title := "Asia"
	_, err := f.store.CreateCollection(ctx, "asia", CollectionInput{Title: &title, Pinned: &pinned,
		Filter: &CollectionFilter{Tags: []string{"cooperatives", "asia-and-the-pacific"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"I0", "I1", "I6", "I4", "I2"} // pinned public, then the filter newest first without I0

	titles := func(items []Item) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.Title)
		}
		return out
	}
	for limit := 1; limit <= 6; limit++ {
		var got []string
		cq := CollectionQuery{Limit: limit}
		for range 20 {
			page, err := f.store.CollectionItems(ctx, "asia", cq)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, titles(page.Items)...)
			if page.Next == nil {
				break
			}
			cq.Cursor = page.Next
		}
		if !slices.Equal(got, want) {
			t.Errorf("cursor walk with limit %d = %v, want %v", limit, got, want)
		}
		var paged []string
		for p := 1; ; p++ {
			page, err := f.store.CollectionItems(ctx, "asia", CollectionQuery{Limit: limit, Page: p})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != int64(len(want)) {
				t.Errorf("total = %d, want %d", page.Total, len(want))
			}
			if len(page.Items) == 0 {
				break
			}
			paged = append(paged, titles(page.Items)...)
		}
		if !slices.Equal(paged, want) {
			t.Errorf("page walk with limit %d = %v, want %v", limit, paged, want)
		}
	}
	// Bad input.
	if _, err := f.store.CreateCollection(ctx, "bad", CollectionInput{Title: &title, Pinned: &[]string{"0193d5b4-0000-7000-8000-000000000000"},
		Filter: &CollectionFilter{Tags: []string{"nope"}}, Sort: ptr("colour")}); len(fieldErrorsOf(err)) != 3 {
		t.Errorf("bad collection = %v, want problems with pinned, filter.tags and sort", err)
	}
}

func TestReviewFixesForTypesAndCollections(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()

	t.Run("a reference to an item the author may not see names no item", func(t *testing.T) {
		f.store.CreateType(ctx, "note", TypeInput{Name: "Note", Fields: []FieldDef{{Name: "about", Kind: KindReference, Types: []string{"article"}}}})
		secret := f.create(t, f.author2, NewItem{Title: "Someone else's draft"})
		_, err := f.store.CreateItem(ctx, f.author, NewItem{Type: "note", Title: "x", Fields: json.RawMessage(`{"about":"` + secret.ID + `"}`)})
		var verr *validation.Error
		if !errors.As(err, &verr) || verr.Fields[0].Message != "names no item" {
			t.Errorf("= %v, want 'names no item' without the item's type", err)
		}
	})

	t.Run("an optional field after an applied narrowing applies at once", func(t *testing.T) {
		f.create(t, f.editor, NewItem{Type: "event", Title: "Old event"})
		event, _ := f.store.FindType(ctx, "event")
		required := append(slices.Clone(event.Defs()), FieldDef{Name: "host", Kind: KindText, Required: true})
		if _, _, err := f.store.UpdateType(ctx, f.editor, "event", nil, TypeInput{Name: "Event", Fields: required}, true); err != nil {
			t.Fatal(err)
		}
		more := append(slices.Clone(required), FieldDef{Name: "notes", Kind: KindText})
		if _, plan, err := f.store.UpdateType(ctx, f.editor, "event", nil, TypeInput{Name: "Event", Fields: more}, false); err != nil || !plan.Applied || plan.Invalid == 0 {
			t.Errorf("optional addition with items already invalid = %v (plan %+v)", err, plan)
		}
	})

	t.Run("a field that becomes markdown is rendered", func(t *testing.T) {
		f.store.CreateType(ctx, "memo", TypeInput{Name: "Memo", Fields: []FieldDef{{Name: "text", Kind: KindText}}})
		it := f.create(t, f.editor, NewItem{Type: "memo", Title: "Memo", Fields: json.RawMessage(`{"text":"*hi*"}`)})
		if _, _, err := f.store.UpdateType(ctx, f.editor, "memo", nil, TypeInput{Name: "Memo", Fields: []FieldDef{{Name: "text", Kind: KindMarkdown}}}, true); err != nil {
			t.Fatal(err)
		}
		after, _ := f.store.FindItem(ctx, f.editor, it.ID)
		if !strings.Contains(after.FieldsHTML, "em") {
			t.Errorf("fields_html after text became markdown = %s", after.FieldsHTML)
		}
	})

	t.Run("datetimes are stored in UTC", func(t *testing.T) {
		it := f.create(t, f.editor, NewItem{Type: "event", Title: "Tz", Fields: json.RawMessage(`{"starts_at":"2020-07-03T10:00:00+02:00","host":"x"}`)})
		if !strings.Contains(it.Fields, `"2020-07-03T08:00:00Z"`) {
			t.Errorf("fields = %s, want starts_at in UTC", it.Fields)
		}
	})

	t.Run("field filters count right in page mode", func(t *testing.T) {
		v, _ := url.ParseQuery("type=event&fields.location=Nowhere&page=1")
		q, _ := ParseQuery(v, true)
		page, err := f.store.ListItems(ctx, f.editor, ParseQueryStatus(q, "any"))
		if err != nil || page.Total != 0 {
			t.Errorf("total = %d, %v; want 0", page.Total, err)
		}
	})
}

// ParseQueryStatus sets a list's status, for tests that list as an editor.
func ParseQueryStatus(q Query, status string) Query { q.Status = status; return q }

func TestCollectionCursorsAndTags(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	var pinned []string
	for i := range 3 {
		pinned = append(pinned, f.publish(t, f.create(t, f.editor, NewItem{Title: fmt.Sprintf("P%d", i), Tags: []string{"cooperatives"}}), nil).ID)
	}
	title := "C"
	for _, key := range []string{"one", "two"} {
		if _, err := f.store.CreateCollection(ctx, key, CollectionInput{Title: &title, Pinned: &pinned, Filter: &CollectionFilter{Tags: []string{"covid-19"}}}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := f.store.CollectionItems(ctx, "one", CollectionQuery{Limit: 1})
	if err != nil || len(first.Items) != 1 || first.Items[0].ID != pinned[0] {
		t.Fatalf("first page = %v", err)
	}
	// The first pinned item stops being public: the next page still starts at the second.
	it, _ := f.store.FindItem(ctx, f.editor, pinned[0])
	f.store.UnpublishItem(ctx, f.editor, it.ID, v(it.Version))
	second, err := f.store.CollectionItems(ctx, "one", CollectionQuery{Limit: 1, Cursor: first.Next})
	if err != nil || len(second.Items) != 1 || second.Items[0].ID != pinned[1] {
		t.Errorf("second page after unpublishing pinned[0] = %v, %v; want pinned[1]", second, err)
	}
	// A cursor of one collection is refused by another.
	if _, err := f.store.CollectionItems(ctx, "two", CollectionQuery{Limit: 1, Cursor: first.Next}); !errors.Is(err, ErrBadCursor) {
		t.Errorf("a cursor of one on two = %v, want ErrBadCursor", err)
	}
	// Renaming a tag follows into collection filters; deleting one a filter uses needs detach.
	if _, err := f.store.UpdateTag(ctx, "covid-19", nil, TagInput{Slug: ptr("covid")}); err != nil {
		t.Fatal(err)
	}
	c, _ := f.store.FindCollection(ctx, "one")
	if got := c.FilterValue().Tags; !slices.Equal(got, []string{"covid"}) {
		t.Errorf("filter after the rename = %v", got)
	}
	if err := f.store.DeleteTag(ctx, f.editor, "covid", nil, false); !errors.Is(err, ErrTagInUse) {
		t.Errorf("delete a tag a filter uses = %v", err)
	}
	if err := f.store.DeleteTag(ctx, f.editor, "covid", nil, true); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.store.FindCollection(ctx, "one"); len(c.FilterValue().Tags) != 0 {
		t.Errorf("filter after detach = %v", c.FilterValue().Tags)
	}
	// A type a collection lists cannot be deleted.
	f.store.CreateType(ctx, "spare", TypeInput{Name: "Spare"})
	types := CollectionFilter{Types: []string{"spare"}}
	f.store.UpdateCollection(ctx, "two", nil, CollectionInput{Filter: &types})
	if err := f.store.DeleteType(ctx, "spare", nil); !errors.Is(err, ErrTypeInUse) {
		t.Errorf("delete a type a collection lists = %v", err)
	}
}
