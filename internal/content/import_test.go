package content

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foliocms/folio/internal/changes"
	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/database/dbtest"
)

// importFixture is a fixture whose store raises a content generation, as the server's does.
func importFixture(t *testing.T) (*fixture, *changes.Generation) {
	t.Helper()
	f := newFixture(t)
	gen, err := changes.New(t.Context(), f.db)
	if err != nil {
		t.Fatal(err)
	}
	f.store = NewStore(f.db, Options{Now: f.clock.Now, Changes: gen})
	return f, gen
}

func importLines(f *fixture, continueOnError bool, lines ...string) (*ImportResult, error) {
	in := strings.NewReader(strings.Join(lines, "\n") + "\n")
	return f.store.Import(context.Background(), in, ImportOptions{ContinueOnError: continueOnError, Author: f.editor.UserID})
}

func TestImportChecksEveryLine(t *testing.T) {
	const good = `{"item": {"type": "news", "title": "Fine", "slug": "fine"}}`
	for _, tc := range []struct {
		name  string
		lines []string
		want  string // the report of the bad line, which is the last
	}{
		{"not JSON", []string{good, `{"item": `}, "line 2: not a JSON object on one line"},
		{"two kinds", []string{good, `{"item": {"type": "news", "title": "x"}, "tag": {"slug": "x", "name": "x"}}`}, "exactly one key"},
		{"unknown kind", []string{good, `{"user": {"email": "a@b.c"}}`}, "exactly one key"},
		{"unknown property", []string{good, `{"item": {"type": "news", "title": "x", "colour": "red"}}`}, "line 2: item: colour is not a property this record may have"},
		{"wrong JSON type", []string{good, `{"item": {"type": "news", "title": 7}}`}, "title must be a JSON string"},
		{"bad time", []string{good, `{"item": {"type": "news", "title": "x", "status": "published", "published_at": "yesterday"}}`}, "RFC 3339"},
		{"empty title", []string{good, `{"item": {"type": "news", "title": " "}}`}, "title must be 1 to 300 characters"},
		{"NUL in a field", []string{good, `{"item": {"type": "news", "title": "x", "fields": {"a": "b\u0000c"}}}`}, "line 2: item: a string has a NUL character"},
		{"bad slug", []string{good, `{"item": {"type": "news", "title": "x", "slug": "Not A Slug"}}`}, "slug must be lower-case"},
		{"slug taken in the file", []string{good, `{"item": {"type": "news", "title": "Again", "slug": "fine"}}`}, `slug "fine" is taken by another item of the type news`},
		{"id taken", []string{
			`{"item": {"id": "01968a9e-0000-7000-8000-000000000001", "type": "news", "title": "a"}}`,
			`{"item": {"id": "01968a9e-0000-7000-8000-000000000001", "type": "news", "title": "b"}}`,
		}, "id is the id of another item"},
		{"id not a UUID", []string{good, `{"item": {"id": "42", "type": "news", "title": "x"}}`}, "id must be a UUID"},
		{"unknown type", []string{good, `{"item": {"type": "recipe", "title": "x"}}`}, `type "recipe" is not a content type`},
		{"tag declared below", []string{good, `{"item": {"type": "news", "title": "x", "tags": ["later"]}}`, `{"tag": {"slug": "later", "name": "Later"}}`}, ""},
		{"repeated tag", []string{good, `{"item": {"type": "news", "title": "x", "tags": ["cooperatives", "cooperatives"]}}`}, `tags[1] repeats "cooperatives"`},
		{"field of another type", []string{good, `{"item": {"type": "news", "title": "x", "fields": {"venue": "Dili"}}}`}, "fields.venue is not a field of the type news"},
		{"draft with a date", []string{good, `{"item": {"type": "news", "title": "x", "published_at": "2024-01-01T00:00:00Z"}}`}, "published_at must be null for a draft"},
		{"unpublished before published", []string{good, `{"item": {"type": "news", "title": "x", "status": "published", "published_at": "2024-01-02T00:00:00Z", "unpublish_at": "2024-01-01T00:00:00Z"}}`}, "unpublish_at must be later than published_at"},
		{"unknown status", []string{good, `{"item": {"type": "news", "title": "x", "status": "archived"}}`}, "status must be draft or published"},
		{"updated before created", []string{good, `{"item": {"type": "news", "title": "x", "created_at": "2024-01-02T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}}`}, "updated_at must not be before created_at"},
		{"tag with another name", []string{good, `{"tag": {"slug": "cooperatives", "name": "Co-ops"}}`}, "existing tag with another name"},
		{"tag twice", []string{`{"tag": {"slug": "new", "name": "New"}}`, `{"tag": {"slug": "new", "name": "New"}}`}, "defined on line 1 already"},
		{"bad type", []string{good, `{"type": {"key": "Report", "name": ""}}`}, "line 2: type: key must be lower-case"},
		{"type in use redefined", []string{good, `{"type": {"key": "news", "name": "News", "fields": [{"name": "x", "kind": "text"}]}}`}, "differ from those of the type news, which items use"},
		{"reference to nothing", []string{good, `{"type": {"key": "report", "name": "Report", "fields": [{"name": "related", "kind": "reference"}]}}`,
			`{"item": {"type": "report", "title": "x", "fields": {"related": "01968a9e-0000-7000-8000-00000000dead"}}}`}, "line 3: item: fields.related names no item"},
		{"bad collection", []string{good, `{"collection": {"key": "c", "title": "C", "pinned": ["01968a9e-0000-7000-8000-00000000dead"]}}`}, "line 2: collection: pinned[0] names no item"},
		{"line too long", []string{good, `{"item": {"type": "news", "title": "x", "body": "` + strings.Repeat("a", MaxImportLine) + `"}}`}, "line 2: longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, gen := importFixture(t)
			if tc.name == "type in use redefined" {
				f.create(t, f.editor, NewItem{Type: "news", Title: "Already here"})
			}
			before := gen.Current()
			res, err := importLines(f, false, tc.lines...)
			if tc.want == "" {
				tc.want = "line 2: item: tags[0] \"later\" is not a tag"
			}
			if !errors.Is(err, ErrImportRejected) || res.BadLines != 1 || res.Bad[0].Error() == "" || !strings.Contains(res.Bad[0].Error(), tc.want) {
				t.Fatalf("Import = %v, %d bad %v; want rejected with %q", err, res.BadLines, res.Bad, tc.want)
			}
			// Nothing was written, and the cache was not told otherwise.
			if n, _ := f.store.CountItems(t.Context()); n != countBefore(tc.name) {
				t.Errorf("items after a rejected import = %d", n)
			}
			if gen.Current() != before {
				t.Errorf("generation moved from %d to %d for an import that wrote nothing", before, gen.Current())
			}

			// With ContinueOnError the good lines go in and the bad one is still reported.
			res, err = importLines(f, true, tc.lines...)
			if err != nil || res.BadLines != 1 || !res.Committed {
				t.Fatalf("Import(ContinueOnError) = %v, %+v", err, res)
			}
			if gen.Current() == before {
				t.Error("an import that wrote did not raise the generation")
			}
		})
	}
}

