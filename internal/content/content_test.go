package content

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/auth"
	"github.com/foliocms/folio/internal/changes"
	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/database/dbtest"
	"github.com/foliocms/folio/internal/validation"
)

// clock is a test clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	db      *gorm.DB
	store   *Store
	clock   *clock
	editor  *Actor
	author  *Actor
	author2 *Actor
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureWith(t, database.Options{Path: dbtest.Location(t)})
}

// newFixtureWith is newFixture on the database that opts open.
func newFixtureWith(t testing.TB, opts database.Options) *fixture {
	t.Helper()
	db, err := database.Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	if _, err := database.Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, clock: &clock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}}
	f.store = NewStore(db, Options{Now: f.clock.Now})
	accounts := auth.NewStore(db, auth.Options{Keys: auth.NewKeys([]byte(strings.Repeat("k", 32))), Params: auth.Params{Memory: 64, Time: 1, Threads: 1}})
	for _, u := range []struct {
		dst  **Actor
		role auth.Role
	}{{&f.editor, auth.RoleEditor}, {&f.author, auth.RoleAuthor}, {&f.author2, auth.RoleAuthor}} {
		user, err := accounts.CreateUser(t.Context(), auth.NewUser{Email: fmt.Sprintf("%s%p@example.com", u.role, u.dst), Name: string(u.role), Role: u.role, Password: "password 123"})
		if err != nil {
			t.Fatal(err)
		}
		*u.dst = &Actor{UserID: user.ID, Role: u.role}
	}
	for _, tag := range []string{"cooperatives", "asia-and-the-pacific", "covid-19"} {
		if _, err := f.store.CreateTag(t.Context(), tag, tag, nil); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// v is the condition on one version.
func v(version int64) []int64 { return []int64{version} }

// create makes an item, failing the test otherwise.
func (f *fixture) create(t testing.TB, a *Actor, in NewItem) *Item {
	t.Helper()
	if in.Type == "" {
		in.Type = "news"
	}
	it, err := f.store.CreateItem(t.Context(), a, in)
	if err != nil {
		t.Fatalf("CreateItem(%q) = %v", in.Title, err)
	}
	return it
}

// publish publishes an item at when (nil: now), failing the test otherwise.
func (f *fixture) publish(t testing.TB, it *Item, when *time.Time) *Item {
	t.Helper()
	out, err := f.store.PublishItem(t.Context(), f.editor, it.ID, v(it.Version), when, Optional[time.Time]{})
	if err != nil {
		t.Fatalf("PublishItem(%q) = %v", it.Title, err)
	}
	return out
}

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Coopératives en Timor-Leste", "cooperatives-en-timor-leste"},
		{"ILO COOP 100 Webinar II - Advancing gender equality though cooperatives", "ilo-coop-100-webinar-ii-advancing-gender-equality-though-cooperatives"},
		{"Policy response to COVID-19 for SSE enterprises in the Republic of Korea", "policy-response-to-covid-19-for-sse-enterprises-in-the-republic-of-korea"},
		{"  --Hello,   World!--  ", "hello-world"},
		{"Straße & Œuvre", "strasse-oeuvre"},
		{"ＦＵＬＬ width", "full-width"},
		{"Zero\u200bwidth", "zero-width"},
		{"日本語のタイトル", ""},
		{"", ""},
		{strings.Repeat("word ", 40), strings.TrimSuffix(strings.Repeat("word-", 19), "-")},
	}
	for _, tt := range tests {
		got := Slugify(tt.in)
		if got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got != "" && !ValidSlug(got) {
			t.Errorf("Slugify(%q) = %q, which is not a valid slug", tt.in, got)
		}
	}
}

func TestRenderSanitizes(t *testing.T) {
	r := NewRenderer(DefaultRenderBudget)
	tests := []struct {
		name, md      string
		want, notWant []string
	}{
		{"markdown", "# Title\n\nSome *emphasis* and a [link](https://example.com).", []string{"<h1>Title</h1>", "<em>emphasis</em>", `href="https://example.com"`, `rel="nofollow noreferrer noopener"`, `target="_blank"`}, nil},
		{"relative link stays", "[page](/about)", []string{`href="/about"`}, []string{"_blank"}},
		{"raw script", "<script>alert(1)</script>", nil, []string{"<script"}},
		{"event handler", `<img src="x" onerror="alert(1)">`, nil, []string{"onerror"}},
		{"javascript link", "[x](javascript:alert(1))", nil, []string{"javascript:"}},
		{"mixed-case scheme", "[x](JaVaScRiPt:alert(1))", nil, []string{"avascript"}},
		{"entity-encoded scheme", "[x](javascript&colon;alert(1))", nil, []string{"javascript"}},
		{"tab in scheme", "[x](java&#9;script:alert(1))", nil, []string{"script:"}},
		{"data image", "![x](data:text/html,<script>alert(1)</script>)", nil, []string{"data:"}},
		{"autolink", "<javascript:alert(1)>", nil, []string{`href="javascript`}},
		{"reference definition", "[x][1]\n\n[1]: javascript:alert(1)", nil, []string{"javascript:"}},
		{"style", `<p style="color:red">x</p>`, nil, []string{"style"}},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := r.Render(tt.md)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("Render(%q) = %q, want it to contain %q", tt.md, out, w)
				}
			}
			for _, nw := range tt.notWant {
				if strings.Contains(strings.ToLower(out), strings.ToLower(nw)) {
					t.Errorf("Render(%q) = %q, must not contain %q", tt.md, out, nw)
				}
			}
		})
	}
}

