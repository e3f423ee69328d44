package content

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
)

// snippetWords is how many words a snippet shows.
const snippetWords = 16

// addSnippets sets the search snippets of a page of results of the search q, made here from
// the texts the page has read rather than by the search engine: FTS5's snippet() and
// PostgreSQL's ts_headline each parse the item's text again, one query per item, which was
// most of a search's time (1–2 ms an item, 20 a page, measured with sqlite3 on 100,000 items),
// and both engines now give the same snippets.
//
// The snippet comes from the column with the most of the search's words (title, summary, body,
// then the tag names; the first of equals), around the words, which are marked with MarkStart
// and MarkEnd. Words are compared as the search index compares them: letters and digits, case
// and accents ignored, the last word as a prefix while it is being typed.
func (s *Store) addSnippets(ctx context.Context, db *gorm.DB, q string, items []Item) error {
	terms, prefix := searchTerms(q)
	if len(terms) == 0 || len(items) == 0 {
		return nil
	}
	for i := range terms {
		terms[i] = foldWord(terms[i])
	}
	m := matcher{terms: terms, prefix: prefix}
	var untold []int // items whose texts do not have the words: their tags' names may
	for i := range items {
		it := &items[i]
		summary := ""
		if it.Summary != nil {
			summary = *it.Summary
		}
		it.SearchSnippet = m.snippet(it.Title, summary, it.Body)
		if it.SearchSnippet == "" {
			untold = append(untold, i)
		}
	}
	if len(untold) == 0 {
		return nil
	}
	names, err := tagNames(ctx, db, items, untold)
	if err != nil {
		return err
	}
	for _, i := range untold {
		items[i].SearchSnippet = m.snippet(names[items[i].ID])
	}
	return nil
}

// tagNames returns the names of the tags of some items, in their order and joined by spaces as
// the search index has them, by item id.
func tagNames(ctx context.Context, db *gorm.DB, items []Item, which []int) (map[string]string, error) {
	ids := make([]string, len(which))
	for n, i := range which {
		ids[n] = items[i].ID
	}
	names := map[string]string{}
	err := eachItemTag(ctx, db, ids, true, func(id, name string) {
		if names[id] != "" {
			names[id] += " "
		}
		names[id] += name
	})
	return names, err
}

// matcher finds a search's words in texts.
type matcher struct {
	terms  []string // folded
	prefix bool     // the last term matches as a prefix
}

// word is a word of a text: its bytes, and which term it matches (-1: none).
type word struct {
	start, end int
	term       int
}

// snippet returns the text around the words of the search in the first of texts that has the
// most of them, or "" when none has any.
func (m matcher) snippet(texts ...string) string {
	best, bestText, bestWords, bestStart := 0, "", []word(nil), 0
	for _, text := range texts {
		words := m.words(text)
		start, found := m.window(words)
		if found > best {
			best, bestText, bestWords, bestStart = found, text, words, start
		}
	}
	if best == 0 {
		return ""
	}
	end := min(bestStart+snippetWords, len(bestWords))
	var b strings.Builder
	if bestStart > 0 {
		b.WriteString("…")
	}
	at := bestWords[bestStart].start
	if bestStart == 0 {
		at = 0 // the text from its beginning
	}
	for _, w := range bestWords[bestStart:end] {
		b.WriteString(bestText[at:w.start])
		if w.term >= 0 {
			b.WriteString(MarkStart + bestText[w.start:w.end] + MarkEnd)
		} else {
			b.WriteString(bestText[w.start:w.end])
		}
		at = w.end
	}
	if end < len(bestWords) {
		b.WriteString("…")
	} else {
		b.WriteString(bestText[at:]) // to its end
	}
	return b.String()
}

// window returns where the snippetWords words with the most distinct terms of the search begin
// (a few words before the first of them, for context), and how many terms they have.
func (m matcher) window(words []word) (start, found int) {
	const before = 3
	for i, w := range words {
		if w.term < 0 {
			continue
		}
		s := max(0, min(i-before, len(words)-snippetWords))
		seen := 0
		var n int
		for _, x := range words[s:min(s+snippetWords, len(words))] {
			if x.term >= 0 && seen&(1<<x.term) == 0 {
				seen |= 1 << x.term
				n++
			}
		}
		if n > found {
			start, found = s, n
			if n == len(m.terms) {
				break
			}
		}
	}
	return start, found
}

// words splits a text into its words as the search index does (runs of letters and digits),
// each with the term it matches. ASCII, most of most texts, is read a byte at a time, and its
// words are compared with the terms ignoring case rather than folded into copies: the snippets
// of a page of 20 results of a kilobyte took 293-300 µs and 1,520 allocations when every word
// was decoded rune by rune and folded, 156-160 µs and 300 so (BenchmarkSnippets); they were 9%
// of the server's CPU in make bench's searches at a million items. FuzzSnippetWords holds the
// two ways equal.
func (m matcher) words(text string) []word {
	words := make([]word, 0, len(text)/6)
	for i := 0; i < len(text); {
		r, size := runeAt(text, i)
		if !isWordRune(r) {
			i += size
			continue
		}
		start, ascii := i, true
		for i < len(text) {
			if c := text[i]; c < utf8.RuneSelf {
				if !asciiWordByte[c] {
					break
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(text[i:])
			if !isWordRune(r) {
				break
			}
			ascii = false
			i += size
		}
		var term int
		if ascii {
			term = m.matchASCII(text[start:i])
		} else {
			term = m.match(foldWord(text[start:i]))
		}
		words = append(words, word{start: start, end: i, term: term})
	}
	return words
}

// runeAt decodes the rune at byte i of s.
func runeAt(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// match returns the term a folded word matches, or -1.
func (m matcher) match(w string) int {
	for n, t := range m.terms {
		if w == t || (m.prefix && n == len(m.terms)-1 && strings.HasPrefix(w, t)) {
			return n
		}
	}
	return -1
}

// matchASCII is match for a word of ASCII letters and digits, not yet folded.
func (m matcher) matchASCII(w string) int {
	for n, t := range m.terms {
		if len(w) == len(t) && lowerEquals(w, t) || (m.prefix && n == len(m.terms)-1 && len(w) > len(t) && lowerEquals(w[:len(t)], t)) {
			return n
		}
	}
	return -1
}

// lowerEquals reports whether w, ASCII, lower-cased is t, of the same length.
func lowerEquals(w, t string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != t[i] {
			return false
		}
	}
	return true
}

// isWordRune is searchTerms' notion of a word's character: a letter or a digit (the search
// index's tokenizer counts private-use characters too).
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWordByte[r]
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// asciiWordByte: the ASCII letters and digits, which are ASCII's word runes.
var asciiWordByte = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = unicode.IsLetter(rune(c)) || unicode.IsNumber(rune(c))
	}
	return t
}()

// foldWord lower-cases a word and takes its accents away, as the search index's tokenizer does
// (unicode61 remove_diacritics 2; PostgreSQL's unaccent).
func foldWord(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(w)
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(w) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
