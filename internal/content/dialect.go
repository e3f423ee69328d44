package content

import (
	"context"
	"database/sql"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/database"
)

// dialect is what the store's SQL says differently on SQLite and on PostgreSQL: full-text
// search and filters on an item's JSON fields. Every other query is the same SQL on both.
//
// Both keep the same contract: every typed word must match, diacritics ignored, the last word
// as a prefix; relevance weighs the title most, then the summary, the tags and the body, and
// is a number where lower ranks first; snippets mark matches with MarkStart and MarkEnd.
type dialect interface {
	// searchQuery is what a person typed as the engine's query ("" when nothing is searchable).
	searchQuery(typed string) string
	// searchIndex is the index as a FROM names it, searchOn the condition that joins it to the
	// items (AS i), searchNewest the order of its newest matches first.
	searchIndex() string
	searchOn() string
	searchNewest() string
	// searchMatch is the condition that an item matches the query (one parameter: the query).
	searchMatch() string
	// searchRank is the relevance of a matched item, lower first. hits are the numbers of
	// items that hold each of rankPhrases(query), counted by the caller.
	searchRank(query string, hits []int64) (string, []any)
	rankPhrases(query string) []string
	// expandsPrefixes: a search's last word, a prefix, is better written out as the words it
	// is a prefix of (prefix.go).
	expandsPrefixes() bool
	// indexItemsSQL writes the index entries of the items (AS i) that a condition appended to it
	// selects; unindexItemsSQL removes the entries of items (one parameter: a list of their
	// ids), and unindexAllSQL every entry.
	indexItemsSQL() string
	unindexItemsSQL() string
	unindexAllSQL() string
	// tagListSQL is the slugs of the tags of the item i, in their order, joined by commas.
	tagListSQL() string
	// fieldEquals is the condition that an item's field name equals value.
	fieldEquals(name string, value any) (string, []any)
	// listedTags is item_tags AS t, read through its index of listed items by publication time
	// (see typeAndTags), where the engine would otherwise choose the primary key.
	listedTags() string
	// hasRow is the condition that a correlated subquery finds a row, tested as soon as the
	// tables it refers to are read: before the rest of a join when those come first.
	hasRow(subquery string) string
	// listedItems is items AS i, read through its index of public items by seq (migration
	// 00009), for a search's window; the query must require status published and no trash.
	listedItems() string
	// itemsBy is items AS i, read through the named index (sortIndex): the engine would pick
	// another that matches more of the query's conditions and then sort every item it finds.
	itemsBy(index string) string
	// placeholders turns the ? of a statement for database/sql into the driver's own.
	placeholders(sql string) string
	// bulkLoadStart and bulkLoadEnd are the statements around an import's writes.
	bulkLoadStart() []string
	bulkLoadEnd() []string
	// deferIndexes drops the indexes of tables that serve reads only (neither a key nor
	// unique) and returns the statements that create them again, in tx. nil when the
	// database keeps its indexes through a bulk load.
	deferIndexes(ctx context.Context, tx *sql.Tx, tables ...string) ([]string, error)
}

func dialectOf(db *gorm.DB) dialect {
	if database.IsPostgres(db) {
		return postgresDialect{}
	}
	return sqliteDialect{}
}

// sqliteDialect searches with FTS5 (migration 00005) and reads fields with json_extract.
type sqliteDialect struct{}

func (sqliteDialect) searchQuery(typed string) string { return ftsQuery(typed) }
func (sqliteDialect) searchIndex() string             { return "items_fts" }
func (sqliteDialect) searchOn() string                { return "items_fts.rowid = i.seq" }
func (sqliteDialect) searchNewest() string            { return "items_fts.rowid DESC" }
func (sqliteDialect) searchMatch() string             { return "items_fts MATCH ?" }

// bm25 by column (title, summary, body, tags): a word in the title counts most. folio_bm25 is
// bm25 with the counts of the query's phrases given (Store.searchRank).
func (sqliteDialect) searchRank(_ string, hits []int64) (string, []any) {
	args := make([]any, len(hits))
	for i, n := range hits {
		args[i] = n
	}
	return "folio_bm25(items_fts, 10.0, 4.0, 1.0, 2.0" + strings.Repeat(", ?", len(hits)) + ")", args
}

// rankPhrases are the phrases of an FTS5 query from ftsQuery or expandPrefix: its quoted words,
// the last perhaps with its *, in the order bm25 numbers them.
func (sqliteDialect) rankPhrases(query string) []string { return ftsPhrase.FindAllString(query, -1) }

var ftsPhrase = regexp.MustCompile(`"(?:[^"]|"")*"\*?`)

func (sqliteDialect) expandsPrefixes() bool { return true }

func (sqliteDialect) indexItemsSQL() string {
	return `INSERT INTO items_fts (rowid, title, summary, body, tags)
	SELECT i.seq, i.title, COALESCE(i.summary, ''), i.body,
	       COALESCE((SELECT group_concat(t.name, ' ' ORDER BY x.position) FROM item_tags x JOIN tags t ON t.slug = x.tag WHERE x.item_id = i.id), '')
	  FROM items i WHERE `
}