func TestParseQuery(t *testing.T) {
	good := []struct {
		query    string
		signedIn bool
		check    func(Query) bool
	}{
		{"", false, func(q Query) bool { return q.Sort == "published_at" && q.Desc && q.Limit == 20 && q.Status == "" }},
		{"type=news,event&tag=cooperatives&tag_any=a,b&sort=title&limit=100", false, func(q Query) bool {
			return slices.Equal(q.Types, []string{"news", "event"}) && q.Sort == "title" && !q.Desc && q.Limit == 100 && len(q.TagsAny) == 2
		}},
		{"select=title,slug", false, func(q Query) bool { return slices.Equal(q.Select, []string{"id", "title", "slug"}) }},
		{"page=3&limit=10", false, func(q Query) bool { return q.Page == 3 }},
		{"status=any&trashed=true", true, func(q Query) bool { return q.Status == "any" && q.Trashed }},
		{"published_after=2020-01-01T00:00:00Z", false, func(q Query) bool { return q.PublishedAfter.Year() == 2020 }},
	}
	for _, tt := range good {
		v, _ := url.ParseQuery(tt.query)
		q, err := ParseQuery(v, tt.signedIn)
		if err != nil || !tt.check(q) {
			t.Errorf("ParseQuery(%q) = %+v, %v", tt.query, q, err)
		}
	}
	bad := []struct{ query, field string }{
		{"limit=0", "limit"}, {"limit=101", "limit"}, {"limit=-1", "limit"}, {"limit=ten", "limit"},
		{"page=0", "page"}, {"sort=author", "sort"}, {"sort=-", "sort"}, {"select=password_hash", "select"},
		{"filter=x", "filter"}, {"type=News", "type"}, {"author=me", "author"},
		{"published_after=yesterday", "published_after"}, {"cursor=nope", "cursor"},
		{"cursor=" + Cursor{Sort: "-published_at", Key: "x", ID: "y"}.Encode() + "&page=2", "cursor"},
		{"cursor=" + Cursor{Sort: "title", Key: "x", ID: "y"}.Encode(), "cursor"},
		{"q=" + strings.Repeat("x", 201), "q"}, {"status=deleted", "status"}, {"limit=1&limit=2", "limit"},
	}
	for _, tt := range bad {
		v, _ := url.ParseQuery(tt.query)
		_, err := ParseQuery(v, true)
		var verr *validation.Error
		if !errors.As(err, &verr) || !slices.ContainsFunc(verr.Fields, func(f validation.FieldError) bool { return f.Field == tt.field }) {
			t.Errorf("ParseQuery(%q) = %v, want an error about %s", tt.query, err, tt.field)
		}
	}
	for _, query := range []string{"status=draft", "trashed=true", "trashed=false"} {
		v, _ := url.ParseQuery(query)
		if _, err := ParseQuery(v, false); !errors.Is(err, ErrNeedsCredentials) {
			t.Errorf("ParseQuery(%q) anonymous = %v, want ErrNeedsCredentials", query, err)
		}
	}
}

// TestListQueriesUseIndexes asks SQLite how it would run the main list shapes and requires an
// index for each, with no sort step of its own. A list of several tags must test the others
// from the index it reads the first from, before it reads the candidate's row in items.
func TestListQueriesUseIndexes(t *testing.T) {
	dbtest.SQLiteOnly(t) // a query plan of SQLite's
	f := newFixture(t)
	now := f.clock.Now()
	cursor := &Cursor{Sort: "-published_at", Key: now.Format(time.RFC3339Nano), ID: "0193d5b4-0000-7000-8000-000000000000"}
	shapes := []struct {
		name  string
		q     Query
		index string
	}{
		{"public, newest first", Query{Sort: "published_at", Desc: true, Limit: 20}, "items_published"},
		{"public, next page", Query{Sort: "published_at", Desc: true, Limit: 20, Cursor: cursor}, "items_published"},
		{"public, one type", Query{Types: []string{"news"}, Sort: "published_at", Desc: true, Limit: 20}, "items_type_published"},
		{"public, tagged", Query{Tags: []string{"cooperatives", "asia-and-the-pacific"}, Sort: "published_at", Desc: true, Limit: 20}, "item_tags_published"},
		{"public, two tags, next page", Query{Tags: []string{"cooperatives", "covid-19"}, Sort: "published_at", Desc: true, Limit: 20, Cursor: cursor}, "item_tags_published"},
		{"public, tagged, next page", Query{Tags: []string{"cooperatives"}, Sort: "published_at", Desc: true, Limit: 20, Cursor: cursor}, "item_tags_published"},
		{"public, tagged, oldest first", Query{Tags: []string{"cooperatives"}, Types: []string{"news"}, Sort: "published_at", Limit: 20}, "item_tags_published"},
		{"public, any of two tags", Query{TagsAny: []string{"cooperatives", "covid-19"}, Sort: "published_at", Desc: true, Limit: 20}, "items_published"},
		{"public, any of two tags with few items", Query{TagsAny: []string{"cooperatives", "covid-19"}, Sort: "published_at", Desc: true, Limit: 20, fewAnyTags: true}, "item_tags_published"},
		{"public, any of two tags with few items, of a type, next page", Query{TagsAny: []string{"cooperatives", "covid-19"}, Types: []string{"news"}, Sort: "published_at", Desc: true, Limit: 20, Cursor: cursor, fewAnyTags: true}, "item_tags_published"},
		{"public, tagged, by title, a short page", Query{Tags: []string{"cooperatives"}, Sort: "title", Desc: true, Limit: 5}, "items_public_title"},
		{"public, any of two tags, of a type, recently updated", Query{TagsAny: []string{"cooperatives", "covid-19"}, Types: []string{"news"}, Sort: "updated_at", Desc: true, Limit: 20}, "items_type_updated"},
		{"public, tagged, by title, few items", Query{Tags: []string{"cooperatives"}, Sort: "title", Limit: 20, fewTagRows: true}, "item_tags_published"},
		{"public, two tags, recently updated, few items, next page", Query{Tags: []string{"covid-19", "cooperatives"}, Sort: "updated_at", Desc: true, Limit: 20, Cursor: &Cursor{Sort: "-updated_at", Key: cursor.Key, ID: cursor.ID}, fewTagRows: true}, "item_tags_published"},
		{"public, any of two tags, of a type, oldest created first, few items", Query{TagsAny: []string{"cooperatives", "covid-19"}, Types: []string{"news"}, Sort: "created_at", Limit: 20, fewTagRows: true}, "item_tags_published"},
		{"public, by author, newest first", Query{Author: "0193d5b4-0000-7000-8000-000000000001", Sort: "published_at", Desc: true, Limit: 20, Cursor: cursor}, "items_public_author"},
		{"public, by author, of a type, by title, few items", Query{Author: "0193d5b4-0000-7000-8000-000000000001", Types: []string{"news"}, Sort: "title", Limit: 5, fewByAuthor: true}, "items_public_author"},
		{"public, by author, by title", Query{Author: "0193d5b4-0000-7000-8000-000000000001", Sort: "title", Desc: true, Limit: 5}, "items_public_title"},
		{"public, by title", Query{Sort: "title", Limit: 20}, "items_public_title"},
		{"public, by title, next page back", Query{Sort: "title", Desc: true, Limit: 20, Cursor: &Cursor{Sort: "-title", Key: "M", ID: cursor.ID}}, "items_public_title"},
		{"public, newest created first", Query{Sort: "created_at", Desc: true, Limit: 20}, "items_public_created"},
		{"public, recently updated, next page", Query{Sort: "updated_at", Desc: true, Limit: 20, Cursor: &Cursor{Sort: "-updated_at", Key: cursor.Key, ID: cursor.ID}}, "items_public_updated"},
		{"public, one type, by title", Query{Types: []string{"news"}, Sort: "title", Limit: 20}, "items_type_title"},
		{"public, one type, oldest created first", Query{Types: []string{"news"}, Sort: "created_at", Limit: 20}, "items_type_created"},
		{"public, one type, recently updated", Query{Types: []string{"news"}, Sort: "updated_at", Desc: true, Limit: 20}, "items_type_updated"},
		{"editors, recently changed", Query{Status: "any", Sort: "updated_at", Desc: true, Limit: 20}, "items_updated"},
		{"editors, drafts newest first", Query{Status: "draft", Sort: "published_at", Desc: true, Limit: 20}, "items_recent"},
		{"editors, published newest first", Query{Status: "published", Sort: "published_at", Desc: true, Limit: 20}, "items_published"},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			text := queryPlan(t, f.db, func(tx *gorm.DB) *gorm.DB {
				q, err := f.store.listQuery(tx, f.editor, sh.q, now)
				if err != nil {
					t.Fatal(err)
				}
				return q.Find(&[]Item{})
			})
			if !strings.Contains(text, "USING INDEX "+sh.index) && !strings.Contains(text, "USING COVERING INDEX "+sh.index) {
				t.Errorf("plan does not use %s:\n%s", sh.index, text)
			}
			if strings.Contains(text, "SCAN i\n") || strings.HasSuffix(text, "SCAN i") {
				t.Errorf("plan scans the items table:\n%s", text)
			}
			if byAnyTag(sh.q) || byTagRows(sh.q) {
				// The tags' rows from the index alone, then sorted: few rows (fewAnyTagRows,
				// fewTagRows); each item's row is read once, by its id.
				if !strings.Contains(text, "SEARCH t USING COVERING INDEX item_tags_published (tag=?") {
					t.Errorf("the tags' rows are not read from their index alone:\n%s", text)
				}
				if byTagRows(sh.q) && !strings.Contains(text, "SEARCH i USING INDEX sqlite_autoindex_items_1 (id=?)") {
					t.Errorf("the items are not read by their ids:\n%s", text)
				}
				return
			}
			if byAuthor(sh.q) && sh.q.Sort != "published_at" {
				return // the author's few items, then sorted (fewAuthorItems)
			}
			if strings.Contains(text, "TEMP B-TREE FOR ORDER BY") {
				t.Errorf("plan sorts by itself instead of reading the index in order:\n%s", text)
			}
			if len(sh.q.Tags) > 1 {
				other, row := strings.Index(text, "SEARCH t USING COVERING INDEX item_tags_published"), strings.Index(text, "SEARCH i ")
				if other < 0 || row < 0 || other > row {
					t.Errorf("plan does not test the second tag from the index before reading the item:\n%s", text)
				}
			}
		})
	}
}