// countBefore is how many items a case's fixture has before the import.
func countBefore(name string) int64 {
	if name == "type in use redefined" {
		return 1
	}
	return 0
}

// TestImportWritesWhatTheAPIWould checks an imported item from every side the API reads it:
// found by slug and by tag, searchable (diacritics folded), with its revision and rendering,
// its references resolved even to an item further down, and an existing author kept.
func TestImportWritesWhatTheAPIWould(t *testing.T) {
	f, _ := importFixture(t)
	res, err := importLines(f, false,
		`{"type": {"key": "report", "name": "Report", "fields": [{"name": "related", "kind": "reference", "types": ["report"]}, {"name": "abstract", "kind": "markdown"}]}}`,
		`{"tag": {"slug": "annual", "name": "Annual reports", "group": "series"}}`,
		`{"item": {"type": "report", "title": "Coopératives 2025", "slug": "coops-2025", "body": "Some **bold** text.", "tags": ["annual", "cooperatives"], "fields": {"related": "01968a9e-0000-7000-8000-000000000002", "abstract": "An *abstract*."}, "status": "published", "published_at": "2025-01-01T00:00:00Z", "author": {"id": "`+f.author.UserID+`", "name": "ignored"}, "version": 3, "created_at": "2024-12-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}}`,
		`{"item": {"id": "01968a9e-0000-7000-8000-000000000002", "type": "report", "title": "Earlier report", "author": {"id": "01968a9e-0000-7000-8000-00000000beef"}}}`,
		`{"item": {"type": "news", "title": "Trashed", "deleted_at": "2025-02-01T00:00:00Z"}}`,
		`{"collection": {"key": "reports", "title": "Reports", "filter": {"types": ["report"], "tags": [], "tags_any": []}, "pinned": ["01968a9e-0000-7000-8000-000000000002"], "sort": "title"}}`,
	)
	if err != nil || res.Types != 1 || res.Tags != 1 || res.Items != 3 || res.Collections != 1 {
		t.Fatalf("Import = %v, %+v", err, res)
	}
	it, err := f.store.FindBySlug(t.Context(), nil, "report", "coops-2025")
	if err != nil {
		t.Fatal(err)
	}
	if it.Version != 3 || it.AuthorID != f.author.UserID || it.BodyHTML != "<p>Some <strong>bold</strong> text.</p>\n" ||
		it.FieldsHTML != `{"abstract":"<p>An <em>abstract</em>.</p>\n"}` || strings.Join(it.Tags, ",") != "annual,cooperatives" ||
		it.CreatedAt.Format("2006-01-02") != "2024-12-01" {
		t.Errorf("imported item = %+v", it)
	}
	rev, err := f.store.Revision(t.Context(), f.editor, it.ID, 3)
	if err != nil || !strings.Contains(rev.Snapshot, `"title":"Coopératives 2025"`) || rev.AuthorID != f.author.UserID {
		t.Errorf("revision 3 = %+v, %v", rev, err)
	}
	earlier, err := f.store.FindItem(t.Context(), f.editor, "01968a9e-0000-7000-8000-000000000002")
	if err != nil || earlier.AuthorID != f.editor.UserID || earlier.Status != StatusDraft {
		t.Errorf("an item naming an unknown author = %+v, %v; want the import's author", earlier, err)
	}
	for _, q := range []string{"q=cooperatives", "q=annual+rep", "tag=annual"} {
		v, _ := url.ParseQuery(q)
		query, err := ParseQuery(v, false)
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.store.ListItems(t.Context(), nil, query)
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != it.ID {
			t.Errorf("ListItems(%s) = %v, %v; want the imported item", q, page, err)
		}
	}
	trashed, err := f.store.FindItem(t.Context(), f.editor, mustFind(t, f, "Trashed"))
	if err != nil || trashed.DeletedAt == nil {
		t.Errorf("trashed item = %+v, %v", trashed, err)
	}
	c, err := f.store.FindCollection(t.Context(), "reports")
	if err != nil || c.Sort != "title" || len(c.PinnedIDs()) != 1 {
		t.Errorf("collection = %+v, %v", c, err)
	}
}

