package database

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestFolioBM25IsBM25: with the document frequencies it is given equal to the true ones, or
// not given, or given for another number of phrases, folio_bm25 ranks every row exactly as
// FTS5's bm25 does; the frequencies given are the ones it uses; and a frequency larger than
// the table (kept from before deletions) still gives a finite score.
func TestFolioBM25IsBM25(t *testing.T) {
	db, err := Open(t.Context(), Options{Path: filepath.Join(t.TempDir(), "rank.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Close(db) })
	// Contentless, as the items' index is (migration 00012): the functions read the index alone.
	if err := db.Exec("CREATE VIRTUAL TABLE docs USING fts5(title, summary, body, tags, content = '', contentless_delete = 1)").Error; err != nil {
		t.Fatal(err)
	}
	// Most words in fewer than half the rows: bm25 gives those above half a token IDF.
	words := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}
	for _, w := range []string{"iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon"} {
		words = append(words, w, w+"s")
	}
	for i := range 60 {
		var body []string
		for k := range 5 + i%17 {
			body = append(body, words[(i*k+k*k)%len(words)])
		}
		err := db.Exec("INSERT INTO docs (title, summary, body, tags) VALUES (?, ?, ?, ?)",
			words[i%len(words)], words[(i/2)%len(words)]+" "+words[(i/3)%len(words)], strings.Join(body, " "), words[(i/5)%len(words)]).Error
		if err != nil {
			t.Fatal(err)
		}
	}

	type row struct {
		ID                     int64
		BM25, Counted, Given   float64
		Stale, MoreThanTheRows float64
	}
	for _, query := range []string{`"alpha"`, `"beta" "gam"*`, `"theta" "eta" "zeta"`, `"e"*`} {
		t.Run(query, func(t *testing.T) {
			phrases := strings.Fields(query)
			hits := make([]string, len(phrases))
			for i, p := range phrases {
				var n int64
				if err := db.Raw("SELECT count(*) FROM docs WHERE docs MATCH ?", p).Scan(&n).Error; err != nil {
					t.Fatal(err)
				}
				hits[i] = fmt.Sprint(n)
			}
			given := strings.Join(hits, ", ")
			// One ranking a statement: FTS5 keeps a function's per-query data per statement, so
			// a second folio_bm25 in the same statement would reuse the first's frequencies.
			scores := func(rank string) map[int64]float64 {
				var rows []struct {
					ID    int64
					Score float64
				}
				err := db.Raw("SELECT rowid AS id, "+rank+" AS score FROM docs WHERE docs MATCH ?", query).Scan(&rows).Error
				if err != nil {
					t.Fatal(err)
				}
				m := map[int64]float64{}
				for _, r := range rows {
					m[r.ID] = r.Score
				}
				return m
			}
			bm25 := scores("bm25(docs, 10.0, 4.0, 1.0, 2.0)")
			counted := scores("folio_bm25(docs, 10.0, 4.0, 1.0, 2.0)")
			exact := scores("folio_bm25(docs, 10.0, 4.0, 1.0, 2.0, " + given + ")")
			stale := scores("folio_bm25(docs, 10.0, 4.0, 1.0, 2.0" + strings.Repeat(", 1", len(phrases)) + ")")
			tooMany := scores("folio_bm25(docs, 10.0, 4.0, 1.0, 2.0" + strings.Repeat(", 1000000", len(phrases)) + ")")
			// Counts for more phrases than the query has are not used: counted, as bm25.
			miscounted := scores("folio_bm25(docs, 10.0, 4.0, 1.0, 2.0" + strings.Repeat(", 1", len(phrases)+1) + ")")
			for id, s := range miscounted {
				if math.Abs(s-bm25[id]) > 1e-12 {
					t.Errorf("row %d: given a count too many, folio_bm25 = %v, bm25 %v", id, s, bm25[id])
				}
			}
			rows := []row{}
			for id, s := range bm25 {
				rows = append(rows, row{ID: id, BM25: s, Counted: counted[id], Given: exact[id], Stale: stale[id], MoreThanTheRows: tooMany[id]})
			}
			if len(rows) < 2 {
				t.Fatalf("%d rows match %s; the test needs several", len(rows), query)
			}
			for _, r := range rows {
				if r.BM25 == 0 || math.Abs(r.Counted-r.BM25) > 1e-12 || math.Abs(r.Given-r.BM25) > 1e-12 {
					t.Errorf("row %d: bm25 %v, folio_bm25 counting %v, given the counts (%s) %v", r.ID, r.BM25, r.Counted, given, r.Given)
				}
				if r.Stale == r.BM25 {
					t.Errorf("row %d: folio_bm25 given other counts scored %v, as bm25 does: it did not use them", r.ID, r.Stale)
				}
				if math.IsNaN(r.MoreThanTheRows) || math.IsInf(r.MoreThanTheRows, 0) || r.MoreThanTheRows >= 0 {
					t.Errorf("row %d: given counts above the row count, folio_bm25 = %v", r.ID, r.MoreThanTheRows)
				}
			}
		})
	}
}