// TestDeriveSlugReadsOneRange: finding the free slug must read the slugs that start with the
// title's, not every slug of the type.
func TestDeriveSlugReadsOneRange(t *testing.T) {
	dbtest.SQLiteOnly(t) // a query plan of SQLite's
	f := newFixture(t)
	plan := queryPlan(t, f.db, func(tx *gorm.DB) *gorm.DB { return slugsFrom(tx, "news", "coops").Find(&[]Item{}) })
	if strings.Contains(plan, "\n") || !strings.Contains(plan, "(type=? AND slug>? AND slug<?)") {
		t.Errorf("plan = %s; want one range of the (type, slug) index", plan)
	}
}

// queryPlan is SQLite's plan of the query that build makes, a line per step: planned as the
// server runs it, its values bound rather than written into the SQL (SQLite plans without
// looking at bound values; see the database package).
func queryPlan(t *testing.T, db *gorm.DB, build func(tx *gorm.DB) *gorm.DB) string {
	t.Helper()
	stmt := build(db.Session(&gorm.Session{DryRun: true})).Statement
	sql := stmt.SQL.String()
	var plan []struct{ Detail string }
	if err := db.Raw("EXPLAIN QUERY PLAN "+sql, stmt.Vars...).Scan(&plan).Error; err != nil {
		t.Fatalf("explain %s: %v", sql, err)
	}
	lines := make([]string, len(plan))
	for i, p := range plan {
		lines[i] = p.Detail
	}
	return strings.Join(lines, "\n")
}

// pagedTitles follows q's cursor from page to page (100 pages at most) and returns the titles
// of the items in the order they came.
func pagedTitles(t *testing.T, s *Store, a *Actor, q Query) []string {
	t.Helper()
	var titles []string
	for range 100 {
		page, err := s.ListItems(t.Context(), a, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			titles = append(titles, it.Title)
		}
		if page.Next == nil {
			break
		}
		q.Cursor = page.Next
	}
	return titles
}

func TestModelsRoundTrip(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	summary := "s"
	it := Item{ID: "i1", Type: "news", Slug: "s", Title: "T", Summary: &summary, Body: "b", BodyHTML: "<p>b</p>", Fields: `{"a":1}`,
		Status: StatusPublished, PublishedAt: &now, UnpublishAt: &now, AuthorID: f.editor.UserID, Version: 2, CreatedAt: now, UpdatedAt: now, DeletedAt: &now, Tags: []string{}}
	if err := f.db.Omit("AuthorName").Create(&it).Error; err != nil {
		t.Fatal(err)
	}
	var got Item
	f.db.Omit("AuthorName", "SearchRank", "SearchSnippet").Take(&got, "id = ?", "i1")
	got.Tags = []string{}
	if diff := cmp.Diff(it, got); diff != "" {
		t.Errorf("item round trip (-wrote +read):\n%s", diff)
	}
	rev := Revision{ItemID: "i1", Version: 1, Snapshot: `{}`, AuthorID: f.editor.UserID, CreatedAt: now}
	f.db.Omit("AuthorName").Create(&rev)
	var rgot Revision
	f.db.Omit("AuthorName").Take(&rgot, "item_id = ?", "i1")
	if diff := cmp.Diff(rev, rgot); diff != "" {
		t.Errorf("revision round trip (-wrote +read):\n%s", diff)
	}
}

func TestCreateDerivesUniqueSlugs(t *testing.T) {
	f := newFixture(t)
	var slugs []string
	for range 3 {
		slugs = append(slugs, f.create(t, f.author, NewItem{Title: "Coopératives en Timor-Leste"}).Slug)
	}
	if !slices.Equal(slugs, []string{"cooperatives-en-timor-leste", "cooperatives-en-timor-leste-2", "cooperatives-en-timor-leste-3"}) {
		t.Errorf("slugs = %v", slugs)
	}
	// Another type has its own slugs.
	if s := f.create(t, f.author, NewItem{Type: "event", Title: "Coopératives en Timor-Leste"}).Slug; s != "cooperatives-en-timor-leste" {
		t.Errorf("slug in another type = %q", s)
	}
	// A trashed item keeps its slug.
	first, _ := f.store.FindBySlug(t.Context(), f.editor, "news", "cooperatives-en-timor-leste")
	if _, err := f.store.TrashItem(t.Context(), f.editor, first.ID, v(first.Version)); err != nil {
		t.Fatal(err)
	}
	if s := f.create(t, f.author, NewItem{Title: "Coopératives en Timor-Leste"}).Slug; s != "cooperatives-en-timor-leste-4" {
		t.Errorf("slug after trashing the first = %q, want -4", s)
	}
	taken := "cooperatives-en-timor-leste"
	if _, err := f.store.CreateItem(t.Context(), f.author, NewItem{Type: "news", Title: "x", Slug: &taken}); !errors.Is(err, ErrSlugTaken) {
		t.Errorf("explicit taken slug = %v, want ErrSlugTaken", err)
	}
	if s := f.create(t, f.author, NewItem{Title: "日本語"}).Slug; !strings.HasPrefix(s, "item-") || !ValidSlug(s) {
		t.Errorf("slug of a title with no ASCII = %q", s)
	}
}