func mustFind(t *testing.T, f *fixture, title string) string {
	t.Helper()
	var id string
	if err := f.db.Table("items").Where("title = ?", title).Pluck("id", &id).Error; err != nil || id == "" {
		t.Fatalf("no item %q: %v", title, err)
	}
	return id
}

// TestImportDropsItemsWithBadReferences: with ContinueOnError an item whose reference is bad
// is taken out again, search index entry and all, and so is one that referred to it.
func TestImportDropsItemsWithBadReferences(t *testing.T) {
	f, _ := importFixture(t)
	res, err := importLines(f, true,
		`{"type": {"key": "report", "name": "Report", "fields": [{"name": "related", "kind": "reference"}]}}`,
		`{"item": {"id": "01968a9e-0000-7000-8000-000000000001", "type": "report", "title": "Orphan zebra", "fields": {"related": "01968a9e-0000-7000-8000-00000000dead"}}}`,
		`{"item": {"type": "report", "title": "Chained zebra", "fields": {"related": "01968a9e-0000-7000-8000-000000000001"}}}`,
		`{"item": {"type": "report", "title": "Fine zebra"}}`,
	)
	if err != nil || res.Items != 1 || res.BadLines != 2 || res.Bad[0].Line != 2 || res.Bad[1].Line != 3 {
		t.Fatalf("Import = %v, %+v", err, res)
	}
	var indexed int64 // entries of the index, whether or not their item is there
	d := f.store.d
	f.db.Table(d.searchIndex()).Where(d.searchMatch(), d.searchQuery("zebra ")).Count(&indexed)
	if n, _ := f.store.CountItems(t.Context()); n != 1 || indexed != 1 {
		t.Errorf("after dropping two items: %d items, %d in the search index; want 1 and 1", n, indexed)
	}
}

