package content

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/database"
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

// TestSearchFollowsWritesCommittedTogether: writes that queue behind another are committed in
// one transaction, and the search index is written for all of them at its end
// (database.Batch): each item is found by what it became, and nothing of a failed write is.
func TestSearchFollowsWritesCommittedTogether(t *testing.T) {
	f := searchFixture(t)
	ctx := t.Context()
	page, _ := f.store.ListItems(ctx, nil, Query{Q: "youth", Sort: SortRelevance, Limit: 5})
	youth := page.Items[0]
	page, _ = f.store.ListItems(ctx, nil, Query{Q: "gender", Sort: SortRelevance, Limit: 5})
	gender := page.Items[0]

	// The writer is held until the writes below have queued behind it.
	release, started := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- database.Write(ctx, f.db, func(*gorm.DB) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	var wg sync.WaitGroup
	var errs [3]error
	wg.Go(func() {
		title := "Youth in Vanuatu"
		_, errs[0] = f.store.UpdateItem(ctx, f.editor, youth.ID, v(youth.Version), ItemPatch{Title: &title})
	})
	wg.Go(func() {
		_, errs[1] = f.store.CreateItem(ctx, f.editor, NewItem{Type: "news", Title: "Fiji fisheries", Body: "Boats."})
	})
	wg.Go(func() {
		title := "Gender in Samoa" // a stale version: refused
		_, errs[2] = f.store.UpdateItem(ctx, f.editor, gender.ID, v(gender.Version+1), ItemPatch{Title: &title})
	})
	time.Sleep(100 * time.Millisecond) // time to queue; the test holds whether they did or not
	close(release)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[1] != nil || !errors.Is(errs[2], ErrStale) {
		t.Fatalf("writes = %v, want the first two done and the third stale", errs)
	}
	for query, want := range map[string][]string{
		"q=vanuatu":    {"Youth in Vanuatu"},
		"q=employment": nil,
		"q=fiji":       {"Fiji fisheries"},
		"q=samoa":      nil,
		"q=gender":     {"Gender equality"},
	} {
		if got := f.search(t, f.editor, "status=any&"+query); !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", query, got, want)
		}
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
// A public search's filters are checked from the index of public items (migration 00009).
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
		if err := f.store.prepareSearch(t.Context(), f.db, &q); err != nil {
			t.Fatal(err)
		}
		text := queryPlan(t, f.db, func(tx *gorm.DB) *gorm.DB { return f.store.searchWindow(tx, f.author, q, now).Find(&[]Item{}) })
		if !strings.HasPrefix(text, "SCAN items_fts VIRTUAL TABLE") || strings.Contains(text, "TEMP B-TREE FOR ORDER BY") {
			t.Errorf("%+v: the window is not read from the index newest first:\n%s", q, text)
		}
		// A public search checks its matches in the index of public items, not their rows.
		if q.Status == "" && !strings.Contains(text, "SEARCH i USING COVERING INDEX items_listed_seq (seq=?") {
			t.Errorf("%+v: the window's matches are not checked from items_listed_seq alone:\n%s", q, text)
		}
	}
}

// TestSearchReadsThePagesItemsOnly: a page by relevance sorts the window's matches by their rank
// and cuts them to the page before it reads their items. Sorted after the join, every match in the
// window was read whole (its body among the rest) and went through the sort, to keep 21.
func TestSearchReadsThePagesItemsOnly(t *testing.T) {
	dbtest.SQLiteOnly(t) // a query plan of SQLite's
	f := searchFixture(t)
	now := f.clock.Now()
	after := &Cursor{Sort: "relevance", Key: "-1.5", ID: "0193d5b4-0000-7000-8000-000000000000"}
	for _, q := range []Query{{}, {Cursor: after}, {Page: 3}, {Desc: true}} {
		q.Q, q.Sort, q.Limit = "cooperatives", SortRelevance, 20
		text := searchPlan(t, f, q, now)
		sorted, read := strings.Index(text, "SCAN w\nUSE TEMP B-TREE FOR ORDER BY"), strings.Index(text, "SEARCH i USING INTEGER PRIMARY KEY")
		if sorted < 0 || read < sorted {
			t.Errorf("%+v: items are read before the matches are cut to the page:\n%s", q, text)
		}
	}
}