// TestWritesAreAllOrNothing makes the revision insert fail (a trigger stands in for a full disk
// or a crash) and requires that neither the item nor its tags were stored.
func TestWritesAreAllOrNothing(t *testing.T) {
	f := newFixture(t)
	fail := `CREATE TRIGGER fail_revision BEFORE INSERT ON revisions WHEN NEW.snapshot LIKE '%doomed%'
	         BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`
	if dbtest.Postgres() {
		fail = `CREATE FUNCTION fail_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$;
		        CREATE TRIGGER fail_revision BEFORE INSERT ON revisions FOR EACH ROW WHEN (NEW.snapshot LIKE '%doomed%') EXECUTE FUNCTION fail_revision()`
	}
	if err := f.db.Exec(fail).Error; err != nil {
		t.Fatal(err)
	}
	_, err := f.store.CreateItem(t.Context(), f.author, NewItem{Type: "news", Title: "doomed", Tags: []string{"cooperatives"}})
	if err == nil {
		t.Fatal("CreateItem succeeded despite the failing revision")
	}
	for _, table := range []string{"items", "item_tags", "revisions"} {
		var n int64
		f.db.Table(table).Count(&n)
		if n != 0 {
			t.Errorf("%s has %d rows after a failed create", table, n)
		}
	}
	it := f.create(t, f.author, NewItem{Title: "fine", Tags: []string{"cooperatives"}})
	doomed := "doomed"
	if _, err := f.store.UpdateItem(t.Context(), f.author, it.ID, v(it.Version), ItemPatch{Title: &doomed, Tags: &[]string{"covid-19"}}); err == nil {
		t.Fatal("UpdateItem succeeded despite the failing revision")
	}
	after, _ := f.store.FindItem(t.Context(), f.author, it.ID)
	if after.Title != "fine" || after.Version != 1 || !slices.Equal(after.Tags, []string{"cooperatives"}) {
		t.Errorf("after a failed update: %q v%d %v, want it unchanged", after.Title, after.Version, after.Tags)
	}
}

func TestSchedulingFollowsTheClock(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	now := f.clock.Now()
	at := now.Add(time.Hour)
	it := f.publish(t, f.create(t, f.author, NewItem{Title: "Scheduled"}), &at)
	visible := func() bool {
		_, err := f.store.FindItem(ctx, nil, it.ID)
		page, _ := f.store.ListItems(ctx, nil, Query{Sort: "published_at", Desc: true, Limit: 10})
		listed := len(page.Items) == 1
		if (err == nil) != listed {
			t.Fatalf("by id %v but listed %v", err == nil, listed)
		}
		return listed
	}
	if visible() {
		t.Error("a scheduled item is public before its time")
	}
	if next, _ := f.store.NextChange(ctx); next == nil || !next.Equal(at) {
		t.Errorf("NextChange = %v, want %v", next, at)
	}
	f.clock.Advance(time.Hour)
	if !visible() {
		t.Error("a scheduled item is not public at its time")
	}
	// unpublish_at hides it again, with nothing running.
	end := f.clock.Now().Add(30 * time.Minute)
	it, err := f.store.UpdateItem(ctx, f.editor, it.ID, v(it.Version), ItemPatch{UnpublishAt: Optional[time.Time]{Set: true, Value: end}})
	if err != nil {
		t.Fatal(err)
	}
	if next, _ := f.store.NextChange(ctx); next == nil || !next.Equal(end) {
		t.Errorf("NextChange = %v, want the unpublish_at %v", next, end)
	}
	f.clock.Advance(30 * time.Minute)
	if visible() {
		t.Error("an item is public after its unpublish_at")
	}
	// An unpublish_at before published_at is refused.
	past := f.clock.Now().Add(-time.Hour)
	_, err = f.store.PublishItem(ctx, f.editor, it.ID, v(it.Version), nil, Optional[time.Time]{Set: true, Value: past})
	var verr *validation.Error
	if !errors.As(err, &verr) || verr.Fields[0].Field != "unpublish_at" {
		t.Errorf("publish with unpublish_at before published_at = %v", err)
	}
}

func TestRoles(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	draft := f.create(t, f.author, NewItem{Title: "Author's draft"})
	published := f.publish(t, f.create(t, f.author, NewItem{Title: "Author's published"}), nil)
	title := "changed"
	patch := ItemPatch{Title: &title}
	tests := []struct {
		name string
		a    *Actor
		do   func(*Actor, *Item) error
		item *Item
		want error
	}{
		{"anonymous reads a draft", nil, read(f), draft, ErrNotFound},
		{"another author reads a draft", f.author2, read(f), draft, ErrNotFound},
		{"the author reads her draft", f.author, read(f), draft, nil},
		{"an editor reads a draft", f.editor, read(f), draft, nil},
		{"anonymous reads a published item", nil, read(f), published, nil},
		{"another author edits a draft", f.author2, update(f, patch), draft, ErrNotFound},
		{"another author edits a published item", f.author2, update(f, patch), published, ErrForbidden},
		{"the author edits her published item", f.author, update(f, patch), published, ErrForbidden},
		{"the author publishes", f.author, publishAs(f), draft, ErrForbidden},
		{"the author trashes her published item", f.author, trash(f), published, ErrForbidden},
		{"another author reads revisions", f.author2, revisions(f), published, ErrForbidden},
		{"the author reads her revisions", f.author, revisions(f), draft, nil},
		{"the author edits her draft", f.author, update(f, patch), draft, nil},
		{"an editor edits a published item", f.editor, update(f, patch), published, nil},
		{"an editor publishes", f.editor, publishAs(f), draft, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, _ := f.store.FindItem(ctx, f.editor, tt.item.ID)
			if err := tt.do(tt.a, cur); !errors.Is(err, tt.want) {
				t.Errorf("= %v, want %v", err, tt.want)
			}
		})
	}
}

func read(f *fixture) func(*Actor, *Item) error {
	return func(a *Actor, it *Item) error { _, err := f.store.FindItem(context.Background(), a, it.ID); return err }
}