// TestImportTypesAndTagsAlreadyThere: lines equal to what the database has change nothing, so
// an export imports back into its own database's types and tags.
func TestImportTypesAndTagsAlreadyThere(t *testing.T) {
	f, _ := importFixture(t)
	res, err := importLines(f, false,
		`{"type": {"key": "news", "name": "News", "description": "A short report of something that happened.", "fields": [`+
			`{"name": "series", "description": "A series the item belongs to, such as ILO COOP 100", "kind": "text", "max_length": 100}, `+
			`{"name": "source_url", "kind": "url", "description": "Where the item was first published"}]}}`,
		`{"tag": {"slug": "cooperatives", "name": "cooperatives"}}`,
		`{"item": {"type": "news", "title": "x", "tags": ["cooperatives"]}}`,
	)
	if err != nil || res.Unchanged != 2 || res.Types != 0 || res.Tags != 0 || res.Items != 1 {
		t.Fatalf("Import = %v, %+v", err, res)
	}
}

// TestImportLarge runs the pipeline through many batches, with a bad line far down: the
// all-or-nothing rule holds across batches, and the order of lines is kept (the slug of the
// later duplicate is the one refused); the search index has every item, in one segment.
func TestImportLarge(t *testing.T) {
	f, _ := importFixture(t)
	var buf bytes.Buffer
	const n = 3000
	for i := range n {
		fmt.Fprintf(&buf, `{"item": {"type": "news", "title": "Item %d", "slug": "item-%d", "body": "Body *%d*", "status": "published", "published_at": "2024-01-01T00:00:00Z"}}`+"\n", i, i%2999, i)
	}
	res, err := f.store.Import(t.Context(), bytes.NewReader(buf.Bytes()), ImportOptions{Author: f.editor.UserID})
	if !errors.Is(err, ErrImportRejected) || res.BadLines != 1 || res.Bad[0].Line != 3000 {
		t.Fatalf("Import = %v, %+v; want line 3000 refused", err, res)
	}
	progress := &ImportProgress{}
	res, err = f.store.Import(t.Context(), bytes.NewReader(buf.Bytes()), ImportOptions{Author: f.editor.UserID, ContinueOnError: true, Progress: progress})
	if err != nil || res.Items != n-1 || progress.Items.Load() != n-1 || progress.Lines.Load() != n || progress.Bytes.Load() != int64(buf.Len()) {
		t.Fatalf("Import = %v, %+v, progress %d items %d lines %d bytes", err, res, progress.Items.Load(), progress.Lines.Load(), progress.Bytes.Load())
	}
	// FTS5's index is merged, and merges on every write again.
	if !dbtest.Postgres() {
		var automerge int
		var segments int64
		f.db.Raw("SELECT v FROM items_fts_config WHERE k = 'automerge'").Scan(&automerge)
		f.db.Raw("SELECT count(DISTINCT segid) FROM items_fts_idx").Scan(&segments)
		if automerge != 8 || segments != 1 {
			t.Errorf("after an import: automerge %d, %d index segments; want 8 and 1", automerge, segments)
		}
	}
	var indexed int64
	d := f.store.d
	f.db.Table(d.searchIndex()+" CROSS JOIN items AS i").Where(d.searchOn()).Where(d.searchMatch(), d.searchQuery("body ")).Count(&indexed)
	if indexed != n-1 {
		t.Errorf("%d items in the search index, want %d", indexed, n-1)
	}
	it, err := f.store.FindBySlug(t.Context(), nil, "news", "item-0")
	if err != nil || it.Title != "Item 0" || it.BodyHTML != "<p>Body <em>0</em></p>\n" {
		t.Errorf("item-0 = %+v, %v", it, err)
	}
}

