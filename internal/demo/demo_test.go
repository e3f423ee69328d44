package demo

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/foliocms/folio/internal/auth"
	"github.com/foliocms/folio/internal/content"
	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/database/dbtest"
)

// TestDemoReproducesTheReferencePage loads the demo into an empty database and compares the
// collection's first page with the reference page: the same ten items in the same order, each
// with the label line a frontend prints (series, then the type's name), its title and its date;
// the one item the page shows without a summary has none.
func TestDemoReproducesTheReferencePage(t *testing.T) {
	ctx := t.Context()
	db, err := database.Open(ctx, database.Options{Path: dbtest.Location(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer database.Close(db)
	if _, err := database.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	accounts := auth.NewStore(db, auth.Options{Keys: auth.NewKeys([]byte(strings.Repeat("k", 32))), Params: auth.Params{Memory: 64, Time: 1, Threads: 1}})
	if _, err := accounts.EnsureFirstAdmin(ctx, "admin@example.com", "admin password"); err != nil {
		t.Fatal(err)
	}
	admin, _ := accounts.FirstAdmin(ctx)
	store := content.NewStore(db, content.Options{})
	a := &content.Actor{UserID: admin.ID, Role: admin.Role}
	if loaded, err := Load(ctx, store, a); err != nil || !loaded {
		t.Fatalf("Load = %v, %v", loaded, err)
	}
	if loaded, err := Load(ctx, store, a); err != nil || loaded {
		t.Errorf("a second Load = %v, %v; want nothing loaded into a database with items", loaded, err)
	}

	page, err := store.CollectionItems(ctx, CollectionKey, content.CollectionQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	ref := readReference(t)
	if len(page.Items) != len(ref) {
		t.Fatalf("the collection's first page has %d items, the page %d", len(page.Items), len(ref))
	}
	typeNames := map[string]string{}
	types, _ := store.Types(ctx)
	for _, ty := range types {
		typeNames[ty.Key] = ty.Name
	}
	for i, it := range page.Items {
		var fields struct{ Series string }
		json.Unmarshal([]byte(it.Fields), &fields)
		label := typeNames[it.Type]
		if fields.Series != "" {
			label = fields.Series + " " + label
		}
		date := "-"
		if it.Type != "event" { // the page prints no date for the event
			date = it.PublishedAt.Format("2 January 2006")
		}
		got := [3]string{label, it.Title, date}
		if got != ref[i] {
			t.Errorf("item %d = %q, the page has %q", i+1, got, ref[i])
		}
		if hasSummary := it.Summary != nil; hasSummary == (i == 5) {
			t.Errorf("item %d has a summary: %v; the page shows one for every item but the sixth", i+1, hasSummary)
		}
		if it.Body == "" || it.BodyHTML == "" {
			t.Errorf("item %d has no body", i+1)
		}
	}
	if page.Next != nil {
		t.Error("the collection has more than the page's ten items")
	}
}

func readReference(t *testing.T) [][3]string {
	t.Helper()
	f, err := os.Open("testdata/reference-page.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][3]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			t.Fatalf("bad reference line %q", line)
		}
		out = append(out, [3]string{parts[0], parts[1], parts[2]})
	}
	return out
}
