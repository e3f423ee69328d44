package content

import (
	"strings"
	"testing"
)

// TestSnippets: a snippet marks the search's words as the index matches them (case and accents
// ignored, the last word a prefix while typed), shows the text itself (punctuation, accents),
// comes from the text with the most of the words, and is cut around them with ellipses.
func TestSnippets(t *testing.T) {
	long := strings.Repeat("filler words here ", 20) + "the cooperative movement in Asia grows " + strings.Repeat("more filler ", 20)
	for _, tc := range []struct {
		name, q string
		texts   []string
		want    string
	}{
		{"accents and case", "cooperatives", []string{"Les Coopératives <en> agissent."}, "Les [Coopératives] <en> agissent."},
		{"accents typed", "coopératives ", []string{"cooperatives, COOPERATIVES"}, "[cooperatives], [COOPERATIVES]"},
		{"prefix while typing", "asia coop", []string{"Cooperation in Asia"}, "[Cooperation] in [Asia]"},
		{"no prefix after a space", "coop ", []string{"Cooperation", "a coop"}, "a [coop]"},
		{"the text with most words", "asia cooperatives", []string{"Asia", "Cooperatives in Asia", "Asia and cooperatives again"}, "[Cooperatives] in [Asia]"},
		{"first of equals", "asia", []string{"", "Asia one", "Asia two"}, "[Asia] one"},
		{"cut around the words", "cooperative", []string{long}, "…words here the [cooperative] movement in Asia grows more filler more filler more filler more filler…"},
		{"none", "nothing", []string{"Cooperatives"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			terms, prefix := searchTerms(tc.q)
			for i := range terms {
				terms[i] = foldWord(terms[i])
			}
			got := matcher{terms: terms, prefix: prefix}.snippet(tc.texts...)
			got = strings.NewReplacer(MarkStart, "[", MarkEnd, "]").Replace(got)
			if got != tc.want {
				t.Errorf("snippet(%q) = %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}

// TestSnippetsFromTagNames: an item found by a tag's name alone has a snippet of its tags'
// names, as the index holds them.
func TestSnippetsFromTagNames(t *testing.T) {
	f := newFixture(t)
	if _, err := f.store.CreateTag(t.Context(), "timor-leste", "Timor-Leste", nil); err != nil {
		t.Fatal(err)
	}
	f.publish(t, f.create(t, f.editor, NewItem{Title: "Farmers organise", Body: "A report.", Tags: []string{"cooperatives", "timor-leste"}}), nil)
	page, err := f.store.ListItems(t.Context(), nil, Query{Q: "timor", Sort: SortRelevance, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].SearchSnippet != "cooperatives "+MarkStart+"Timor"+MarkEnd+"-Leste" {
		t.Fatalf("search by a tag's name = %+v", page.Items)
	}
}

// BenchmarkSnippets makes the snippets of a page of 20 search results of a kilobyte each, as
// addSnippets does for every page of a search.
func BenchmarkSnippets(b *testing.B) {
	body := "The Coop Académie. " + strings.Repeat("Cooperatives *train* young people in Dili and Suva, with the ILO: 2,400 members in 2025. ", 11)
	m := matcher{terms: []string{"cooperatives", "suva"}, prefix: true}
	b.ReportAllocs()
	for b.Loop() {
		for range 20 {
			if m.snippet("Training for young cooperative members", "A summary of the programme in Timor-Leste and Fiji.", body) == "" {
				b.Fatal("no snippet")
			}
		}
	}
}