// TestImportBuildsIndexesAtTheEnd: into a database with no items, an import drops the indexes
// that serve reads and creates them again from the schema's own statements once its rows are
// written (each then has a new root page); into one with items, and when it is rejected, the
// indexes are the same pages as before. integrity_check compares every index with its table.
func TestImportBuildsIndexesAtTheEnd(t *testing.T) {
	dbtest.SQLiteOnly(t)
	f, _ := importFixture(t)
	type index struct {
		Name, SQL string
		Rootpage  int64
	}
	schema := func() map[string]index {
		var rows []index
		f.db.Raw("SELECT name, COALESCE(sql, '') AS sql, rootpage FROM sqlite_schema WHERE type = 'index' AND tbl_name IN ('items', 'item_tags', 'revisions')").Scan(&rows)
		m := map[string]index{}
		for _, r := range rows {
			m[r.Name] = r
		}
		return m
	}
	checkIntegrity := func(when string) {
		t.Helper()
		var result []string
		f.db.Raw("PRAGMA integrity_check").Scan(&result)
		if len(result) != 1 || result[0] != "ok" {
			t.Errorf("%s: integrity_check = %q", when, result)
		}
		var hashsize int64
		if err := f.db.Raw("SELECT COALESCE(MAX(v), 0) FROM items_fts_config WHERE k = 'hashsize'").Scan(&hashsize).Error; err != nil {
			t.Fatal(err)
		}
		if hashsize != 0 && hashsize != fts5HashSize {
			t.Errorf("%s: the search index's hashsize is %d, want FTS5's default", when, hashsize)
		}
	}
	items := func(from, to int) []string {
		var lines []string
		for i := from; i < to; i++ {
			lines = append(lines, fmt.Sprintf(`{"item": {"type": "news", "title": "Item %d", "body": "Body %d", "tags": ["covid-19", "cooperatives"], "status": "published", "published_at": "2024-01-%02dT00:00:00Z"}}`, i, i, 1+i%28))
		}
		return lines
	}

	before := schema()
	if len(before) < 10 {
		t.Fatalf("%d indexes on the tables an import fills", len(before))
	}
	if _, err := importLines(f, false, append(items(0, 50), `{"item": {"type": "news"}}`)...); !errors.Is(err, ErrImportRejected) {
		t.Fatalf("Import of a bad line = %v", err)
	}
	if got := schema(); !maps.Equal(got, before) {
		t.Errorf("a rejected import changed the indexes:\n%v\nwant\n%v", got, before)
	}

	if _, err := importLines(f, false, items(0, 300)...); err != nil {
		t.Fatal(err)
	}
	after, rebuilt := schema(), 0
	for name, was := range before {
		now, ok := after[name]
		switch {
		case !ok || now.SQL != was.SQL:
			t.Errorf("index %s after the import: %+v, want %q", name, now, was.SQL)
		case now.Rootpage != was.Rootpage:
			rebuilt++
			if was.SQL == "" || strings.Contains(was.SQL, "UNIQUE") {
				t.Errorf("index %s, a key, was dropped and built again", name)
			}
		}
	}
	if len(after) != len(before) || rebuilt < len(before)/2 {
		t.Errorf("%d indexes after the import, %d of them built again; want %d, most built again", len(after), rebuilt, len(before))
	}
	checkIntegrity("after an import into no items")

	if _, err := importLines(f, false, items(300, 310)...); err != nil {
		t.Fatal(err)
	}
	if got := schema(); !maps.Equal(got, after) {
		t.Errorf("an import into items there changed the indexes:\n%v\nwant\n%v", got, after)
	}
	checkIntegrity("after an import into items")
	if n, _ := f.store.CountItems(t.Context()); n != 310 {
		t.Errorf("%d items, want 310", n)
	}
}

