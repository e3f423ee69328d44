package content

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/database/dbtest"
	"github.com/foliocms/folio/internal/validation"
)

// searchFixture is a small fixed corpus, published.
func searchFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	summary := func(s string) *string { return &s }
	for _, in := range []NewItem{
		{Title: "Coopératives en Timor-Leste", Summary: summary("Training in Dili"), Body: "A workshop on cooperative principles.", Tags: []string{"asia-and-the-pacific"}},
		{Title: "Youth employment", Summary: summary("Cooperatives create work"), Body: "Young people and jobs."},
		{Title: "Gender equality", Body: "Women in cooperatives across the region; cooperatives help.", Tags: []string{"cooperatives"}},
		{Type: "event", Title: "Climate webinar", Body: "Nothing about the c-word here."},
		{Title: "Draft about cooperatives"}, // stays a draft
	} {
		it := f.create(t, f.editor, in)
		if !strings.HasPrefix(in.Title, "Draft") {
			f.publish(t, it, nil)
		}
	}
	return f
}

func (f *fixture) search(t *testing.T, a *Actor, query string) []string {
	t.Helper()
	v, _ := url.ParseQuery(query)
	q, err := ParseQuery(v, a != nil)
	if err != nil {
		t.Fatalf("ParseQuery(%q) = %v", query, err)
	}
	page, err := f.store.ListItems(t.Context(), a, q)
	if err != nil {
		t.Fatalf("ListItems(%q) = %v", query, err)
	}
	var titles []string
	for _, it := range page.Items {
		titles = append(titles, it.Title)
		if it.SearchRank == nil || !strings.Contains(it.SearchSnippet, MarkStart) {
			t.Errorf("%q: %q has no rank or no marked snippet (%q)", query, it.Title, it.SearchSnippet)
		}
	}
	return titles
}

func TestSearch(t *testing.T) {
	f := searchFixture(t)
	tests := []struct {
		query string
		want  []string
	}{
		// The title counts most, then the summary, tag names, then the body.
		{"q=cooperatives", []string{"Coopératives en Timor-Leste", "Youth employment", "Gender equality"}},
		// Accents are ignored both ways.
		{"q=coopératives+timor", []string{"Coopératives en Timor-Leste"}},
		// The last word is a prefix while it is being typed; a trailing space ends it.
		{"q=coop", []string{"Coopératives en Timor-Leste", "Youth employment", "Gender equality"}},
		{"q=coop+", nil},
		{"q=employ", []string{"Youth employment"}},
		// Tag names are searched.
		{"q=pacific", []string{"Coopératives en Timor-Leste"}},
		// Combined with filters.
		{"q=cooperatives&tag=cooperatives", []string{"Gender equality"}},
		{"q=webinar&type=event", []string{"Climate webinar"}},
		{"q=webinar&type=news", nil},
		// An explicit sort replaces relevance.
		{"q=cooperatives&sort=title", []string{"Coopératives en Timor-Leste", "Gender equality", "Youth employment"}},
		// Hostile syntax is text: no error, no surprise.
		{`q="unbalanced`, nil},
		{"q=cooperatives+OR+youth", nil}, // all words must match, OR is a word
		{"q=NOT+cooperatives", nil},      // NOT is a word too
		{"q=(cooperatives", []string{"Coopératives en Timor-Leste", "Youth employment", "Gender equality"}},
		{"q=*", nil},
		{"q=NEAR(cooperatives+youth)", nil},
		{"q=title:timor", nil}, // no column filters
		{"q=%22%3B+DROP+TABLE+items%3B+--", nil},
		{"q=%21%21", nil}, // nothing searchable: no results
	}
	for _, tt := range tests {
		if got := f.search(t, nil, tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("%s = %q, want %q", tt.query, got, tt.want)
		}
	}
	// Drafts are found only by those who may see them.
	if got := f.search(t, f.editor, "q=draft&status=any"); !slices.Equal(got, []string{"Draft about cooperatives"}) {
		t.Errorf("editor's draft search = %q", got)
	}
	if got := f.search(t, nil, "q=draft"); len(got) != 0 {
		t.Errorf("anonymous draft search = %q", got)
	}
}