func update(f *fixture, p ItemPatch) func(*Actor, *Item) error {
	return func(a *Actor, it *Item) error {
		_, err := f.store.UpdateItem(context.Background(), a, it.ID, v(it.Version), p)
		return err
	}
}

func publishAs(f *fixture) func(*Actor, *Item) error {
	return func(a *Actor, it *Item) error {
		_, err := f.store.PublishItem(context.Background(), a, it.ID, v(it.Version), nil, Optional[time.Time]{})
		return err
	}
}

func trash(f *fixture) func(*Actor, *Item) error {
	return func(a *Actor, it *Item) error {
		_, err := f.store.TrashItem(context.Background(), a, it.ID, v(it.Version))
		return err
	}
}

func revisions(f *fixture) func(*Actor, *Item) error {
	return func(a *Actor, it *Item) error {
		_, _, err := f.store.Revisions(context.Background(), a, it.ID, 10, 0)
		return err
	}
}

// TestConcurrentUpdatesWithOneVersion: 20 writers send the same version at once; exactly one
// wins, the others are told the item changed.
func TestConcurrentUpdatesWithOneVersion(t *testing.T) {
	f := newFixture(t)
	it := f.create(t, f.editor, NewItem{Title: "Contended"})
	var wg sync.WaitGroup
	results := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			title := fmt.Sprintf("writer %d", i)
			_, err := f.store.UpdateItem(context.Background(), f.editor, it.ID, v(it.Version), ItemPatch{Title: &title})
			results <- err
		})
	}
	wg.Wait()
	close(results)
	won, stale := 0, 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case errors.Is(err, ErrStale):
			stale++
		default:
			t.Errorf("update = %v", err)
		}
	}
	if won != 1 || stale != 19 {
		t.Errorf("%d won, %d stale; want 1 and 19", won, stale)
	}
}

// TestCounterWithRetries: 10 clients each add 1 to a number in fields, ten times, retrying on
// a stale version; no increment may be lost.
func TestCounterWithRetries(t *testing.T) {
	f := newFixture(t)
	min0 := 0.0
	if _, err := f.store.CreateType(t.Context(), "counter", TypeInput{Name: "Counter", Fields: []FieldDef{{Name: "n", Kind: KindInteger, Min: &min0}}}); err != nil {
		t.Fatal(err)
	}
	it := f.create(t, f.editor, NewItem{Type: "counter", Title: "Counter", Fields: json.RawMessage(`{"n": 0}`)})
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 10 {
				for {
					cur, err := f.store.FindItem(context.Background(), f.editor, it.ID)
					if err != nil {
						t.Error(err)
						return
					}
					var fields struct{ N int }
					json.Unmarshal([]byte(cur.Fields), &fields)
					patch := json.RawMessage(fmt.Sprintf(`{"n": %d}`, fields.N+1))
					_, err = f.store.UpdateItem(context.Background(), f.editor, it.ID, v(cur.Version), ItemPatch{Fields: patch})
					if errors.Is(err, ErrStale) {
						continue
					}
					if err != nil {
						t.Error(err)
					}
					break
				}
			}
		})
	}
	wg.Wait()
	final, _ := f.store.FindItem(t.Context(), f.editor, it.ID)
	if final.Fields != `{"n":100}` || final.Version != 101 {
		t.Errorf("fields = %s at version %d, want n 100 at version 101", final.Fields, final.Version)
	}
}

// TestCursorWalkWhilePublishing walks all public items by cursor while other goroutines
// publish new ones: every item present at the start is seen exactly once.
func TestCursorWalkWhilePublishing(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	var before []string
	for i := range 45 {
		at := f.clock.Now().Add(-time.Duration(i%7) * time.Hour) // shared timestamps: the id breaks ties
		before = append(before, f.publish(t, f.create(t, f.editor, NewItem{Title: fmt.Sprintf("Item %d", i)}), &at).ID)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				it, err := f.store.CreateItem(ctx, f.editor, NewItem{Type: "news", Title: fmt.Sprintf("New %d-%d", w, i)})
				if err == nil {
					f.store.PublishItem(ctx, f.editor, it.ID, v(it.Version), nil, Optional[time.Time]{})
				}
			}
		})
	}
	seen := map[string]int{}
	q := Query{Sort: "published_at", Desc: true, Limit: 4}
	for pages := 0; ; pages++ {
		page, err := f.store.ListItems(ctx, nil, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			seen[it.ID]++
		}
		if page.Next == nil || pages > 100 {
			break
		}
		q.Cursor = page.Next
	}
	close(stop)
	wg.Wait()
	for _, id := range before {
		if seen[id] != 1 {
			t.Errorf("item %s seen %d times, want once", id, seen[id])
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("item %s seen %d times", id, n)
		}
	}
}

func TestRevisionsAndRestore(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	it := f.create(t, f.author, NewItem{Title: "First title", Body: "one", Tags: []string{"cooperatives"}})
	second := "Second title"
	it, _ = f.store.UpdateItem(ctx, f.author, it.ID, v(it.Version), ItemPatch{Title: &second, Tags: &[]string{"covid-19"}})
	it = f.publish(t, it, nil)
	revs, more, err := f.store.Revisions(ctx, f.author, it.ID, 10, 0)
	if err != nil || more || len(revs) != 3 || revs[0].Version != 3 || revs[2].AuthorID != f.author.UserID {
		t.Fatalf("Revisions = %d (more %v), %v", len(revs), more, err)
	}
	// Restoring version 1 brings back its content, not its status.
	restored, err := f.store.RestoreRevision(ctx, f.editor, it.ID, 1, v(it.Version))
	if err != nil {
		t.Fatal(err)
	}
	if restored.Title != "First title" || !slices.Equal(restored.Tags, []string{"cooperatives"}) || restored.Status != StatusPublished || restored.Version != 4 {
		t.Errorf("restored = %q %v %s v%d", restored.Title, restored.Tags, restored.Status, restored.Version)
	}
	if _, err := f.store.RestoreRevision(ctx, f.editor, it.ID, 99, v(restored.Version)); !errors.Is(err, ErrNotFound) {
		t.Errorf("restore of a missing version = %v", err)
	}
}

