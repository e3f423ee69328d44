package content

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCreateItem creates items one after another on a database file, as POST /items does
// below HTTP: a kilobyte of Markdown, two tags, a derived slug. It is the serial cost of a
// create, which bounds the rate of creates whatever the concurrency, since SQLite has one
// writer.
func BenchmarkCreateItem(b *testing.B) {
	f := newFixture(b)
	body := strings.Repeat("Cooperatives *train* young people in [Dili](https://example.org/dili) and Suva.\n\n", 12)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.create(b, f.editor, NewItem{Title: fmt.Sprintf("Cooperative training %d", i), Body: body, Tags: []string{"cooperatives", "asia-and-the-pacific"}})
	}
}
