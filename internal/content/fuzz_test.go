package content

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// FuzzParseQuery: no query string makes the list parser panic, and whatever it accepts the
// database answers without an error (nothing reaches SQL that could break it).
//
//	go test -tags sqlite_fts5 -run '^$' -fuzz FuzzParseQuery -fuzztime 1m ./internal/content
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"", "type=news&tag=cooperatives&sort=-title&limit=5", "sort=published_at&cursor=eyJzIjoicHVibGlzaGVkX2F0IiwiayI6IngiLCJpIjoieSJ9",
		"select=title,id&page=2", "tag_any=a,b,c&published_after=2020-01-01T00:00:00Z", "status=any&trashed=true",
		"type=news'%20OR%201=1--", "sort=title;DROP TABLE items", "limit=99999999999999999999", "author=00000000-0000-0000-0000-000000000000",
		"cursor=" + Cursor{Sort: "-published_at", Key: "2020-01-01T00:00:00Z", ID: "' OR 1=1"}.Encode(),
		"cursor=" + Cursor{Sort: "title", Key: "'); DROP TABLE items; --", ID: "x"}.Encode() + "&sort=title",
		"q=%22unbalanced", "q=NEAR(a+b)", "q=a+OR+b+NOT+c", "q=*", "q=title%3Ax", "q=%00%01", "q=co&type=news&tag=x&page=2",
		"q=x&cursor=" + Cursor{Sort: SortRelevance, Key: "NaN", ID: "x"}.Encode(),
	} {
		f.Add(seed)
	}
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseQuery(v, true)
		if err != nil {
			return
		}
		sortOK := slices.Contains(SortFields, q.Sort) || (q.Sort == SortRelevance && q.Q != "")
		if q.Limit < 1 || q.Limit > MaxLimit || !sortOK {
			t.Fatalf("ParseQuery(%q) accepted %+v", raw, q)
		}
		if _, err := fx.store.ListItems(t.Context(), fx.editor, q); err != nil && !errors.Is(err, ErrBadCursor) {
			t.Fatalf("ListItems after ParseQuery(%q): %v", raw, err)
		}
	})
}

// FuzzRender: whatever the Markdown, the HTML has no script, no event handler and no link or
// image to a javascript:, vbscript: or data: URL, and rendering never panics.
//
//	go test -tags sqlite_fts5 -run '^$' -fuzz FuzzRender -fuzztime 1m ./internal/content
func FuzzRender(f *testing.F) {
	for _, seed := range []string{
		"# Title\n\n*x* [a](https://example.com)", "<script>alert(1)</script>", "[x](javascript:alert(1))",
		"[x](JaVaScRiPt:alert(1))", "[x](java&#9;script:alert(1))", "[x](javascript&colon;alert(1))",
		"![x](data:text/html,<script>alert(1)</script>)", "<javascript:alert(1)>", "[x][1]\n\n[1]: javascript:alert(1)",
		`<img src=x onerror=alert(1)>`, `<a href="vbscript:msgbox(1)">x</a>`, "<svg><script>alert(1)</script></svg>",
		"<iframe src=https://evil.example></iframe>", "`<script>`", "<<script>script>alert(1)<</script>/script>",
	} {
		f.Add(seed)
	}
	r := NewRenderer(DefaultRenderBudget)
	f.Fuzz(func(t *testing.T, md string) {
		out, err := r.Render(md)
		if err != nil {
			return // too slow to render: refused, not rendered
		}
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			tok := z.Token()
			switch tok.Data {
			case "script", "iframe", "object", "embed", "style", "svg":
				t.Fatalf("Render(%q) has <%s>: %q", md, tok.Data, out)
			}
			for _, a := range tok.Attr {
				val := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
				if strings.HasPrefix(a.Key, "on") || a.Key == "style" ||
					((a.Key == "href" || a.Key == "src") && (strings.HasPrefix(val, "javascript:") || strings.HasPrefix(val, "vbscript:") || strings.HasPrefix(val, "data:"))) {
					t.Fatalf("Render(%q) has %s=%q: %q", md, a.Key, a.Val, out)
				}
			}
		}
	})
}

// FuzzSnippetWords: the words of a text, and the term each matches, are those that folding
// every word and comparing it finds (the way snippets found them before ASCII was read a byte
// at a time): for any text and terms, valid UTF-8 or not.
func FuzzSnippetWords(f *testing.F) {
	for _, seed := range [][2]string{
		{"Cooperatives train young people in Dili", "cooperatives"},
		{"COOPÉRATIVES, coopératives & Coops: 2,400 members", "coop"},
		{"Timor-Leste's 2025 plan", "leste"},
		{"Ärger über Öl, naïve café ﬁne", "ol"},
		{"日本の協同組合 and 日本", "日本"},
		{"bad \xff\xfe bytes\xc3", "bytes"},
		{"ǅemal ΣΊΣΥΦΟΣ", "σισυφος"},
	} {
		f.Add(seed[0], seed[1], true)
		f.Add(seed[0], seed[1], false)
	}
	f.Fuzz(func(t *testing.T, text, term string, prefix bool) {
		terms, _ := searchTerms(term)
		if len(terms) == 0 {
			return
		}
		for i := range terms {
			terms[i] = foldWord(terms[i])
		}
		m := matcher{terms: terms, prefix: prefix}
		var want []word
		for i := 0; i < len(text); {
			r, size := utf8.DecodeRuneInString(text[i:])
			if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
				i += size
				continue
			}
			start := i
			for i < len(text) {
				r, size := utf8.DecodeRuneInString(text[i:])
				if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
					break
				}
				i += size
			}
			want = append(want, word{start: start, end: i, term: m.match(foldWord(text[start:i]))})
		}
		if got := m.words(text); !slices.Equal(got, want) {
			t.Errorf("words(%q) with terms %q (prefix %v) = %v, want %v", text, terms, prefix, got, want)
		}
	})
}