// TestSearchFollowsWrites: the index follows every write in its transaction: edits, trash,
// restore, revision restore, tag renames and detaching.
func TestSearchFollowsWrites(t *testing.T) {
	f := searchFixture(t)
	ctx := t.Context()
	page, _ := f.store.ListItems(ctx, nil, Query{Q: "timor", Sort: SortRelevance, Limit: 5})
	it := page.Items[0]
	title := "Coopératives au Vanuatu"
	it2, err := f.store.UpdateItem(ctx, f.editor, it.ID, v(it.Version), ItemPatch{Title: &title})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.search(t, nil, "q=vanuatu"); len(got) != 1 {
		t.Errorf("after the edit, vanuatu = %q", got)
	}
	if got := f.search(t, nil, "q=timor-leste"); len(got) != 0 {
		t.Errorf("after the edit, the old title still matches: %q", got)
	}
	trashed, _ := f.store.TrashItem(ctx, f.editor, it.ID, v(it2.Version))
	if got := f.search(t, nil, "q=vanuatu"); len(got) != 0 {
		t.Errorf("a trashed item is found: %q", got)
	}
	restored, _ := f.store.RestoreItem(ctx, f.editor, it.ID, v(trashed.Version))
	if got := f.search(t, nil, "q=vanuatu"); len(got) != 1 {
		t.Errorf("a restored item is not found: %q", got)
	}
	if _, err := f.store.RestoreRevision(ctx, f.editor, it.ID, 1, v(restored.Version)); err != nil {
		t.Fatal(err)
	}
	if got := f.search(t, nil, "q=timor"); len(got) != 1 {
		t.Errorf("after the revision restore, timor = %q", got)
	}
	name := "Asia Pacific region"
	if _, err := f.store.UpdateTag(ctx, "asia-and-the-pacific", nil, TagInput{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if got := f.search(t, nil, "q=region"); !slices.Contains(got, "Coopératives en Timor-Leste") {
		t.Errorf("after the tag rename, region = %q", got)
	}
	if err := f.store.DeleteTag(ctx, f.editor, "asia-and-the-pacific", nil, true); err != nil {
		t.Fatal(err)
	}
	if got := f.search(t, nil, "q=pacific"); len(got) != 0 {
		t.Errorf("after detaching the tag, pacific = %q", got)
	}
}

func TestSearchPaging(t *testing.T) {
	f := searchFixture(t)
	all := pagedTitles(t, f.store, nil, Query{Q: "cooperatives", Sort: SortRelevance, Limit: 1})
	if !slices.Equal(all, []string{"Coopératives en Timor-Leste", "Youth employment", "Gender equality"}) {
		t.Errorf("relevance pages = %q", all)
	}
	// A relevance cursor is refused with another sort.
	v, _ := url.ParseQuery("q=cooperatives&sort=title&cursor=" + (&Cursor{Sort: SortRelevance, Key: "-1", ID: "x"}).Encode())
	var verr *validation.Error
	if _, err := ParseQuery(v, false); !errors.As(err, &verr) {
		t.Errorf("relevance cursor with sort=title = %v, want a problem with the cursor", err)
	}
}

// TestSearchWindowReadsMatchesNewestFirst: the window of ranked matches must come from FTS5
// walking its matches in rowid order and stopping at the window's end, whatever the filters;
// a plan that sorts the matches first would read them all, the cost the window is there to cap.
func TestSearchWindowReadsMatchesNewestFirst(t *testing.T) {
	dbtest.SQLiteOnly(t) // a query plan of SQLite's
	f := searchFixture(t)
	now := f.clock.Now()
	for _, q := range []Query{
		{Q: "cooperatives"},
		{Q: "cooperatives", Types: []string{"news"}},
		{Q: "cooperatives", Tags: []string{"cooperatives", "asia-and-the-pacific"}},
		{Q: "cooperatives", TagsAny: []string{"cooperatives", "covid-19"}, Types: []string{"news", "event"}},
		{Q: "cooperatives", Status: "any"},
	} {
		q.Sort, q.Limit = SortRelevance, 20
		text := queryPlan(t, f.db, f.db.ToSQL(func(tx *gorm.DB) *gorm.DB { return f.store.searchWindow(tx, f.author, q, now).Find(&[]Item{}) }))
		if !strings.HasPrefix(text, "SCAN items_fts VIRTUAL TABLE") || strings.Contains(text, "TEMP B-TREE FOR ORDER BY") {
			t.Errorf("%+v: the window is not read from the index newest first:\n%s", q, text)
		}
	}
}

// TestSearchRanksTheNewestMatches: past rankedMatches matches, the newest are ranked, and a
// numbered page counts those.
func TestSearchRanksTheNewestMatches(t *testing.T) {
	f := newFixture(t)
	defer func(n int) { rankedMatches = n }(rankedMatches)
	rankedMatches = 3
	// The oldest is the best match (the word in its title); the newest three have it in the body.
	for _, in := range []NewItem{{Title: "Kumquat", Body: "kumquat"}, {Title: "One", Body: "kumquat"}, {Title: "Two", Body: "a kumquat"}, {Title: "Three", Body: "kumquat!"}} {
		f.publish(t, f.create(t, f.editor, in), nil)
		f.clock.Advance(time.Second)
	}
	for _, tc := range []struct {
		query string
		want  string
	}{
		{"q=kumquat", "One,Three,Two"},
		{"q=kumquat&page=1", "One,Three,Two"},
		{"q=kumquat&sort=-published_at", "Three,Two,One,Kumquat"}, // by date: every match
	} {
		v, _ := url.ParseQuery(tc.query)
		q, err := ParseQuery(v, false)
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.store.ListItems(t.Context(), nil, q)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, it := range page.Items {
			titles = append(titles, it.Title)
		}
		slices.Sort(titles[:min(3, len(titles))]) // equal relevance: their order is the id's
		if tc.query != "q=kumquat&sort=-published_at" && strings.Join(titles, ",") != tc.want {
			t.Errorf("%s = %v, want %s", tc.query, titles, tc.want)
		}
		if q.Page > 0 && page.Total != 3 {
			t.Errorf("%s: total %d, want the 3 ranked", tc.query, page.Total)
		}
		if tc.query == "q=kumquat&sort=-published_at" && len(titles) != 4 {
			t.Errorf("%s = %v, want all four", tc.query, titles)
		}
	}
}

// TestRebuildSearchIndex empties the index behind the store's back, as a copied database has
// it, and rebuilds it: the same searches find the same items again, and a second rebuild
// leaves no duplicates.
func TestRebuildSearchIndex(t *testing.T) {
	f := searchFixture(t)
	want := f.search(t, f.editor, "q=cooperatives")
	if len(want) == 0 {
		t.Fatal("the fixture has no match to lose")
	}
	if err := f.db.Exec(dialectOf(f.db).unindexAllSQL()).Error; err != nil {
		t.Fatal(err)
	}
	if got := f.search(t, f.editor, "q=cooperatives"); len(got) != 0 {
		t.Fatalf("search with an empty index = %q, want nothing", got)
	}
	for range 2 {
		if err := f.db.Transaction(func(tx *gorm.DB) error { return RebuildSearchIndex(t.Context(), tx) }); err != nil {
			t.Fatalf("RebuildSearchIndex = %v", err)
		}
	}
	if got := f.search(t, f.editor, "q=cooperatives"); !slices.Equal(got, want) {
		t.Errorf("search after the rebuild = %q, want %q", got, want)
	}
}