func (sqliteDialect) unindexItemsSQL() string {
	return "DELETE FROM items_fts WHERE rowid IN (SELECT seq FROM items WHERE id IN ?)"
}

// The index keeps no copy of the texts (migration 00012), so FTS5 empties it with a command
// rather than by reading its rows to delete them one by one.
func (sqliteDialect) unindexAllSQL() string {
	return "INSERT INTO items_fts (items_fts) VALUES ('delete-all')"
}

func (sqliteDialect) tagListSQL() string {
	return "(SELECT group_concat(x.tag, ',' ORDER BY x.position) FROM item_tags x WHERE x.item_id = i.id)"
}

// The path is built from a field name the type defines ([a-z][a-z0-9_]*), never raw text.
func (sqliteDialect) fieldEquals(name string, value any) (string, []any) {
	if b, ok := value.(bool); ok {
		value = 0
		if b {
			value = 1 // json_extract gives 1 for true
		}
	}
	return "json_extract(i.fields, ?) = ?", []any{"$." + name, value}
}

func (sqliteDialect) placeholders(sql string) string { return sql }

func (sqliteDialect) listedTags() string { return "item_tags t INDEXED BY item_tags_published" }

// hasRow: SQLite (since 3.50) turns an EXISTS into a join, which its planner may place after a
// table that the subquery does not need. A list of two tags that seldom meet then read each
// candidate's row in items before its second tag, where it read the tag's index alone
// (measured with strace on 100,000 items, 32 pages of lists of two tags: 1,415 page reads from
// the file a page, against 144 the other way). A scalar subquery is not turned into a join: it
// is tested in the loop of the tables it names, here the first tag's index.
func (sqliteDialect) hasRow(subquery string) string { return "(" + subquery + " LIMIT 1) IS NOT NULL" }

func (sqliteDialect) listedItems() string { return "items AS i INDEXED BY items_listed_seq" }

// itemsBy: SQLite weighs an index by the conditions it serves, not by the sort it saves: a
// list of one type by title chose items_type_published (the type and published_at <= now)
// and sorted the type's items.
func (sqliteDialect) itemsBy(index string) string { return "items AS i INDEXED BY " + index }

// FTS5 merges its index segments a little on every write; a bulk load merges once, at the end,
// when the index is whole. Then merging on every write goes back on, at 8 (migration 00010). Left
// in many segments, the index would make the next writes through the API each merge some: one
// of them merged for 1.7 s after 200,000 items were imported (measured); optimized, a write to
// the index takes 0.5 ms.
//
// FTS5 also writes out a segment each time the entries it holds in memory reach its hashsize,
// 1 MiB by default: at a segment per few hundred items, an import of 100,000 items built some
// hundred segments and merged them again and again (36% of the last phase of an import,
// perf). A bulk load holds up to 32 MiB (bulkHashSize): the index of 100,000 items was built
// in 8.7 s instead of 15.2 s, measured with the statement alone. The setting is the index's
// own, so it is set back with the rest.
func (sqliteDialect) bulkLoadStart() []string {
	return []string{
		"INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 0)",
		"INSERT INTO items_fts (items_fts, rank) VALUES ('hashsize', " + strconv.Itoa(bulkHashSize) + ")",
	}
}

func (sqliteDialect) bulkLoadEnd() []string {
	return []string{
		"INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 8)",
		"INSERT INTO items_fts (items_fts, rank) VALUES ('hashsize', " + strconv.Itoa(fts5HashSize) + ")",
		"INSERT INTO items_fts (items_fts) VALUES ('optimize')",
	}
}

const (
	bulkHashSize = 32 << 20 // FTS5's hashsize through a bulk load
	fts5HashSize = 1 << 20  // its default, which every other write keeps
)

// deferIndexes: SQLite keeps an index up to date row by row, and an import's rows come in no
// useful order for most indexed columns (titles, dates, authors), so that at each row every
// index had a page to find, and pages left the cache to be read back from the log
// (sqlite3BtreeIndexMoveto, 27% of an import's first half, perf). CREATE INDEX sorts the rows once instead. The
// statements come from the schema, so they are the migrations' own.
func (sqliteDialect) deferIndexes(ctx context.Context, tx *sql.Tx, tables ...string) ([]string, error) {
	var names, creates []string
	for _, table := range tables {
		n, c, err := readIndexes(ctx, tx, table)
		if err != nil {
			return nil, err
		}
		names, creates = append(names, n...), append(creates, c...)
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return nil, err
		}
	}
	return creates, nil
}

