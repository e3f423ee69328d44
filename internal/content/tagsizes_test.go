package content

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestTagListsReadFromTheRarestTag: a list of items with all of several tags is read from the
// tag with the fewest listed items (drafts do not count), whatever order the tags are given in;
// the counts are kept for a while and then counted again.
func TestTagListsReadFromTheRarestTag(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	tagged := func(n int, tags []string, publish bool) {
		for i := range n {
			it := f.create(t, f.editor, NewItem{Title: fmt.Sprintf("%v %d", tags, i), Tags: tags})
			if publish {
				f.publish(t, it, nil)
			}
		}
	}
	tagged(3, []string{"cooperatives", "covid-19"}, true)
	tagged(2, []string{"covid-19"}, true)
	tagged(6, []string{"asia-and-the-pacific"}, false) // drafts: not listed
	tagged(1, []string{"asia-and-the-pacific", "covid-19"}, true)

	order := func(tags ...string) []string {
		t.Helper()
		return f.store.tagSizes.rarestFirst(ctx, f.db, tags, f.clock.Now())
	}
	want := []string{"asia-and-the-pacific", "cooperatives", "covid-19"} // 1, 3 and 6 listed items
	for _, given := range [][]string{
		{"covid-19", "cooperatives", "asia-and-the-pacific"},
		{"cooperatives", "asia-and-the-pacific", "covid-19"},
	} {
		if got := order(given...); !slices.Equal(got, want) {
			t.Errorf("rarestFirst(%v) = %v, want %v", given, got, want)
		}
	}

	// Three more items of asia-and-the-pacific: the kept counts still say it is the rarest, a
	// later count says cooperatives is.
	tagged(3, []string{"asia-and-the-pacific"}, true)
	if got := order("cooperatives", "asia-and-the-pacific"); got[0] != "asia-and-the-pacific" {
		t.Errorf("within the counts' lifetime: %v, want the kept order", got)
	}
	f.clock.Advance(tagSizesTTL + time.Second)
	if got := order("asia-and-the-pacific", "cooperatives"); got[0] != "cooperatives" {
		t.Errorf("after the counts' lifetime: %v, want cooperatives (3 items) before asia-and-the-pacific (4)", got)
	}

	// And the list is the same either way.
	a := pagedTitles(t, f.store, nil, Query{Tags: []string{"covid-19", "cooperatives"}, Sort: "published_at", Desc: true, Limit: 2})
	b := pagedTitles(t, f.store, nil, Query{Tags: []string{"cooperatives", "covid-19"}, Sort: "published_at", Desc: true, Limit: 2})
	if len(a) != 3 || !slices.Equal(a, b) {
		t.Errorf("lists by two tags: %v and %v, want the same three items", a, b)
	}
}
