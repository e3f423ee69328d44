package content

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Full-text search: title, summary, body (its Markdown source: the tokenizer skips the
// punctuation) and tag names, indexed in the transaction of every write that changes them. The
// index and its queries are the dialect's (dialect.go): FTS5 on SQLite (items_fts, migration
// 00005), tsvector and GIN on PostgreSQL (items_search).

// Markers of the matched words in snippets; the HTTP edge turns them into <mark> after escaping
// the text around them.
const (
	MarkStart = "\x01"
	MarkEnd   = "\x02"
)

// maxSearchTerms bounds the words of a search.
const maxSearchTerms = 16

// searchTerms splits what a person typed into the words of a search: every run of letters and
// digits, so that AND, OR, NOT, NEAR, quotes, parentheses and * are just words or nothing. The
// last word is a prefix while it may still be being typed (no space after it).
func searchTerms(q string) (terms []string, prefix bool) {
	terms = strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	if len(terms) > maxSearchTerms {
		terms = terms[:maxSearchTerms]
	}
	if len(terms) == 0 {
		return nil, false
	}
	last := q[len(q)-1]
	return terms, last != ' ' && last != '\t'
}

// ftsQuery turns what a person typed into an FTS5 query that treats all of it as text: each
// word a quoted term, all of them required, the last a prefix (searchTerms). It returns ""
// when nothing searchable is left.
func ftsQuery(q string) string {
	terms, prefix := searchTerms(q)
	if len(terms) == 0 {
		return ""
	}
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `"` // letters and digits only: nothing to escape
	}
	if prefix {
		quoted[len(quoted)-1] += "*"
	}
	return strings.Join(quoted, " ")
}

// reindex has an item's entry in the search index written anew, from the item as it is at the
// end of tx's transaction: at its end, with the other items its group of writes changed
// (database.Batch), so that FTS5 writes the new entries out once, not at each write's
// savepoint.
func (s *Store) reindex(tx *gorm.DB, itemID string) error {
	return s.reindexing.Add(tx, itemID)
}

// reindexChunk bounds the ids in one statement (SQLite allows 32,766 parameters).
const reindexChunk = 500

// reindexItems writes the search index entries of items anew.
func (s *Store) reindexItems(tx *gorm.DB, ids []string) error {
	for chunk := range slices.Chunk(ids, reindexChunk) {
		if err := tx.Exec(s.d.unindexItemsSQL(), chunk).Error; err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		if err := tx.Exec(s.d.indexItemsSQL()+"i.id IN ?", chunk).Error; err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	return nil
}

// RebuildSearchIndex builds the search index anew from every item in tx, a write transaction.
// The index is derived data in a form of each database's own (FTS5, tsvector), so a copy of a
// database between them rebuilds it rather than copying it. It is written as a bulk load is,
// and ends compacted on SQLite, with fresh planner statistics on PostgreSQL.
func RebuildSearchIndex(ctx context.Context, tx *gorm.DB) error {
	d := dialectOf(tx)
	stmts := append(append(d.bulkLoadStart(), d.unindexAllSQL(), d.indexItemsSQL()+"TRUE"), d.bulkLoadEnd()...)
	for _, stmt := range stmts {
		if err := tx.WithContext(ctx).Exec(stmt).Error; err != nil {
			return fmt.Errorf("rebuild the search index: %w", err)
		}
	}
	return nil
}

// rankKey is a relevance score as a cursor keeps it: exactly, so the next page starts where the
// last ended.
func rankKey(rank float64) string { return strconv.FormatFloat(rank, 'g', -1, 64) }

// Relevance on SQLite is bm25 with the document frequencies of the query's words ("how many
// items hold it") given to it, from phraseHits, rather than counted by FTS5 on every query
// (folio_bm25, internal/database/rank.c). FTS5 counts them by walking every item that holds
// the word: for a word in most of a million items, 30 ms a word, measured with sqlite3 on the
// benchmark's database, where the rest of the ranked window costs 2 ms. A count of 1,000 or
// more is kept for a minute: the items written in that minute change a common word's weight
// by a fraction of what separates a word in the title from one in the body. Smaller counts
// are cheap and exact, every time.
const (
	phraseHitsTTL      = time.Minute
	phraseHitsKeptFrom = 1000
)

func newPhraseHits() *countMemo {
	return &countMemo{ttl: phraseHitsTTL, keepFrom: phraseHitsKeptFrom}
}

// countPhrase is how many items hold phrase p (an FTS5 phrase, as rankPhrases gives them). A
// phrase of one word of ASCII letters and digits is read from the index's list of words, whose
// count FTS5 makes without a row of the query engine for each item: half the time of counting
// the matches (measured with sqlite3 on 1,000,000 items: 3 ms against 6 ms for a word in 73,435
// of them), and a search's first use of a common word is mostly this count. Others (a prefix,
// letters that the tokenizer folds) are counted by matching them.
func (s *Store) countPhrase(ctx context.Context, db *gorm.DB, p string) (n int64, err error) {
	if w, ok := strings.CutPrefix(p, `"`); ok {
		if w, ok = strings.CutSuffix(w, `"`); ok {
			if word, ok := asciiWord(w); ok {
				err = withContext(db, ctx).Raw("SELECT doc FROM items_fts_words WHERE term = ?", word).Scan(&n).Error
				return n, err // none when no item has the word
			}
		}
	}
	err = withContext(db, ctx).Raw("SELECT count(*) FROM "+s.d.searchIndex()+" WHERE "+s.d.searchMatch(), p).Scan(&n).Error
	return n, err
}

// asciiWord is w in lower case, as the tokenizer folds it, when w is ASCII letters and digits.
func asciiWord(w string) (string, bool) {
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return "", false
		}
	}
	w = strings.ToLower(w)
	return w, isASCIIWord(w)
}

// prepareSearch sets the engine's query of q's search and its relevance expression (see
// dialect.searchRank), with the counts of its words that the dialect asks for; unless q has no
// search or has them already.
func (s *Store) prepareSearch(ctx context.Context, db *gorm.DB, q *Query) error {
	if q.Q == "" || q.rank != "" {
		return nil
	}
	query, known, err := s.expandPrefix(ctx, db, q.Q, s.d.searchQuery(q.Q))
	if err != nil {
		return err
	}
	phrases := s.d.rankPhrases(query)
	hits := make([]int64, len(phrases))
	for i, p := range phrases {
		if n, ok := known[p]; ok {
			hits[i] = n
			continue
		}
		n, err := s.phraseHits.get(strings.ToLower(p), s.clock(), func() (int64, error) { return s.countPhrase(ctx, db, p) })
		if err != nil {
			return wrap(err, "count the items of a searched word")
		}
		hits[i] = n
	}
	q.search = query
	q.rank, q.rankArgs = s.d.searchRank(query, hits)
	q.matchEstimate = -1
	if len(hits) > 0 {
		q.matchEstimate = slices.Min(hits) // every phrase must match: at most this many
	}
	return nil
}