// readIndexes returns the names and statements of table's indexes that are neither a key nor
// unique.
func readIndexes(ctx context.Context, tx *sql.Tx, table string) (names, creates []string, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT l.name, m.sql FROM pragma_index_list(?) AS l JOIN sqlite_schema AS m ON m.type = 'index' AND m.name = l.name
		WHERE l.origin = 'c' AND NOT l."unique" ORDER BY l.name`, table)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, create string
		if err := rows.Scan(&name, &create); err != nil {
			return nil, nil, err
		}
		names, creates = append(names, name), append(creates, create)
	}
	return names, creates, rows.Err()
}

// postgresDialect searches a tsvector per item (items_search, GIN-indexed) built with the text
// search configuration folio (simple words, unaccented), and compares fields as jsonb.
type postgresDialect struct{}

// searchQuery builds a tsquery of the typed words, each quoted as a literal lexeme and all
// required, the last one a prefix: the same words as FTS5's, so the same text matches.
func (postgresDialect) searchQuery(typed string) string { return tsquery(typed, "") }

// tsquery is searchQuery's query, its words restricted to the weights given (A for the title,
// B the summary, C the tags, D the body; all when empty).
func tsquery(typed, weights string) string {
	terms, prefix := searchTerms(typed)
	if len(terms) == 0 {
		return ""
	}
	q := ""
	for i, t := range terms {
		if i > 0 {
			q += " & "
		}
		q += "'" + t + "'" // letters and digits only: nothing to escape
		switch {
		case prefix && i == len(terms)-1:
			q += ":*" + weights
		case weights != "":
			q += ":" + weights
		}
	}
	return q
}

func (postgresDialect) searchIndex() string  { return "items_search AS s" }
func (postgresDialect) searchOn() string     { return "s.seq = i.seq" }
func (postgresDialect) searchNewest() string { return "s.seq DESC" }
func (postgresDialect) searchMatch() string  { return "s.doc @@ to_tsquery('folio', ?)" }

// ts_rank's weights are for the labels D (body), C (tags), B (summary), A (title), in the
// proportions of the bm25 weights on SQLite; negated, since higher ranks first there.
func (postgresDialect) searchRank(query string, _ []int64) (string, []any) {
	return "-ts_rank('{0.1, 0.2, 0.4, 1.0}', s.doc, to_tsquery('folio', ?))", []any{query}
}

// ts_rank needs no counts of the query's words: it weighs the words of one document only.
func (postgresDialect) rankPhrases(string) []string { return nil }

// A GIN index finds a prefix's words itself, from its sorted keys.
func (postgresDialect) expandsPrefixes() bool { return false }

func (postgresDialect) indexItemsSQL() string {
	return `INSERT INTO items_search (seq, doc)
	SELECT i.seq,
	       setweight(to_tsvector('folio', folio_search_text(i.title)), 'A') ||
	       setweight(to_tsvector('folio', folio_search_text(COALESCE(i.summary, ''))), 'B') ||
	       setweight(to_tsvector('folio', folio_search_text(COALESCE((SELECT string_agg(t.name, ' ' ORDER BY x.position) FROM item_tags x JOIN tags t ON t.slug = x.tag WHERE x.item_id = i.id), ''))), 'C') ||
	       setweight(to_tsvector('folio', folio_search_text(i.body)), 'D')
	  FROM items i WHERE `
}

func (postgresDialect) unindexItemsSQL() string {
	return "DELETE FROM items_search WHERE seq IN (SELECT seq FROM items WHERE id IN ?)"
}

func (postgresDialect) unindexAllSQL() string { return "DELETE FROM items_search" }

func (postgresDialect) tagListSQL() string {
	return "(SELECT string_agg(x.tag, ',' ORDER BY x.position) FROM item_tags x WHERE x.item_id = i.id)"
}

// Fields are stored as text (their bytes are the ETag's); compared as jsonb, a value equals
// its JSON encoding: "Online", 3 (3.0 too), true.
func (postgresDialect) fieldEquals(name string, value any) (string, []any) {
	b, err := json.Marshal(value)
	if err != nil {
		b = []byte("null") // values are strings, numbers and booleans: cannot happen
	}
	return "(i.fields::jsonb -> ?) = ?::jsonb", []any{name, string(b)}
}

// listedTags: PostgreSQL keeps the pages it reads in shared buffers, so the primary key's
// scattered pages are not read from the OS again and again as SQLite's small per-connection
// cache reads them.
func (postgresDialect) listedTags() string { return "item_tags t" }

func (postgresDialect) hasRow(subquery string) string { return "EXISTS (" + subquery + ")" }

func (postgresDialect) listedItems() string { return "items AS i" }

// itemsBy: PostgreSQL costs the sort and the limit from its statistics.
func (postgresDialect) itemsBy(string) string { return "items AS i" }

// placeholders numbers the ? of a statement ($1, $2…), as pgx wants them; the statements given
// to it have no ? inside strings.
func (postgresDialect) placeholders(sql string) string {
	var b strings.Builder
	n := 0
	for _, r := range sql {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// A GIN index takes a bulk load as it comes; its statistics are refreshed for the planner.
func (postgresDialect) bulkLoadStart() []string { return nil }
func (postgresDialect) bulkLoadEnd() []string {
	return []string{"ANALYZE items, item_tags, items_search"}
}

// deferIndexes: on PostgreSQL an import keeps its indexes (whether rebuilding them would pay
// there has not been measured).
func (postgresDialect) deferIndexes(context.Context, *sql.Tx, ...string) ([]string, error) {
	return nil, nil
}
