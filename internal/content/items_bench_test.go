package content

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// benchBody is a create's body in the benchmarks: a kilobyte of Markdown.
var benchBody = strings.Repeat("Cooperatives *train* young people in [Dili](https://example.org/dili) and Suva.\n\n", 12)

// BenchmarkCreateItem creates items one after another on a database file, as POST /items does
// below HTTP: a kilobyte of Markdown, two tags, a derived slug. It is the serial cost of a
// create, which bounds the rate of creates whatever the concurrency, since SQLite has one
// writer.
func BenchmarkCreateItem(b *testing.B) {
	f := newFixture(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		f.create(b, f.editor, NewItem{Title: fmt.Sprintf("Cooperative training %d", i), Body: benchBody, Tags: []string{"cooperatives", "asia-and-the-pacific"}})
	}
}

// BenchmarkCreateItemConcurrent is BenchmarkCreateItem from eight goroutines, as scenario (e)
// of make bench sends them: the writes that wait are committed in groups (database.Write), so
// its time per create is what the one writer spends on each, less the commits shared.
func BenchmarkCreateItemConcurrent(b *testing.B) {
	f := newFixture(b)
	var n atomic.Int64
	b.ReportAllocs()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := n.Add(1); i <= int64(b.N); i = n.Add(1) {
				in := NewItem{Type: "news", Title: fmt.Sprintf("Cooperative training %d", i), Body: benchBody, Tags: []string{"cooperatives", "asia-and-the-pacific"}}
				if _, err := f.store.CreateItem(b.Context(), f.editor, in); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