// searchPlan prepares q's search and returns SQLite's plan of the query of its page.
func searchPlan(t *testing.T, f *fixture, q Query, now time.Time) string {
	t.Helper()
	if err := f.store.prepareSearch(t.Context(), f.db, &q); err != nil {
		t.Fatal(err)
	}
	return queryPlan(t, f.db, func(tx *gorm.DB) *gorm.DB {
		lq, err := f.store.listQuery(tx, nil, q, now)
		if err != nil {
			t.Fatal(err)
		}
		return lq.Find(&[]Item{})
	})
}

// TestCountPhraseAsTheIndexCounts: a word's count of items, read from the index's list of words
// for a word of ASCII letters (in any case), counted by matching otherwise, is the number of
// items that the phrase matches.
func TestCountPhraseAsTheIndexCounts(t *testing.T) {
	dbtest.SQLiteOnly(t) // FTS5's counts
	f := searchFixture(t)
	for _, p := range []string{`"cooperatives"`, `"Cooperatives"`, `"COOPÉRATIVES"`, `"coopératives"`, `"cooperative"`, `"dili"`, `"nowhere"`, `"coop"*`, `"timor" "leste"`, `"c"`} {
		got, err := f.store.countPhrase(t.Context(), f.db, p)
		if err != nil {
			t.Fatal(err)
		}
		var want int64
		if err := f.db.Raw("SELECT count(*) FROM items_fts WHERE items_fts MATCH ?", p).Scan(&want).Error; err != nil {
			t.Fatal(err)
		}
		if got != want || (p == `"Cooperatives"` && got != 4) {
			t.Errorf("countPhrase(%s) = %d, want %d", p, got, want)
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

// TestSearchKeepsTheCountsOfCommonWords: relevance is FTS5's bm25 exactly while the count of
// items holding a word is fresh; a count at or above the kept size is used for its lifetime,
// however many items come to hold the word meanwhile, and then made again.
func TestSearchKeepsTheCountsOfCommonWords(t *testing.T) {
	dbtest.SQLiteOnly(t) // PostgreSQL's ts_rank uses no counts
	f := searchFixture(t)
	f.store.phraseHits = &countMemo{ttl: phraseHitsTTL, keepFrom: 3} // cooperatives: 4 items
	ranks := func() map[string]float64 {
		t.Helper()
		// A whole word (the space after it): not a prefix, which would be looked up with its
		// count (prefix.go).
		page, err := f.store.ListItems(t.Context(), nil, Query{Q: "cooperatives ", Sort: SortRelevance, Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, it := range page.Items {
			got[it.Title] = *it.SearchRank
		}
		if len(got) != 3 {
			t.Fatalf("search for cooperatives found %v, want the 3 public items", got)
		}
		return got
	}
	bm25 := func(title string) float64 {
		t.Helper()
		var r float64
		err := f.db.Raw(`SELECT bm25(items_fts, 10.0, 4.0, 1.0, 2.0) FROM items_fts WHERE items_fts MATCH '"cooperatives"' AND rowid = (SELECT seq FROM items WHERE title = ?)`, title).Scan(&r).Error
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	same := func(when string, want bool) {
		t.Helper()
		for title, r := range ranks() {
			if exact := bm25(title); (math.Abs(r-exact) < 1e-12) != want {
				t.Errorf("%s: %q ranks %v, bm25 %v; want them equal: %v", when, title, r, exact, want)
			}
		}
	}
	same("the first search", true)
	for i := range 6 {
		f.create(t, f.editor, NewItem{Title: fmt.Sprintf("More cooperatives %d", i)})
	}
	same("within the count's lifetime, 6 items later", false)
	f.clock.Advance(phraseHitsTTL + time.Second)
	same("after the count's lifetime", true)
}

// TestSearchWritesOutLongPrefixes: a last word longer than FTS5's prefix indexes is searched
// as the words that start with it, and finds exactly what FTS5's own prefix query finds, with
// other words too; the lookup is kept until the next write, so a word written since is found
// at once; a prefix of too many words, or not in ASCII, is left to FTS5.
func TestSearchWritesOutLongPrefixes(t *testing.T) {
	dbtest.SQLiteOnly(t)     // FTS5's prefixes
	f, _ := importFixture(t) // a store with a content generation, as the server's
	for _, title := range []string{"Cooperative banks", "Cooperatives in Fiji", "Cooperation with unions", "Cooper Island training", "Coopers and barrels", "Co-operative", "Café cooperatives"} {
		f.publish(t, f.create(t, f.editor, NewItem{Title: title, Body: "training"}), nil)
	}
	for i := range maxPrefixWords + 1 {
		f.publish(t, f.create(t, f.editor, NewItem{Title: fmt.Sprintf("Zebrafish%d", i)}), nil)
	}
	prepared := func(typed string) Query {
		t.Helper()
		q := Query{Q: typed, Sort: SortRelevance, Limit: 100}
		if err := f.store.prepareSearch(t.Context(), f.db, &q); err != nil {
			t.Fatal(err)
		}
		return q
	}
	// What FTS5 finds for the query as typed, asked directly.
	fts5 := func(typed string) []string {
		t.Helper()
		var titles []string
		err := f.db.Raw("SELECT i.title FROM items_fts JOIN items i ON i.seq = items_fts.rowid WHERE items_fts MATCH ? AND i.status = 'published' ORDER BY i.title", ftsQuery(typed)).Scan(&titles).Error
		if err != nil {
			t.Fatal(err)
		}
		return titles
	}
	check := func(typed, wantQuery string) {
		t.Helper()
		if q := prepared(typed); q.search != wantQuery {
			t.Errorf("%q: engine query %s, want %s", typed, q.search, wantQuery)
		}
		got := f.search(t, nil, "limit=100&q="+url.QueryEscape(typed))
		slices.Sort(got)
		if want := fts5(typed); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%q found %q; FTS5's prefix query %q", typed, got, want)
		}
	}
	check("cooper", `("cooper" OR "cooperation" OR "cooperative" OR "cooperatives" OR "coopers")`)
	check("training Coope", `"training" AND ("cooper" OR "cooperation" OR "cooperative" OR "cooperatives" OR "coopers")`)
	check("coop", `"coop"*`)                 // FTS5's prefix index has it
	check("coopé", `"coopé"*`)               // not ASCII: FTS5 folds it
	check("zebrafish", `"zebrafish"*`)       // too many words
	check("cooperatives ", `"cooperatives"`) // a whole word
	check("café cooper", `"café" "cooper"*`) // another word not in ASCII
	// Letters that FTS5's tokenizer does not index: a phrase of nothing, which FTS5 drops.
	check("\u19b0 training cooper", "\"\u19b0\" \"training\" \"cooper\"*")

	// A word written since the last lookup is found by the next search.
	f.publish(t, f.create(t, f.editor, NewItem{Title: "Cooperstown"}), nil)
	check("cooper", `("cooper" OR "cooperation" OR "cooperative" OR "cooperatives" OR "coopers" OR "cooperstown")`)
}

// TestRankPhrases: the phrases of an FTS5 query, in FTS5's order, as folio_bm25 numbers its
// counts: quoted words, a prefix's *, a doubled quote inside a phrase.
func TestRankPhrases(t *testing.T) {
	for query, want := range map[string][]string{
		`"cooperatives" "asia"*`:                 {`"cooperatives"`, `"asia"*`},
		`"training" AND ("cooper" OR "coopers")`: {`"training"`, `"cooper"`, `"coopers"`},
		`("a""b" OR "c")`:                        {`"a""b"`, `"c"`},
		``:                                       nil,
	} {
		if got := (sqliteDialect{}).rankPhrases(query); !slices.Equal(got, want) {
			t.Errorf("rankPhrases(%s) = %q, want %q", query, got, want)
		}
	}
}

// TestSearchIndexWithoutACopyOfTheTexts: migration 00012 builds the index again without
// FTS5's copy of the texts, from the items there are, and its Down builds the copying index
// back. At either version the same searches give the same items in the same order, and an edit
// takes the item's old words out of the index (a delete by rowid, which a contentless index
// allows only with contentless_delete).
func TestSearchIndexWithoutACopyOfTheTexts(t *testing.T) {
	dbtest.SQLiteOnly(t) // FTS5's tables
	f := searchFixture(t)
	ctx := t.Context()
	queries := []string{"q=cooperatives", "q=coop", "q=timor-leste&sort=-published_at", "q=training+dili", "q=pacific", "q=c-word&type=event"}
	searches := func() [][]string {
		var all [][]string
		for _, q := range queries {
			all = append(all, f.search(t, f.editor, q))
		}
		return all
	}
	want := searches()
	if len(want[0]) < 3 {
		t.Fatalf("the fixture has too few matches to compare: %q", want[0])
	}
	copies := func() bool {
		var n int
		f.db.Raw("SELECT count(*) FROM sqlite_schema WHERE name = 'items_fts_content'").Scan(&n)
		return n == 1
	}
	if copies() {
		t.Error("the search index keeps a copy of the texts")
	}
	p, err := database.Migrations(f.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 11); err != nil {
		t.Fatalf("DownTo(11) = %v", err)
	}
	if !copies() {
		t.Error("at version 11 the index has no copy of the texts")
	}
	if got := searches(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("at version 11, searches = %q, want %q", got, want)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("Up() = %v", err)
	}
	if got := searches(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("after 00012 again, searches = %q, want %q", got, want)
	}
	page, err := f.store.ListItems(ctx, nil, Query{Q: "timor", Sort: SortRelevance, Limit: 5})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("timor = %v, %v", page, err)
	}
	it := page.Items[0]
	title := "Coopératives au Vanuatu"
	if _, err := f.store.UpdateItem(ctx, f.editor, it.ID, v(it.Version), ItemPatch{Title: &title}); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := f.db.Raw(`SELECT count(*) FROM items_fts WHERE items_fts MATCH '"timor"'`).Scan(&n).Error; err != nil || n != 0 {
		t.Errorf("entries for timor after the edit = %d, %v; want none", n, err)
	}
	if got := f.search(t, nil, "q=vanuatu"); !slices.Equal(got, []string{title}) {
		t.Errorf("vanuatu after the edit = %q", got)
	}
}

// TestSearchInAnOrder: the pages of a public search in each order of its items, by cursor in
// both directions and by number with their total, hold every public match that passes the
// filters (not only the newest that relevance ranks), in the order of the same search read
// from the items, each with the relevance that the search by relevance gives it: read from the
// matches, walking the index of the order, and walking until a bound then from the matches.
func TestSearchInAnOrder(t *testing.T) {
	f := searchFixture(t)
	ctx := t.Context()
	summary := "cooperatives"
	for i := range 5 {
		in := NewItem{Title: fmt.Sprintf("Dated %d", i), Summary: &summary, Tags: []string{"cooperatives"}}
		if i%2 == 1 {
			in.Type = "article"
		}
		it := f.create(t, f.editor, in)
		when := f.clock.Now().Add(time.Duration(i%3-1) * time.Hour) // out of creation order
		if i == 4 {
			when = f.clock.Now().Add(time.Hour) // scheduled: not public yet
		}
		f.publish(t, it, &when)
		f.clock.Advance(time.Minute)
	}
	ranks := map[string]float64{}
	relevant, err := f.store.ListItems(ctx, nil, Query{Q: "cooperatives", Sort: SortRelevance, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range relevant.Items {
		ranks[it.ID] = *it.SearchRank
	}
	defer func(cost, rows, slack float64, floor int) {
		probeCost, probeCostRows, walkSlack, walkFloor = cost, rows, slack, floor
	}(probeCost, probeCostRows, walkSlack, walkFloor)
	for _, way := range []struct {
		name        string
		cost, slack float64
		floor       int
	}{{"from the matches", math.Inf(1), walkSlack, walkFloor}, {"walking the index", 0, walkSlack, walkFloor}, {"walking one item, then from the matches", 0, 0, 1},
		{"walking four items, then from the matches", 0, 0, 4}} {
		probeCost, probeCostRows, walkSlack, walkFloor = way.cost, way.cost, way.slack, way.floor
		for _, filter := range []Query{{}, {Types: []string{"news"}}, {Types: []string{"news", "article"}}, {Tags: []string{"cooperatives"}}, {Author: f.editor.UserID}} {
			for _, sort := range []string{"published_at", "title", "created_at", "updated_at"} {
				for _, desc := range []bool{true, false} {
					q := filter
					q.Q, q.Sort, q.Desc, q.Limit = "cooperatives", sort, desc, 2
					got := pagedTitles(t, f.store, nil, q)
					order := "ASC"
					if desc {
						order = "DESC"
					}
					var want []string
					ref := f.db.Table("items AS i").Select("i.title").
						Where("i.seq IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)", `"cooperatives"*`).
						Where(strings.ReplaceAll(publicSQL, "@now", "?"), f.clock.Now(), f.clock.Now())
					if dialectOf(f.db).searchIndex() != "items_fts" {
						ref = f.db.Table("items AS i").Select("i.title").
							Where("i.seq IN (SELECT seq FROM items_search WHERE doc @@ to_tsquery('folio', ?))", "cooperatives:*").
							Where(strings.ReplaceAll(publicSQL, "@now", "?"), f.clock.Now(), f.clock.Now())
					}
					if len(filter.Types) > 0 {
						ref = ref.Where("i.type IN ?", filter.Types)
					}
					if len(filter.Tags) > 0 {
						ref = ref.Where("EXISTS (SELECT 1 FROM item_tags x WHERE x.item_id = i.id AND x.tag IN ?)", filter.Tags)
					}
					if filter.Author != "" {
						ref = ref.Where("i.author_id = ?", filter.Author)
					}
					if err := ref.Order("i." + sort + " " + order + ", i.id " + order).Scan(&want).Error; err != nil {
						t.Fatal(err)
					}
					if len(want) < 3 || !slices.Equal(got, want) {
						t.Errorf("%s, %v %v %s, %s, desc %v: pages %q, want %q", way.name, filter.Types, filter.Tags, filter.Author, sort, desc, got, want)
					}
					// Every numbered page, each with the total, in the same order.
					var numbered []Item
					for q.Page = 1; q.Page <= (len(want)+q.Limit-1)/q.Limit; q.Page++ {
						page, err := f.store.ListItems(ctx, nil, q)
						if err != nil {
							t.Fatal(err)
						}
						if page.Total != int64(len(want)) {
							t.Errorf("%s, %v %v %s, %s, desc %v: page %d has total %d, want %d", way.name, filter.Types, filter.Tags, filter.Author, sort, desc, q.Page, page.Total, len(want))
						}
						numbered = append(numbered, page.Items...)
					}
					var titles []string
					for _, it := range numbered {
						titles = append(titles, it.Title)
					}
					if !slices.Equal(titles, want) {
						t.Errorf("%s, %v %v %s, %s, desc %v: numbered pages %q, want %q", way.name, filter.Types, filter.Tags, filter.Author, sort, desc, titles, want)
					}
					q.Page = 0
					first, err := f.store.ListItems(ctx, nil, q)
					if err != nil {
						t.Fatal(err)
					}
					for _, it := range append(first.Items, numbered...) {
						if it.SearchRank == nil || *it.SearchRank != ranks[it.ID] {
							t.Errorf("%s: %s: relevance %v by %s, %v by relevance", way.name, it.Title, it.SearchRank, sort, ranks[it.ID])
						}
					}
				}
			}
		}
	}
}

// TestNumberedPagesOfASearchWalk: a numbered page of a public search in an order of its items
// is walked when walking is judged the cheaper way, as a page after a cursor is (chooseWalk);
// TestSearchInAnOrder checks what a walked page holds.
func TestNumberedPagesOfASearchWalk(t *testing.T) {
	dbtest.SQLiteOnly(t) // the engine that counts a search's words
	f := searchFixture(t)
	defer func(cost, rows float64) { probeCost, probeCostRows = cost, rows }(probeCost, probeCostRows)
	probeCost, probeCostRows = 0, 0 // a lookup costs nothing: walking is the cheaper way
	for _, page := range []int{0, 1, 3} {
		for _, sort := range []string{"published_at", "title"} {
			q := Query{Q: "cooperatives", Sort: sort, Limit: 2, Page: page}
			if err := f.store.prepareSearch(t.Context(), f.db, &q); err != nil {
				t.Fatal(err)
			}
			if err := f.store.chooseWalk(t.Context(), f.db, &q, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			if !q.walk {
				t.Errorf("page %d by %s: read from the matches, want walked", page, sort)
			}
		}
	}
}

// TestSearchInAnOrderReadsThePagesItemsOnly: a public search by date reads the page's rows of
// items only: from the matches, cut to the page before any row is read; or walking the index
// of publication times in its order, which the page's end stops. So does the walk of a search
// in another order, and of a numbered page.
func TestSearchInAnOrderReadsThePagesItemsOnly(t *testing.T) {
	dbtest.SQLiteOnly(t) // a query plan of SQLite's
	f := searchFixture(t)
	now := f.clock.Now()
	after := &Cursor{Sort: "-published_at", Key: now.Format(time.RFC3339Nano), ID: "0193d5b4-0000-7000-8000-000000000000"}
	for _, q := range []Query{{Desc: true}, {Desc: true, Cursor: after}, {Page: 3}, {Types: []string{"news"}}, {Desc: true, walk: true}, {Desc: true, Cursor: after, Types: []string{"news"}, walk: true, walkBound: []any{now.Add(-time.Hour), after.ID}},
		{Sort: "title", walk: true}, {Sort: "updated_at", Desc: true, Types: []string{"news"}, walk: true, walkBound: []any{now.Add(-time.Hour), after.ID}},
		{Sort: "title", Page: 3, walk: true}} {
		q.Q, q.Limit = "cooperatives", 20
		if q.Sort == "" {
			q.Sort = "published_at"
		}
		text := searchPlan(t, f, q, now)
		read := strings.Index(text, "SEARCH i USING INTEGER PRIMARY KEY")
		if q.walk {
			// The walk in the index's order, each item looked up in the search index by its
			// seq; sorted once, the page's rows, after they are read.
			walked, probed, page := max(strings.Index(text, "SEARCH i USING INDEX "+orderIndex(q)), strings.Index(text, "SCAN i USING INDEX "+orderIndex(q))), strings.Index(text, "SCAN items_fts VIRTUAL TABLE INDEX 0:=M"), strings.Index(text, "SCAN m")
			if walked < 0 || probed < walked || page < probed || read < page || strings.Count(text, "USE TEMP B-TREE FOR ORDER BY") != 1 {
				t.Errorf("%+v: the walk is not read from %s in its order:\n%s", q, orderIndex(q), text)
			}
			continue
		}
		matched, sorted := strings.Index(text, "SEARCH i USING COVERING INDEX items_listed_seq"), strings.Index(text, "USE TEMP B-TREE FOR ORDER BY")
		if matched < 0 || sorted < matched || read < sorted {
			t.Errorf("%+v: items are read before the matches are cut to the page:\n%s", q, text)
		}
	}
}
