package content

import (
	"context"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// A search's last word is a prefix while it may still be being typed. FTS5 answers a prefix
// query from a prefix index when one has its length (migration 00005: 2 to 4 characters);
// for a longer prefix it reads, before the first match, every item of every word that starts
// with it: 16-24 ms for a word in half of a million items, measured with sqlite3, where the
// window of newest matches of the word itself takes under a millisecond. So a longer prefix
// is written out as the words that start with it (coope* as cooperative OR cooperatives),
// looked up in the index's list of words (items_fts_words, migration 00009), which FTS5 walks
// lazily, newest first. The result is the same set of items; relevance then weighs each word
// by its own rarity, as it does for any words of a search.
//
// The lookup reads the same doclists FTS5 would, so it is kept: until the next write to the
// content (a new word, or a word's last item gone, changes the list) and at most
// maxPrefixLookups of them. A write by another process is seen, as by the response cache,
// when this one learns of it (changes.Watch).
const (
	// longestIndexedPrefix is the longest prefix FTS5 has an index for (00005's prefix option).
	longestIndexedPrefix = 4
	// maxPrefixWords: a prefix with more words than this is left to FTS5, which merges them
	// at its cost rather than a query of hundreds of alternatives.
	maxPrefixWords   = 32
	maxPrefixLookups = 10_000
)

// prefixWords are the words of the search index that start with a prefix, with the number of
// items holding each.
type prefixWords struct {
	words []string
	hits  []int64
}

// prefixMemo keeps prefix lookups for one content generation.
type prefixMemo struct {
	mu     sync.Mutex
	gen    uint64
	lookup map[string]*prefixWords // nil value: too many words, or none
}

// expandPrefix returns query, the engine's query for typed, with its last word written out as
// the words it is a prefix of, and those words' counts of items, when that is possible and
// worth it; otherwise query as it is.
func (s *Store) expandPrefix(ctx context.Context, db *gorm.DB, typed, query string) (string, map[string]int64, error) {
	terms, prefix := searchTerms(typed)
	if !prefix || !s.d.expandsPrefixes() {
		return query, nil, nil
	}
	last := strings.ToLower(terms[len(terms)-1])
	if len(last) <= longestIndexedPrefix || !isASCIIWord(last) {
		// Short: FTS5's prefix index answers it. Not ASCII: folded by FTS5's tokenizer in ways
		// that a Go fold may not reproduce exactly, so FTS5 looks it up itself.
		return query, nil, nil
	}
	for _, t := range terms[:len(terms)-1] {
		// A word of letters that FTS5's tokenizer does not index is a phrase of nothing,
		// which FTS5 leaves out of an implicit AND but which fails an explicit one (below).
		if !isASCIIWord(strings.ToLower(t)) {
			return query, nil, nil
		}
	}
	pw, err := s.lookUpPrefix(ctx, db, last)
	if err != nil || pw == nil {
		return query, nil, err
	}
	quoted := make([]string, len(pw.words))
	hits := make(map[string]int64, len(pw.words))
	for i, w := range pw.words {
		// The index's words are the tokenizer's runs of letters and digits; a quote, were one
		// ever there, is doubled as FTS5 escapes it.
		quoted[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
		hits[quoted[i]] = pw.hits[i]
	}
	expanded := "(" + strings.Join(quoted, " OR ") + ")"
	if len(terms) > 1 {
		// FTS5 joins phrases with an implicit AND, but a parenthesised group needs it said.
		expanded = ftsQuery(strings.Join(terms[:len(terms)-1], " ")+" ") + " AND " + expanded
	}
	return expanded, hits, nil
}

// lookUpPrefix returns the words that start with prefix, from memory when the content has not
// changed since it last looked; nil when there are none or more than maxPrefixWords.
func (s *Store) lookUpPrefix(ctx context.Context, db *gorm.DB, prefix string) (*prefixWords, error) {
	var gen uint64
	m := s.prefixes
	if s.changes != nil {
		gen = s.changes.Current()
		m.mu.Lock()
		pw, ok := m.lookup[prefix]
		if m.gen != gen {
			ok = false
		}
		m.mu.Unlock()
		if ok {
			return pw, nil
		}
	}
	var rows []struct {
		Term string
		Doc  int64
	}
	// Every word starting with prefix sorts from prefix up to prefix followed by the byte
	// 0xff, which UTF-8 never uses.
	err := withContext(db, ctx).Raw("SELECT term, doc FROM items_fts_words WHERE term >= ? AND term < ? LIMIT ?",
		prefix, prefix+"\xff", maxPrefixWords+1).Scan(&rows).Error
	if err != nil {
		return nil, wrap(err, "look up the words of a prefix")
	}
	var pw *prefixWords
	if len(rows) > 0 && len(rows) <= maxPrefixWords {
		pw = &prefixWords{}
		for _, r := range rows {
			pw.words = append(pw.words, r.Term)
			pw.hits = append(pw.hits, r.Doc)
		}
	}
	if s.changes != nil {
		m.mu.Lock()
		switch {
		case gen < m.gen: // looked up before a write that another lookup has seen: not kept
		case gen > m.gen || m.lookup == nil || len(m.lookup) >= maxPrefixLookups:
			m.gen, m.lookup = gen, map[string]*prefixWords{prefix: pw}
		default:
			m.lookup[prefix] = pw
		}
		m.mu.Unlock()
	}
	return pw, nil
}

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
