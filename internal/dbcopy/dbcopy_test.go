package dbcopy

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/auth"
	"github.com/foliocms/folio/internal/content"
	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/database/dbtest"
	"github.com/foliocms/folio/internal/demo"
)

const (
	adminEmail = "admin@example.com"
	editorPass = "editor password 1"
)

// location is where a test's database of the given kind goes; PostgreSQL skips the test when
// FOLIO_TEST_POSTGRES is unset.
func location(t *testing.T, kind string) string {
	t.Helper()
	if kind == "postgres" {
		return dbtest.PostgresURL(t)
	}
	return filepath.Join(t.TempDir(), "folio.db")
}

func open(t *testing.T, loc string) *gorm.DB {
	t.Helper()
	db, err := database.Open(t.Context(), database.Options{Path: loc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	if _, err := database.Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

// accounts is the auth store on db, with the signing key the database holds.
func accounts(t *testing.T, db *gorm.DB) *auth.Store {
	t.Helper()
	keys, err := auth.LoadKeys(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return auth.NewStore(db, auth.Options{Keys: keys, Params: auth.Params{Memory: 64, Time: 1, Threads: 1}})
}

// source is a database with something in every table, made through the stores.
type source struct {
	db          *gorm.DB
	accessToken string // of the editor's session
	trashedID   string
	restored    *content.Item // an item restored to an earlier revision
}

func fill(t *testing.T, db *gorm.DB) *source {
	t.Helper()
	ctx := t.Context()
	acc := accounts(t, db)
	if _, err := acc.EnsureFirstAdmin(ctx, adminEmail, "admin password 1"); err != nil {
		t.Fatal(err)
	}
	admin, _ := acc.FirstAdmin(ctx)
	store := content.NewStore(db, content.Options{})
	a := &content.Actor{UserID: admin.ID, Role: admin.Role}
	if loaded, err := demo.Load(ctx, store, a); err != nil || !loaded {
		t.Fatalf("demo.Load = %v, %v", loaded, err)
	}
	if _, err := acc.CreateUser(ctx, auth.NewUser{Email: "ed@example.com", Name: "Ed", Role: auth.RoleEditor, Password: editorPass}); err != nil {
		t.Fatal(err)
	}
	tokens, err := acc.Login(ctx, "ed@example.com", editorPass, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Login(ctx, "ed@example.com", "wrong password", "192.0.2.1"); err == nil {
		t.Fatal("a wrong password logged in")
	}
	src := &source{db: db, accessToken: tokens.AccessToken}

	page, err := store.ListItems(ctx, a, query(t, "status=any&limit=3"))
	if err != nil || len(page.Items) < 3 {
		t.Fatalf("ListItems = %v, %v", page, err)
	}
	trashed, err := store.TrashItem(ctx, a, page.Items[0].ID, []int64{page.Items[0].Version})
	if err != nil {
		t.Fatal(err)
	}
	src.trashedID = trashed.ID
	it := page.Items[1]
	title := it.Title + " (edited)"
	edited, err := store.UpdateItem(ctx, a, it.ID, []int64{it.Version}, content.ItemPatch{Title: &title})
	if err != nil {
		t.Fatal(err)
	}
	if src.restored, err = store.RestoreRevision(ctx, a, it.ID, it.Version, []int64{edited.Version}); err != nil {
		t.Fatal(err)
	}
	return src
}

// query is the content query of an API query string.
func query(t *testing.T, s string) content.Query {
	t.Helper()
	v, _ := url.ParseQuery(s)
	q, err := content.ParseQuery(v, true)
	if err != nil {
		t.Fatalf("ParseQuery(%q) = %v", s, err)
	}
	return q
}

// counts is the number of rows in each copied table.
func counts(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tb := range tables {
		var n int64
		if err := db.Table(tb.name).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		out[tb.name] = n
	}
	return out
}

func TestCopy(t *testing.T) {
	tests := []struct{ from, to string }{
		{"sqlite", "sqlite"},
		{"sqlite", "postgres"},
		{"postgres", "sqlite"},
		{"postgres", "postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.from+" to "+tt.to, func(t *testing.T) {
			ctx := t.Context()
			src := fill(t, open(t, location(t, tt.from)))
			dst := open(t, location(t, tt.to))

			var copied []string
			sums, err := Copy(ctx, src.db, dst, Options{Copied: func(tb Table) { copied = append(copied, tb.Name) }})
			if err != nil {
				t.Fatalf("Copy = %v", err)
			}
			var names []string
			for _, tb := range tables {
				names = append(names, tb.name)
			}
			if !slices.Equal(copied, names) {
				t.Errorf("Copied was told of %q, want %q", copied, names)
			}
			want := counts(t, src.db)
			if diff := cmp.Diff(want, counts(t, dst)); diff != "" {
				t.Errorf("rows (-source +destination):\n%s", diff)
			}
			for _, s := range sums {
				if s.Rows != want[s.Name] || len(s.Checksum) != 64 {
					t.Errorf("Copy says %s has %d rows, checksum %q; the source has %d", s.Name, s.Rows, s.Checksum, want[s.Name])
				}
				if s.Rows == 0 {
					t.Errorf("the source has no %s: the test copies nothing there", s.Name)
				}
			}

			// The destination works: search, reads, logins, tokens, new items.
			srcStore, dstStore := content.NewStore(src.db, content.Options{}), content.NewStore(dst, content.Options{})
			admin, err := accounts(t, dst).FirstAdmin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			a := &content.Actor{UserID: admin.ID, Role: admin.Role}
			ids := func(s *content.Store, q string) []string {
				t.Helper()
				page, err := s.ListItems(ctx, a, query(t, q))
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, it := range page.Items {
					out = append(out, it.ID)
				}
				return out
			}
			for _, q := range []string{"q=cooperatives&status=any&limit=50", "q=Timor&status=any", "trashed=true&status=any"} {
				// The same items; their order by relevance is each search engine's own.
				want, got := ids(srcStore, q), ids(dstStore, q)
				slices.Sort(want)
				slices.Sort(got)
				if len(want) == 0 || !slices.Equal(got, want) {
					t.Errorf("ListItems(%s) on the copy = %q, on the source %q", q, got, want)
				}
			}
			for _, id := range []string{src.restored.ID, src.trashedID} {
				before, _ := srcStore.FindItem(ctx, a, id)
				after, err := dstStore.FindItem(ctx, a, id)
				if err != nil {
					t.Fatalf("FindItem(%q) on the copy = %v", id, err)
				}
				got := []*content.Item{after}
				if before.DeletedAt == nil { // the trash is not found by slug
					bySlug, err := dstStore.FindBySlug(ctx, a, after.Type, after.Slug)
					if err != nil {
						t.Fatalf("FindBySlug(%q) on the copy = %v", after.Slug, err)
					}
					got = append(got, bySlug)
				}
				wantJSON, _ := json.Marshal(before)
				for _, g := range got {
					if gotJSON, _ := json.Marshal(g); string(gotJSON) != string(wantJSON) {
						t.Errorf("item %s on the copy:\n%s\nwant\n%s", id, gotJSON, wantJSON)
					}
				}
			}
			dstAccounts := accounts(t, dst)
			if _, err := dstAccounts.Authenticate(ctx, src.accessToken); err != nil {
				t.Errorf("the source's access token on the copy = %v; the signing key and the session were copied", err)
			}
			if _, err := dstAccounts.Login(ctx, "ed@example.com", editorPass, "192.0.2.2"); err != nil {
				t.Errorf("Login on the copy = %v", err)
			}
			var maxSeq int64
			src.db.Raw("SELECT MAX(seq) FROM items").Scan(&maxSeq)
			it, err := dstStore.CreateItem(ctx, a, content.NewItem{Type: "news", Title: "Written after the copy"})
			if err != nil {
				t.Fatalf("CreateItem on the copy = %v", err)
			}
			if it.Seq <= maxSeq {
				t.Errorf("a new item on the copy has seq %d, the source's largest is %d", it.Seq, maxSeq)
			}
			if got := ids(dstStore, "q=written+after&status=any"); !slices.Equal(got, []string{it.ID}) {
				t.Errorf("search for the new item = %q, want [%s]", got, it.ID)
			}
		})
	}
}

// TestCopyRefusesNonEmptyDestination copies into a database that has a user: the copy fails,
// says what is there, and writes nothing.
func TestCopyRefusesNonEmptyDestination(t *testing.T) {
	ctx := t.Context()
	src := fill(t, open(t, dbtest.Location(t)))
	dst := open(t, dbtest.Location(t))
	if _, err := accounts(t, dst).EnsureFirstAdmin(ctx, "other@example.com", "other password 1"); err != nil {
		t.Fatal(err)
	}
	before := dump(t, dst)
	_, err := Copy(ctx, src.db, dst, Options{})
	var nerr *NotEmptyError
	if !errors.As(err, &nerr) || err.Error() != "the destination already has 1 users and 0 items; migrate-data copies into an empty database" {
		t.Fatalf("Copy into a database with a user = %v, want a NotEmptyError", err)
	}
	if diff := cmp.Diff(before, dump(t, dst)); diff != "" {
		t.Errorf("the destination changed (-before +after):\n%s", diff)
	}
}

// TestCopyRollsBackAMismatch copies into a database that changes what it is given (a trigger
// stands for a conversion gone wrong): the verification names the table and nothing is left.
func TestCopyRollsBackAMismatch(t *testing.T) {
	ctx := t.Context()
	src := fill(t, open(t, dbtest.Location(t)))
	dst := open(t, location(t, "sqlite"))
	if err := dst.Exec("CREATE TRIGGER shout AFTER INSERT ON tags BEGIN UPDATE tags SET name = upper(name) WHERE slug = NEW.slug; END").Error; err != nil {
		t.Fatal(err)
	}
	before := dump(t, dst)
	_, err := Copy(ctx, src.db, dst, Options{})
	var merr *MismatchError
	if !errors.As(err, &merr) || merr.Source.Name != "tags" || !strings.HasPrefix(err.Error(), "verify tags: ") {
		t.Fatalf("Copy into a database that changes tags = %v, want a MismatchError on tags", err)
	}
	if diff := cmp.Diff(before, dump(t, dst)); diff != "" {
		t.Errorf("the destination changed (-before +after):\n%s", diff)
	}
}

// dump is every copied table's rows and checksum, by the database's own column types.
func dump(t *testing.T, db *gorm.DB) map[string]Table {
	t.Helper()
	conn, _ := db.DB()
	out := map[string]Table{}
	for _, tb := range tables {
		cols, err := columnKinds(t.Context(), conn, database.IsPostgres(db), tb.name)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := eachRow(t.Context(), conn, tb, cols, nil)
		if err != nil {
			t.Fatal(err)
		}
		out[tb.name] = sum
	}
	return out
}

// TestRoundTrip copies SQLite to PostgreSQL and back: both copies have the same checksums,
// and the last database has the first one's rows, value for value.
func TestRoundTrip(t *testing.T) {
	ctx := t.Context()
	first := fill(t, open(t, location(t, "sqlite"))).db
	pg := open(t, location(t, "postgres"))
	last := open(t, location(t, "sqlite"))
	there, err := Copy(ctx, first, pg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	back, err := Copy(ctx, pg, last, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range there {
		there[i].Elapsed, back[i].Elapsed = 0, 0
	}
	if diff := cmp.Diff(there, back); diff != "" {
		t.Errorf("checksums (-to PostgreSQL +back):\n%s", diff)
	}
	if diff := cmp.Diff(dump(t, first), dump(t, last)); diff != "" {
		t.Errorf("the round trip changed rows (-first +last):\n%s", diff)
	}
}

// TestTablesAreTheSchema fails when a migration adds a table that a copy would leave behind.
func TestTablesAreTheSchema(t *testing.T) {
	db := open(t, dbtest.Location(t))
	q := "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'items_fts%'"
	if database.IsPostgres(db) {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'items_search'"
	}
	var got []string
	if err := db.Raw(q).Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	want := []string{"goose_db_version"}
	for _, tb := range tables {
		want = append(want, tb.name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the schema's tables = %q; the copy knows %q (and the search index, which it rebuilds)", got, want)
	}
}

func TestNormalize(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 30, 0, 123456000, time.UTC)
	tests := []struct {
		kind kind
		in   any
		want any
	}{
		{kindText, "x", "x"},
		{kindText, []byte("x"), "x"},
		{kindText, nil, nil},
		{kindInteger, int64(7), int64(7)},
		{kindBoolean, int64(1), true},
		{kindBoolean, int64(0), false},
		{kindBoolean, true, true},
		{kindTime, at.In(time.FixedZone("", 3600)), at},
		{kindTime, "2026-05-01 12:30:00.123456+00:00", at},
		{kindTime, "2026-05-01T12:30:00.123456Z", at},
		{kindTime, "2026-05-01 12:30:00", at.Truncate(time.Second)},
	}
	for _, tt := range tests {
		got, err := normalize(tt.kind, tt.in)
		if err != nil || !cmp.Equal(got, tt.want) {
			t.Errorf("normalize(%v, %#v) = %#v, %v; want %#v", tt.kind, tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		kind kind
		in   any
	}{{kindBoolean, int64(2)}, {kindTime, "yesterday"}, {kindInteger, "7"}} {
		if got, err := normalize(bad.kind, bad.in); err == nil {
			t.Errorf("normalize(%v, %#v) = %#v, want an error", bad.kind, bad.in, got)
		}
	}
}

// TestChecksumTellsValuesApart: values that print alike hash apart.
func TestChecksumTellsValuesApart(t *testing.T) {
	rows := [][]any{{nil}, {""}, {"1"}, {int64(1)}, {true}, {"ab", "c"}, {"a", "bc"}}
	seen := map[string]int{}
	for i, r := range rows {
		h := sha256.New()
		for _, v := range r {
			writeValue(h, v)
		}
		sum := string(h.Sum(nil))
		if j, ok := seen[sum]; ok {
			t.Errorf("rows %#v and %#v have the same checksum", rows[j], r)
		}
		seen[sum] = i
	}
}