func TestTrashAndRestore(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	it := f.publish(t, f.create(t, f.author, NewItem{Title: "Trash me"}), nil)
	trashed, err := f.store.TrashItem(ctx, f.editor, it.ID, v(it.Version))
	if err != nil || trashed.DeletedAt == nil {
		t.Fatalf("TrashItem = %v", err)
	}
	if _, err := f.store.FindItem(ctx, nil, it.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("public read of a trashed item = %v", err)
	}
	if page, _ := f.store.ListItems(ctx, f.editor, Query{Trashed: true, Sort: "updated_at", Desc: true, Limit: 10}); len(page.Items) != 1 {
		t.Errorf("trash lists %d items", len(page.Items))
	}
	if page, _ := f.store.ListItems(ctx, f.editor, Query{Status: "any", Sort: "updated_at", Desc: true, Limit: 10}); len(page.Items) != 0 {
		t.Errorf("status=any lists %d trashed items, want none", len(page.Items))
	}
	if _, err := f.store.TrashItem(ctx, f.editor, it.ID, v(trashed.Version)); !errors.Is(err, ErrInTrash) {
		t.Errorf("trashing twice = %v", err)
	}
	back, err := f.store.RestoreItem(ctx, f.editor, it.ID, v(trashed.Version))
	if err != nil || back.DeletedAt != nil || back.Version != trashed.Version+1 {
		t.Fatalf("RestoreItem = %v", err)
	}
	if _, err := f.store.FindItem(ctx, nil, it.ID); err != nil {
		t.Errorf("a restored published item is not public again: %v", err)
	}
}