// TestImportOnOneConnection: an import checks every kind of line without reading the
// database beside its transaction, so that it runs on the one connection of an Exclusive
// handle (folio import alone on a file): a type that items use, a tag that is there, items
// and a collection. A read beside the transaction would wait for the connection until the
// context's end.
func TestImportOnOneConnection(t *testing.T) {
	dbtest.SQLiteOnly(t)
	f := newFixtureWith(t, database.Options{Path: filepath.Join(t.TempDir(), "folio.db"), Exclusive: true})
	f.create(t, f.editor, NewItem{Type: "news", Title: "Already there"})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	bad := []string{
		`{"type": {"key": "news", "name": "News", "fields": []}}`,
		`{"type": {"key": "podcast", "name": "Podcast"}}`,
		`{"tag": {"slug": "covid-19", "name": "covid-19"}}`,
		`{"tag": {"slug": "cooperatives", "name": "Renamed"}}`,
		`{"item": {"type": "podcast", "title": "Imported", "tags": ["covid-19"]}}`,
	}
	res, err := f.store.Import(ctx, strings.NewReader(strings.Join(bad, "\n")), ImportOptions{Author: f.editor.UserID})
	if !errors.Is(err, ErrImportRejected) || res.BadLines != 2 || res.Bad[0].Line != 1 || res.Bad[1].Line != 4 {
		t.Fatalf("Import = %v, %+v; want lines 1 (the fields of a type that items use) and 4 (a renamed tag) refused", err, res)
	}
	good := []string{
		`{"type": {"key": "podcast", "name": "Podcast"}}`,
		`{"tag": {"slug": "covid-19", "name": "covid-19"}}`,
		`{"tag": {"slug": "new-tag", "name": "New"}}`,
		`{"item": {"type": "podcast", "title": "Imported", "tags": ["covid-19", "new-tag"]}}`,
		`{"collection": {"key": "podcasts", "title": "Podcasts", "filter": {"types": ["podcast"]}}}`,
	}
	res, err = f.store.Import(ctx, strings.NewReader(strings.Join(good, "\n")), ImportOptions{Author: f.editor.UserID})
	if err != nil || res.Types != 1 || res.Tags != 1 || res.Items != 1 || res.Collections != 1 || res.Unchanged != 1 {
		t.Fatalf("Import = %v, %+v", err, res)
	}
	if n, _ := f.store.CountItems(ctx); n != 2 {
		t.Errorf("%d items, want 2", n)
	}
}

// TestImportCancelled: an import stopped midway writes nothing.
func TestImportCancelled(t *testing.T) {
	f, _ := importFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := f.store.Import(ctx, r, ImportOptions{Author: f.editor.UserID})
		done <- err
	}()
	for i := range 600 {
		fmt.Fprintf(w, `{"item": {"type": "news", "title": "Item %d"}}`+"\n", i)
	}
	cancel()
	w.Close() // a file ends; only then can a reader blocked on more of it see the cancel
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Import after cancel = %v", err)
	}
	if n, _ := f.store.CountItems(t.Context()); n != 0 {
		t.Errorf("a cancelled import left %d items", n)
	}
}

