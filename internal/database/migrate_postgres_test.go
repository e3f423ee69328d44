package database

import (
	"context"
	"crypto/rand"
	"database/sql"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/foliocms/folio/internal/database/dbtest"
	"github.com/foliocms/folio/migrations"
)

// postgresSchema returns the name of a schema of the test's own (dbtest.PostgresURL) and a
// database/sql handle whose connections have it first on their search_path.
func postgresSchema(t *testing.T) (string, *sql.DB) {
	t.Helper()
	url := dbtest.PostgresURL(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	var schema string
	if err := db.QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	return schema, db
}

// TestPostgresMigrations applies the PostgreSQL migrations to an empty schema, checks the schema
// they make against the SQLite one and the choices that differ (types, collations, search,
// triggers), then takes them all down.
func TestPostgresMigrations(t *testing.T) {
	ctx := t.Context()
	schema, db := postgresSchema(t)
	fsys, err := migrations.FS("postgres")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys)
	if err != nil {
		t.Fatalf("NewProvider() error = %v", err)
	}
	sources := p.ListSources()
	last := sources[len(sources)-1].Version

	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	// Rows from before the search index and the copies of published_at, for their backfills.
	if _, err := p.UpTo(ctx, 4); err != nil {
		t.Fatalf("UpTo(4) error = %v", err)
	}
	published := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	exec(`INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at) VALUES ('u1', 'a@example.org', 'A', 'admin', 'x', now(), now())`)
	exec(`INSERT INTO tags (slug, name, created_at, updated_at) VALUES ('a', 'Alfa', now(), now()), ('z', 'Zulu', now(), now())`)
	exec(`INSERT INTO items (id, type, slug, title, summary, body, status, published_at, author_id, created_at, updated_at)
		VALUES ('i1', 'news', 'kobe', 'Kōbe harbour', NULL, 'Write to foo@bar.com about co-operative banks.', 'published', $1, 'u1', now(), now())`, published)
	// In an order neither the rows' nor the tags' order gives.
	exec(`INSERT INTO item_tags (item_id, tag, position) VALUES ('i1', 'a', 1), ('i1', 'z', 0)`)

	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("Up() error = %v", err)
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v != last {
		t.Fatalf("version after Up = %d, %v; want %d", v, err, last)
	}

	t.Run("same tables, columns and indexes as SQLite", func(t *testing.T) {
		lite := openTest(t)
		if _, err := Migrate(ctx, lite); err != nil {
			t.Fatal(err)
		}
		var liteTables, pgTables []string
		lite.Raw(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'items_fts%' AND name != 'goose_db_version' ORDER BY name`).Scan(&liteTables)
		pgTables = pgStrings(t, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name NOT IN ('goose_db_version', 'items_search') ORDER BY table_name`, schema)
		if !slices.Equal(liteTables, pgTables) {
			t.Errorf("tables: SQLite %v, PostgreSQL %v", liteTables, pgTables)
		}
		for _, table := range liteTables {
			var liteCols []string
			lite.Raw("SELECT name FROM pragma_table_info(?) ORDER BY name", table).Scan(&liteCols)
			pgCols := pgStrings(t, db, `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY column_name COLLATE "C"`, schema, table)
			if !slices.Equal(liteCols, pgCols) {
				t.Errorf("columns of %s: SQLite %v, PostgreSQL %v", table, liteCols, pgCols)
			}
		}
		var liteIndexes []string
		lite.Raw(`SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`).Scan(&liteIndexes)
		pgIndexes := pgStrings(t, db, `SELECT indexname FROM pg_indexes WHERE schemaname = $1`, schema)
		for _, name := range liteIndexes {
			if !slices.Contains(pgIndexes, name) {
				t.Errorf("index %s of SQLite is missing", name)
			}
		}
	})

	t.Run("types and collations", func(t *testing.T) {
		type column struct{ typ, collation, identity string }
		cols := map[string]column{}
		rows, err := db.QueryContext(ctx, `SELECT table_name, column_name, data_type, COALESCE(collation_name, ''), COALESCE(identity_generation, '')
			FROM information_schema.columns WHERE table_schema = $1 AND table_name != 'goose_db_version'`, schema)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var table, name string
			var c column
			if err := rows.Scan(&table, &name, &c.typ, &c.collation, &c.identity); err != nil {
				t.Fatal(err)
			}
			cols[table+"."+name] = c
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]column{
			"items.seq":                {"bigint", "", "BY DEFAULT"},
			"login_failures.id":        {"bigint", "", "BY DEFAULT"},
			"users.active":             {"boolean", "", ""},
			"items.title":              {"text", "C", ""},
			"items.fields":             {"text", "", ""},
			"revisions.snapshot":       {"text", "", ""},
			"items.version":            {"bigint", "", ""},
			"content_state.generation": {"bigint", "", ""},
			"item_tags.published_at":   {"timestamp with time zone", "", ""},
			"items_search.doc":         {"tsvector", "", ""},
		} {
			if got := cols[name]; got != want {
				t.Errorf("%s = %+v, want %+v", name, got, want)
			}
		}
		for name, c := range cols {
			col := name[strings.IndexByte(name, '.')+1:]
			key := col == "id" || col == "key" || col == "slug" || col == "hash" || col == "tag" || strings.HasSuffix(col, "_id")
			if key && c.typ == "text" && c.collation != "C" {
				t.Errorf("%s: collation %q, want C", name, c.collation)
			}
			if c.typ == "timestamp without time zone" || c.typ == "json" || c.typ == "jsonb" {
				t.Errorf("%s is %s", name, c.typ)
			}
		}
		var gin string
		db.QueryRowContext(ctx, `SELECT am.amname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam
			WHERE i.relname = 'items_search_doc' AND i.relnamespace = $1::regnamespace`, schema).Scan(&gin)
		if gin != "gin" {
			t.Errorf("index items_search_doc: access method %q, want gin", gin)
		}
		triggers := pgStrings(t, db, `SELECT c.relname || '.' || g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
			WHERE c.relnamespace = $1::regnamespace AND NOT g.tgisinternal ORDER BY 1`, schema)
		want := []string{"content_state.content_state_notify", "item_tags.item_tags_listed_insert", "items.item_tags_listed_update"}
		if !slices.Equal(triggers, want) {
			t.Errorf("triggers = %v, want %v", triggers, want)
		}
	})

	t.Run("backfills", func(t *testing.T) {
		var copied time.Time
		if err := db.QueryRowContext(ctx, `SELECT published_at FROM item_tags WHERE item_id = 'i1' AND tag = 'a'`).Scan(&copied); err != nil || !copied.Equal(published) {
			t.Errorf("item_tags.published_at of an item published before 00007 = %v, %v; want %v", copied, err, published)
		}
		// The tags' names in the item's order of them (z, then a), as the application writes it.
		var same bool
		err := db.QueryRowContext(ctx, `SELECT doc = setweight(to_tsvector('folio', 'Kōbe harbour'), 'A') || setweight(to_tsvector('folio', ''), 'B') ||
				setweight(to_tsvector('folio', 'Zulu Alfa'), 'C') || setweight(to_tsvector('folio', 'Write to foo bar com about co operative banks'), 'D')
			FROM items_search s JOIN items i ON i.seq = s.seq WHERE i.id = 'i1'`).Scan(&same)
		if err != nil || !same {
			t.Errorf("search document of an item there before 00005: equal %v, %v", same, err)
		}
		for query, want := range map[string]bool{
			"kobe & harbour":  true,
			"zulu:C & alfa:C": true,
			"bar:D":           true,
			"operative":       true,
			"harbour:D":       false,
		} {
			var match bool
			if err := db.QueryRowContext(ctx, `SELECT doc @@ to_tsquery('folio', $1) FROM items_search`, query).Scan(&match); err != nil || match != want {
				t.Errorf("backfilled document @@ %q = %v, %v; want %v", query, match, err, want)
			}
		}
	})

	t.Run("search text", func(t *testing.T) {
		for in, want := range map[string]string{
			"Kōbe coopératives":            "Kōbe coopératives",
			"foo@bar.com":                  "foo bar com",
			"co-operative, 3.5 snake_case": "co operative 3 5 snake case",
			"Ελληνικά 東京 Москва":           "Ελληνικά 東京 Москва",
		} {
			var got string
			if err := db.QueryRowContext(ctx, "SELECT folio_search_text($1)", in).Scan(&got); err != nil || got != want {
				t.Errorf("folio_search_text(%q) = %q, %v; want %q", in, got, err, want)
			}
		}
		// Whatever the collation of the text: under "C" [:alnum:] is ASCII only.
		var kobe string
		if err := db.QueryRowContext(ctx, `SELECT folio_search_text('Kōbe' COLLATE "C")`).Scan(&kobe); err != nil || kobe != "Kōbe" {
			t.Errorf(`folio_search_text('Kōbe' COLLATE "C") = %q, %v`, kobe, err)
		}
		var empty string
		if err := db.QueryRowContext(ctx, "SELECT folio_search_text(NULL)").Scan(&empty); err != nil || empty != "" {
			t.Errorf("folio_search_text(NULL) = %q, %v; want empty", empty, err)
		}
		for _, c := range []struct {
			text, query string
			want        bool
		}{
			{"Les coopératives de Kōbe", "cooperatives & kobe", true},
			{"Les cooperatives", "coopératives", true},
			{"Write to foo@bar.com", "bar", true},
			{"A co-operative bank", "operative", true},
			{"Version 3.5", "5", true},
			{"café2024", "cafe2024", true},
			{"Les coopératives", "coop:*", true},
			{"Les coopératives", "cooperation", false},
		} {
			var match bool
			err := db.QueryRowContext(ctx, "SELECT to_tsvector('folio', folio_search_text($1)) @@ to_tsquery('folio', $2)", c.text, c.query).Scan(&match)
			if err != nil || match != c.want {
				t.Errorf("%q matches %q = %v, %v; want %v", c.text, c.query, match, err, c.want)
			}
		}
	})

	t.Run("item_tags.published_at follows the item", func(t *testing.T) {
		stale := func(step string) {
			t.Helper()
			var n int
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM item_tags x JOIN items i ON i.id = x.item_id WHERE x.published_at IS DISTINCT FROM i.published_at`).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %d tag rows have another published_at than their item (%v)", step, n, err)
			}
		}
		exec(`INSERT INTO items (id, type, slug, title, status, author_id, created_at, updated_at) VALUES ('i2', 'news', 'two', 'Two', 'draft', 'u1', now(), now())`)
		exec(`INSERT INTO item_tags (item_id, tag, position) VALUES ('i2', 'a', 0)`)
		stale("draft tagged")
		at := published.Add(time.Hour)
		exec(`UPDATE items SET status = 'published', published_at = $1 WHERE id = 'i2'`, at)
		stale("published")
		exec(`INSERT INTO item_tags (item_id, tag, position) VALUES ('i2', 'z', 1)`)
		stale("tag added to a published item")
		exec(`UPDATE items SET published_at = $1 WHERE id = 'i2'`, at.Add(time.Hour))
		stale("rescheduled")
		exec(`UPDATE items SET status = 'draft', published_at = NULL WHERE id = 'i2'`)
		stale("unpublished")
		exec(`UPDATE tags SET slug = 'zz' WHERE slug = 'z'`)
		stale("tag renamed")
		// An import writes the copy itself, and the insert trigger leaves it.
		exec(`INSERT INTO items (seq, id, type, slug, title, status, published_at, author_id, created_at, updated_at) VALUES (1000, 'i3', 'news', 'three', 'Three', 'published', $1, 'u1', now(), now())`, at)
		exec(`INSERT INTO item_tags (item_id, tag, position, published_at) VALUES ('i3', 'a', 0, $1)`, at)
		stale("imported")
		var seq int64
		if err := db.QueryRowContext(ctx, `INSERT INTO items (id, type, slug, title, status, author_id, created_at, updated_at) VALUES ('i4', 'news', 'four', 'Four', 'draft', 'u1', now(), now()) RETURNING seq`).Scan(&seq); err != nil || seq <= 0 {
			t.Errorf("seq of a new item = %d, %v", seq, err)
		}
	})

	t.Run("a content change is announced", func(t *testing.T) {
		listener, err := pgx.Connect(ctx, os.Getenv(dbtest.EnvPostgres))
		if err != nil {
			t.Fatal(err)
		}
		defer listener.Close(context.WithoutCancel(ctx))
		if _, err := listener.Exec(ctx, "LISTEN folio_content"); err != nil {
			t.Fatal(err)
		}
		// The channel is the database's: other tests' schemas may announce theirs meanwhile.
		n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
		if err != nil {
			t.Fatal(err)
		}
		exec("UPDATE content_state SET generation = $1", n.Int64())
		var want int64
		if err := db.QueryRowContext(ctx, "UPDATE content_state SET generation = generation + 1 RETURNING generation").Scan(&want); err != nil {
			t.Fatal(err)
		}
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for {
			note, err := listener.WaitForNotification(wait)
			if err != nil {
				t.Fatalf("no notification of generation %d: %v", want, err)
			}
			if note.Channel == "folio_content" && note.Payload == strconv.FormatInt(want, 10) {
				break
			}
		}
	})

	// Every migration must be reversible, down to an empty schema.
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("DownTo(0) error = %v", err)
	}
	left := pgStrings(t, db, `SELECT 'relation ' || relname FROM pg_class WHERE relnamespace = $1::regnamespace AND relname NOT LIKE 'goose_db_version%'
		UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = $1::regnamespace
		UNION ALL SELECT 'text search configuration ' || cfgname FROM pg_ts_config WHERE cfgnamespace = $1::regnamespace
		UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typnamespace = $1::regnamespace AND typname NOT LIKE '%goose_db_version%'`, schema)
	if len(left) != 0 {
		t.Errorf("left after DownTo(0): %v", left)
	}
	// And up again, so that the down steps left nothing that breaks a re-run.
	if res, err := p.Up(ctx); err != nil || len(res) != len(sources) {
		t.Fatalf("Up() after down = %d results, %v; want %d", len(res), err, len(sources))
	}
}

// pgStrings returns the first column of the rows of query.
func pgStrings(t *testing.T, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}