// TestSlowBodiesAreRefused: a body that would take longer than the budget to render is refused
// with an error about the body, and deep quotes are refused without rendering at all.
func TestSlowBodiesAreRefused(t *testing.T) {
	f := newFixture(t)
	slow := NewStore(f.db, Options{Now: f.clock.Now, RenderBudget: 50 * time.Millisecond})
	for name, body := range map[string]string{
		"unclosed links": strings.Repeat("[a](http://x/", 64<<10/13),
		"deep quotes":    strings.Repeat("> ", 40) + "x",
	} {
		start := time.Now()
		_, err := slow.CreateItem(t.Context(), f.editor, NewItem{Type: "news", Title: name, Body: body})
		var verr *validation.Error
		if !errors.As(err, &verr) || verr.Fields[0].Field != "body" {
			t.Errorf("%s: CreateItem = %v, want a problem with body", name, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: refusing took %v", name, d)
		}
	}
}

// TestTagListsFollowEveryWrite: lists by tag are read from the copies beside each tag of the
// item's type, unpublish_at, and published_at while it is listed (migrations 00007 and 00008).
// After every kind of write the copies must equal the item's, and lists by one tag, by a tag and
// a type, by two tags (in either order) and by any of several tags (byAnyTag: pages of 3 whose
// tags' items overlap, a tag no item has), in every order (byTagRows in those other than
// publication), must show what the same lists read from the items show, the same as when they
// are read the other way, and the same by numbered pages.
func TestTagListsFollowEveryWrite(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	tag, other := "cooperatives", "asia-and-the-pacific"
	var items []*Item
	for i := range 8 {
		in := NewItem{Title: fmt.Sprintf("Item %d", i), Tags: []string{tag}}
		if i%2 == 0 {
			in.Tags = append(in.Tags, other)
		}
		if i%3 == 0 {
			in.Type = "article"
		}
		it := f.create(t, f.editor, in)
		items = append(items, f.publish(t, it, nil))
		f.clock.Advance(time.Minute)
	}
	after := *items[2].PublishedAt
	check := func(step string) {
		t.Helper()
		var stale int64
		err := f.db.Raw(`SELECT count(*) FROM item_tags x JOIN items i ON i.id = x.item_id
			WHERE x.type IS DISTINCT FROM i.type OR x.unpublish_at IS DISTINCT FROM i.unpublish_at
			   OR x.published_at IS DISTINCT FROM (CASE WHEN i.status = 'published' AND i.deleted_at IS NULL THEN i.published_at END)`).
			Scan(&stale).Error
		if err != nil {
			t.Fatal(err)
		}
		if stale > 0 {
			t.Errorf("%s: %d tag rows have other copies than their item's", step, stale)
		}
		for _, filter := range []struct {
			tags, any []string
			types     []string
			after     *time.Time
		}{
			{tags: []string{tag}},
			{tags: []string{tag}, types: []string{"article"}},
			{tags: []string{tag, other}},
			{tags: []string{other, tag}},
			{any: []string{other, tag}},
			{any: []string{other, "no-such-tag"}, types: []string{"article"}},
			{any: []string{tag, other}, types: []string{"article", "event"}},
			{any: []string{tag, other}, after: &after},
			{any: []string{"no-such-tag"}},
		} {
			for _, sort := range []string{"published_at", "title", "created_at", "updated_at"} {
				for _, desc := range []bool{true, false} {
					q := Query{Tags: filter.tags, TagsAny: filter.any, Types: filter.types, PublishedAfter: filter.after, Sort: sort, Desc: desc, Limit: 3}
					got := pagedTitles(t, f.store, nil, q)
					// The same list read the other way: all published items (in the index of the
					// list's order, when it is not by publication), testing their tags.
					few, fewRows := fewAnyTagRows, fewTagRows
					fewAnyTagRows, fewTagRows = -1, -1
					if other := pagedTitles(t, f.store, nil, q); !slices.Equal(other, got) {
						t.Errorf("%s (%v, any %v, %v, %s, desc %v): from the tags' rows %v, from the published items %v", step, filter.tags, filter.any, filter.types, sort, desc, got, other)
					}
					fewAnyTagRows, fewTagRows = few, fewRows
					// And by numbered pages, with their total.
					numbered := q
					numbered.Page = 2
					page, err := f.store.ListItems(ctx, nil, numbered)
					if err != nil {
						t.Fatal(err)
					}
					if page.Total != int64(len(got)) || len(got) > 3 && (len(page.Items) == 0 || page.Items[0].Title != got[3]) {
						t.Errorf("%s (%v, any %v, %v, %s, desc %v): page 2 of %d starts %v, want %d from %v", step, filter.tags, filter.any, filter.types, sort, desc, page.Total, page.Items, len(got), got)
					}
					var want []string
					order := "i." + sort + " DESC, i.id DESC"
					if !desc {
						order = "i." + sort + ", i.id"
					}
					query := f.db.Table("items AS i").Select("i.title").Where(strings.ReplaceAll(publicSQL, "@now", "?"), f.clock.Now(), f.clock.Now())
					for _, tg := range filter.tags {
						query = query.Where("EXISTS (SELECT 1 FROM item_tags x WHERE x.item_id = i.id AND x.tag = ?)", tg)
					}
					if len(filter.any) > 0 {
						query = query.Where("EXISTS (SELECT 1 FROM item_tags x WHERE x.item_id = i.id AND x.tag IN ?)", filter.any)
					}
					if len(filter.types) > 0 {
						query = query.Where("i.type IN ?", filter.types)
					}
					if filter.after != nil {
						query = query.Where("i.published_at > ?", *filter.after)
					}
					if err := query.Order(order).Scan(&want).Error; err != nil {
						t.Fatal(err)
					}
					if strings.Join(got, ",") != strings.Join(want, ",") {
						t.Errorf("%s (%v, any %v, %v, %s, desc %v): by tag %v, from the items %v", step, filter.tags, filter.any, filter.types, sort, desc, got, want)
					}
				}
			}
		}
	}
	check("created and published")

	later := f.clock.Now().Add(time.Hour)
	if _, err := f.store.PublishItem(ctx, f.editor, items[0].ID, v(items[0].Version), &later, Optional[time.Time]{}); err != nil {
		t.Fatal(err)
	}
	check("rescheduled into the future")
	if _, err := f.store.UnpublishItem(ctx, f.editor, items[1].ID, v(items[1].Version)); err != nil {
		t.Fatal(err)
	}
	check("unpublished")
	trashed, err := f.store.TrashItem(ctx, f.editor, items[2].ID, v(items[2].Version))
	if err != nil {
		t.Fatal(err)
	}
	check("trashed")
	if _, err := f.store.RestoreItem(ctx, f.editor, items[2].ID, v(trashed.Version)); err != nil {
		t.Fatal(err)
	}
	check("restored")
	untagged, err := f.store.UpdateItem(ctx, f.editor, items[3].ID, v(items[3].Version), ItemPatch{Tags: &[]string{}})
	if err != nil {
		t.Fatal(err)
	}
	check("tags removed")
	if _, err := f.store.UpdateItem(ctx, f.editor, items[3].ID, v(untagged.Version), ItemPatch{Tags: &[]string{other, tag}}); err != nil {
		t.Fatal(err)
	}
	check("tags added back")
	back, err := f.store.RestoreRevision(ctx, f.editor, items[4].ID, 1, v(items[4].Version))
	if err != nil {
		t.Fatal(err)
	}
	check("revision 1 (a draft) restored")
	if _, err := f.store.PublishItem(ctx, f.editor, items[4].ID, v(back.Version), nil, Optional[time.Time]{}); err != nil {
		t.Fatal(err)
	}
	soon := f.clock.Now().Add(30 * time.Minute)
	expiring, err := f.store.UpdateItem(ctx, f.editor, items[5].ID, v(items[5].Version), ItemPatch{UnpublishAt: Optional[time.Time]{Set: true, Value: soon}})
	if err != nil {
		t.Fatal(err)
	}
	check("republished; another to be unpublished in half an hour")
	f.clock.Advance(2 * time.Hour) // the rescheduled item is public now, the expiring one no more
	check("the scheduled times reached")
	if _, err := f.store.UpdateItem(ctx, f.editor, items[5].ID, v(expiring.Version), ItemPatch{UnpublishAt: Optional[time.Time]{Set: true, Null: true}}); err != nil {
		t.Fatal(err)
	}
	check("unpublish_at taken away")
	if _, err := f.store.UpdateTag(ctx, tag, nil, TagInput{Slug: ptr("co-ops")}); err != nil {
		t.Fatal(err)
	}
	tag = "co-ops"
	check("tag renamed")
}

// TestAuthorListsInEveryOrder: a public list by author is read from the author's public items
// (items_public_author), by publication time always and in the other orders when the author
// has few, or else from the index of its order. Both ways, in every order and direction, by
// cursor and by numbered page, it must show what the same list read from the items shows.
func TestAuthorListsInEveryOrder(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	for i := range 12 {
		a := f.editor
		if i%3 == 0 {
			a = f.author
		}
		in := NewItem{Title: fmt.Sprintf("Item %d", (i*5)%9)}
		if i%2 == 1 {
			in.Type = "article"
		}
		it := f.create(t, a, in)
		switch i {
		case 7: // stays a draft
		case 8:
			later := f.clock.Now().Add(time.Hour) // scheduled
			f.publish(t, it, &later)
		case 4:
			it = f.publish(t, it, nil)
			if _, err := f.store.TrashItem(ctx, f.editor, it.ID, v(it.Version)); err != nil {
				t.Fatal(err)
			}
		default:
			when := f.clock.Now().Add(-time.Duration(i%4) * time.Hour) // out of creation order
			f.publish(t, it, &when)
		}
		f.clock.Advance(time.Minute)
	}
	defer func(scale float64) { fewAuthorScale = scale }(fewAuthorScale)
	for _, scale := range []float64{math.Inf(1), 0} {
		fewAuthorScale = scale
		for _, author := range []string{f.editor.UserID, f.author.UserID} {
			for _, types := range [][]string{nil, {"news"}} {
				for _, sort := range []string{"published_at", "title", "created_at", "updated_at"} {
					for _, desc := range []bool{true, false} {
						q := Query{Author: author, Types: types, Sort: sort, Desc: desc, Limit: 2}
						got := pagedTitles(t, f.store, nil, q)
						order := "i." + sort + " ASC, i.id ASC"
						if desc {
							order = "i." + sort + " DESC, i.id DESC"
						}
						var want []string
						ref := f.db.Table("items AS i").Select("i.title").Where("i.author_id = ?", author).
							Where(strings.ReplaceAll(publicSQL, "@now", "?"), f.clock.Now(), f.clock.Now())
						if len(types) > 0 {
							ref = ref.Where("i.type IN ?", types)
						}
						if err := ref.Order(order).Scan(&want).Error; err != nil {
							t.Fatal(err)
						}
						if len(want) < 2 || !slices.Equal(got, want) {
							t.Errorf("scale %v, author %s, %v, %s, desc %v: pages %q, want %q", scale, author, types, sort, desc, got, want)
						}
						q.Page = 2
						page, err := f.store.ListItems(ctx, nil, q)
						if err != nil {
							t.Fatal(err)
						}
						if page.Total != int64(len(want)) || len(want) > 2 && (len(page.Items) == 0 || page.Items[0].Title != want[2]) {
							t.Errorf("scale %v, author %s, %v, %s, desc %v: page 2 of %d starts %v, want %d from %q", scale, author, types, sort, desc, page.Total, page.Items, len(want), want)
						}
					}
				}
			}
		}
	}
}

// TestNextChangeIsKeptUntilAWriteOrItsTime: NextChange's answer is reused while nothing is
// written and its time has not come, and recomputed after either.
func TestNextChangeIsKeptUntilAWriteOrItsTime(t *testing.T) {
	f, gen := importFixture(t)
	ctx := t.Context()
	next := func() *time.Time {
		t.Helper()
		at, err := f.store.NextChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	if at := next(); at != nil {
		t.Fatalf("NextChange with nothing scheduled = %v", at)
	}
	in := f.clock.Now().Add(time.Hour)
	it := f.create(t, f.editor, NewItem{Title: "Scheduled"})
	if _, err := f.store.PublishItem(ctx, f.editor, it.ID, v(it.Version), &in, Optional[time.Time]{}); err != nil {
		t.Fatal(err)
	}
	if at := next(); at == nil || !at.Equal(in) {
		t.Fatalf("after scheduling, NextChange = %v, want %v (a write must end the kept answer)", at, in)
	}
	// Kept: a row changed behind the store's back (no generation raised) is not seen...
	f.db.Exec("UPDATE items SET published_at = ? WHERE id = ?", in.Add(time.Minute), it.ID)
	if at := next(); !at.Equal(in) {
		t.Errorf("NextChange = %v, want the kept %v", at, in)
	}
	// ...until its time has come, or the generation moves.
	f.clock.Advance(time.Hour)
	if at := next(); at == nil || !at.Equal(in.Add(time.Minute)) {
		t.Errorf("at the kept time, NextChange = %v, want it read again: %v", at, in.Add(time.Minute))
	}
	f.db.Exec("UPDATE items SET published_at = ? WHERE id = ?", in.Add(2*time.Minute), it.ID)
	// As after a write by this process: the stored generation is raised, and then this process's.
	var n int64
	if err := f.db.Transaction(func(tx *gorm.DB) (err error) { n, err = changes.Record(tx); return err }); err != nil {
		t.Fatal(err)
	}
	gen.Committed(n)
	if at := next(); at == nil || !at.Equal(in.Add(2*time.Minute)) {
		t.Errorf("after the generation moved, NextChange = %v, want %v", at, in.Add(2*time.Minute))
	}
}

// TestCreateAnswersWhatIsStored: the item CreateItem returns, built from what it wrote, is the
// item as read back from the database, to the byte: every kind of property, a derived and a
// given slug, tags in their order, fields with a datetime (stored in UTC) and Markdown.
func TestCreateAnswersWhatIsStored(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	if _, err := f.store.CreateType(ctx, "memo", TypeInput{Name: "Memo", Fields: []FieldDef{{Name: "text", Kind: KindMarkdown}, {Name: "due", Kind: KindDatetime}}}); err != nil {
		t.Fatal(err)
	}
	summary, slug := "In Dili and Suva", "given-slug"
	unpublish := time.Date(2027, 1, 2, 3, 4, 5, 678901000, time.FixedZone("", 3600))
	for _, in := range []NewItem{
		{Title: "Coopératives en Timor-Leste"},
		{Title: "Coopératives en Timor-Leste", Summary: &summary, Body: "# Training\n\n*Young* people.", Tags: []string{"covid-19", "cooperatives"}, UnpublishAt: &unpublish},
		{Title: "A slug of its own", Slug: &slug},
		{Type: "event", Title: "Webinar", Fields: json.RawMessage(`{"starts_at":"2020-07-03T10:00:00+02:00","location":"Suva","online":true}`)},
		{Type: "memo", Title: "Memo", Fields: json.RawMessage(`{"text":"**hi** there","due":"2026-06-01T09:30:00-05:00"}`)},
	} {
		for _, a := range []*Actor{f.editor, f.author} {
			if in.Slug != nil {
				own := slug + "-" + string(a.Role)
				in.Slug = &own
			}
			created := f.create(t, a, in)
			stored, err := f.store.FindItem(ctx, a, created.ID)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(created)
			want, _ := json.Marshal(stored)
			if string(got) != string(want) || created.Seq != stored.Seq || created.Seq == 0 {
				t.Errorf("CreateItem(%q) answered\n%s (seq %d)\nand the database has\n%s (seq %d)", in.Title, got, created.Seq, want, stored.Seq)
			}
		}
	}
}

// TestReadsKeepTagOrder: an item's tags come back in the order they were given, by every read
// of the item, and an item without tags has an empty list rather than none.
func TestReadsKeepTagOrder(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	tagged := f.publish(t, f.create(t, f.editor, NewItem{Title: "Tagged", Tags: []string{"covid-19", "cooperatives"}}), nil)
	bare := f.publish(t, f.create(t, f.editor, NewItem{Title: "Bare"}), nil)
	want := map[string][]string{tagged.ID: {"covid-19", "cooperatives"}, bare.ID: {}}
	check := func(how string, items ...Item) {
		t.Helper()
		for _, it := range items {
			if w, ok := want[it.ID]; ok && (it.Tags == nil || !slices.Equal(it.Tags, w)) {
				t.Errorf("%s: %q has tags %#v, want %#v", how, it.Title, it.Tags, w)
			}
		}
	}
	for _, it := range []*Item{tagged, bare} {
		byID, err := f.store.FindItem(ctx, nil, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		bySlug, err := f.store.FindBySlug(ctx, nil, it.Type, it.Slug)
		if err != nil {
			t.Fatal(err)
		}
		check("FindItem", *byID)
		check("FindBySlug", *bySlug)
	}
	for _, q := range []Query{
		{Sort: "published_at", Desc: true, Limit: 20},
		{Sort: "published_at", Desc: true, Limit: 20, Select: []string{"id", "tags"}},
		{Tags: []string{"cooperatives"}, Sort: "published_at", Desc: true, Limit: 20},
		{Sort: "title", Limit: 20, Page: 1},
	} {
		page, err := f.store.ListItems(ctx, nil, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) == 0 {
			t.Fatalf("ListItems(%+v) found nothing", q)
		}
		check(fmt.Sprintf("ListItems(%+v)", q), page.Items...)
	}
}

// TestItemTagsAreReadFromTheirIndex: the tags of items, in their order, are read from the index
// item_tags_in_order alone (migration 00014) wherever they are read: a page's tags or their
// names, in the index's order with no sort; an item's tags read with it, and an item's tag
// names written to the search index, whose aggregates still sort their few rows themselves.
// Through the primary key's index, each tag's row was read again for its position.
func TestItemTagsAreReadFromTheirIndex(t *testing.T) {
	dbtest.SQLiteOnly(t) // a query plan of SQLite's
	f := newFixture(t)
	ids := []string{"0193d5b4-0000-7000-8000-000000000001", "0193d5b4-0000-7000-8000-000000000002"}
	for name, q := range map[string]struct {
		sql    string
		arg    any
		sorted bool // in the index's order: no sort at all
	}{
		"a page's tags":              {itemTagsSQL, ids, true},
		"a page's tag names":         {itemTagNamesSQL, ids, true},
		"an item's tags":             {"SELECT i.id, " + f.store.d.tagListSQL() + " FROM items AS i WHERE i.id = ?", ids[0], false},
		"an item's search index row": {f.store.d.indexItemsSQL() + "i.id IN ?", ids, false},
	} {
		text := queryPlan(t, f.db, func(tx *gorm.DB) *gorm.DB { return tx.Raw(q.sql, q.arg) })
		if !strings.Contains(text, "SEARCH x USING COVERING INDEX item_tags_in_order (item_id=?)") || (q.sorted && strings.Contains(text, "TEMP B-TREE")) {
			t.Errorf("%s: not read from item_tags_in_order alone (in its order: %v):\n%s", name, q.sorted, text)
		}
	}
}