func TestExportRoundTripsInThePackage(t *testing.T) {
	f, _ := importFixture(t)
	it := f.create(t, f.editor, NewItem{Title: "Exported", Tags: []string{"cooperatives"}})
	f.publish(t, it, nil)
	var buf bytes.Buffer
	res, err := f.store.Export(t.Context(), &buf, nil)
	if err != nil || res.Items != 1 || res.Tags != 3 || res.Types != 4 {
		t.Fatalf("Export = %v, %+v", err, res)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	kinds := make([]string, len(lines))
	for i, l := range lines {
		kinds[i] = sniffKind([]byte(l))
		if kinds[i] == "" {
			kinds[i] = "item"
		}
	}
	if got := strings.Join(kinds, ","); got != "type,type,type,type,tag,tag,tag,item" {
		t.Errorf("export order = %s", got)
	}

	g, _ := importFixture(t)
	g.db.Exec("DELETE FROM tags")
	if res, err := g.store.Import(t.Context(), &buf, ImportOptions{Author: g.editor.UserID}); err != nil || res.Items != 1 {
		t.Fatalf("Import of the export = %v, %+v", err, res)
	}
	got, err := g.store.FindItem(t.Context(), nil, it.ID)
	if err != nil || got.Title != "Exported" || got.Version != 2 || !got.PublishedAt.Equal(*f.publishedAt(t, it.ID)) {
		t.Errorf("imported = %+v, %v", got, err)
	}
}

func (f *fixture) publishedAt(t *testing.T, id string) *time.Time {
	t.Helper()
	it, err := f.store.FindItem(t.Context(), f.editor, id)
	if err != nil {
		t.Fatal(err)
	}
	return it.PublishedAt
}

// TestImportRefusesATypeRedefinedBelowItsItems: type lines come first; a type redefined below
// items of it would leave those items checked against fields it no longer has.
func TestImportRefusesATypeRedefinedBelowItsItems(t *testing.T) {
	f, _ := importFixture(t)
	for _, continueOnError := range []bool{false, true} {
		_, err := importLines(f, continueOnError,
			`{"item": {"type": "news", "title": "First"}}`,
			`{"type": {"key": "news", "name": "News", "fields": [{"name": "x", "kind": "text", "required": true}]}}`,
			`{"item": {"type": "news", "title": "Second", "fields": {"x": "y"}}}`,
		)
		if err == nil || !strings.Contains(err.Error(), "line 2: the type news is redefined below items of it") {
			t.Errorf("Import(continue %v) = %v", continueOnError, err)
		}
		if n, _ := f.store.CountItems(t.Context()); n != 0 {
			t.Errorf("a refused import left %d items", n)
		}
	}
}

// writeOnFirstWrite is an io.Writer that makes a write to the store the first time an export
// writes to it, and remembers how that went.
type writeOnFirstWrite struct {
	f    *fixture
	done bool
	err  error
}

func (w *writeOnFirstWrite) Write(p []byte) (int, error) {
	if !w.done {
		w.done = true
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, w.err = w.f.store.CreateItem(ctx, w.f.editor, NewItem{Type: "news", Title: "Written during the export"})
	}
	return len(p), nil
}

// TestExportDoesNotBlockWrites: an export reads a snapshot on the read pool, so the server's
// writes go on while it runs (on the one writer connection they would wait for it to end), and
// the snapshot does not see them.
func TestExportDoesNotBlockWrites(t *testing.T) {
	f, _ := importFixture(t)
	for i := range 1500 { // more than the export's buffer, so it writes while reading
		f.create(t, f.editor, NewItem{Title: fmt.Sprintf("Item %d", i), Body: strings.Repeat("text ", 200)})
	}
	w := &writeOnFirstWrite{f: f}
	res, err := f.store.Export(t.Context(), w, nil)
	// 1500: the item written meanwhile, last by seq, is not in the snapshot the export reads.
	if err != nil || res.Items != 1500 {
		t.Fatalf("Export = %+v, %v; want the 1500 items of its snapshot", res, err)
	}
	if !w.done || w.err != nil {
		t.Fatalf("a write during the export: %v", w.err)
	}
}
