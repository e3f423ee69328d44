package content

import (
	"context"
	"strconv"
	"strings"
	"unicode"

	"gorm.io/gorm"
)

// Full-text search runs on SQLite FTS5 (items_fts, migration 00005): title, summary, body
// (its Markdown source: the tokenizer skips the punctuation) and tag names, indexed in the
// transaction of every write that changes them.

// Search weights of bm25, by column: a word in the title counts most.
const searchRank = "bm25(items_fts, 10.0, 4.0, 1.0, 2.0)"

// Markers of the matched words in snippets; the HTTP edge turns them into <mark> after escaping
// the text around them.
const (
	MarkStart = "\x01"
	MarkEnd   = "\x02"
)

const searchSnippet = "snippet(items_fts, -1, char(1), char(2), '…', 16)"

// maxSearchTerms bounds the words of a search.
const maxSearchTerms = 16

// ftsQuery turns what a person typed into an FTS5 query that treats all of it as text: each
// run of letters and digits becomes a quoted term (so AND, OR, NOT, NEAR, quotes, parentheses
// and * are just words or nothing), all terms must match, and the last one matches as a prefix
// while it may still be being typed. It returns "" when nothing searchable is left.
func ftsQuery(q string) string {
	terms := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	if len(terms) > maxSearchTerms {
		terms = terms[:maxSearchTerms]
	}
	if len(terms) == 0 {
		return ""
	}
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `"` // letters and digits only: nothing to escape
	}
	last := q[len(q)-1]
	if last != ' ' && last != '\t' {
		quoted[len(quoted)-1] += "*"
	}
	return strings.Join(quoted, " ")
}

// addSnippets sets the search snippets of a page of results of the search q. They are made
// for the page alone, one item at a time: in the query that ranks the matches SQLite would make
// one for every match before sorting, and FTS5 reads every match for "rowid IN (…)", where it
// reads one for "rowid = ?".
func addSnippets(ctx context.Context, db *gorm.DB, q string, items []Item) error {
	fts := ftsQuery(q)
	if fts == "" {
		return nil
	}
	for i := range items {
		var snippet []string
		err := db.WithContext(ctx).Raw("SELECT "+searchSnippet+" FROM items_fts WHERE items_fts MATCH ? AND rowid = ?", fts, items[i].Seq).
			Scan(&snippet).Error
		if err != nil {
			return err
		}
		if len(snippet) > 0 {
			items[i].SearchSnippet = snippet[0]
		}
	}
	return nil
}

// indexItemsSQL writes the search index entries of the items (AS i) that a condition appended
// to it selects, from their rows and their tags' names in the item's order of them.
const indexItemsSQL = `INSERT INTO items_fts (rowid, title, summary, body, tags)
	SELECT i.seq, i.title, COALESCE(i.summary, ''), i.body,
	       COALESCE((SELECT group_concat(t.name, ' ' ORDER BY x.position) FROM item_tags x JOIN tags t ON t.slug = x.tag WHERE x.item_id = i.id), '')
	  FROM items i WHERE `

// reindex writes an item's entry in the search index anew.
func reindex(tx *gorm.DB, itemID string) error {
	if err := tx.Exec("DELETE FROM items_fts WHERE rowid = (SELECT seq FROM items WHERE id = ?)", itemID).Error; err != nil {
		return err
	}
	return tx.Exec(indexItemsSQL+"i.id = ?", itemID).Error
}

// rankKey is a relevance score as a cursor keeps it: exactly, so the next page starts where the
// last ended.
func rankKey(rank float64) string { return strconv.FormatFloat(rank, 'g', -1, 64) }
