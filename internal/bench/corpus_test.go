package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
)

// TestCorpus checks the corpus against what the import expects: one record a line with one key
// naming its kind, tags before items, slugs the API accepts, and items of the sizes the
// benchmark claims. It also checks that a seed always gives the same corpus, which reusing a
// kept corpus relies on.
func TestCorpus(t *testing.T) {
	const n = 500
	var buf bytes.Buffer
	if err := newCorpus(1, n).write(t.Context(), &buf); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := newCorpus(1, n).write(t.Context(), &again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two corpora of the same seed differ")
	}

	slug := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	var (
		tags             = map[string]bool{}
		items, drafts    int
		bodyBytes        int
		slugs            = map[string]bool{}
		types            = map[string]int{}
		sc               = bufio.NewScanner(&buf)
		minBody, maxBody = 1 << 30, 0
	)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if len(rec) != 1 {
			t.Fatalf("line %q has %d keys, want 1", sc.Text(), len(rec))
		}
		if raw, ok := rec["tag"]; ok {
			if items > 0 {
				t.Fatal("a tag comes after an item")
			}
			var tag tagRecord
			if err := json.Unmarshal(raw, &tag); err != nil {
				t.Fatal(err)
			}
			tags[tag.Slug] = true
			continue
		}
		var it itemRecord
		if err := json.Unmarshal(rec["item"], &it); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		items++
		types[it.Type]++
		if !slug.MatchString(it.Slug) || len(it.Slug) > 96 || slugs[it.Slug] {
			t.Errorf("item %d: slug %q is not valid or not unique", items, it.Slug)
		}
		slugs[it.Slug] = true
		if it.Status == "draft" {
			drafts++
			if it.PublishedAt != nil {
				t.Errorf("draft %q has published_at", it.Slug)
			}
		} else if it.Status != "published" || it.PublishedAt == nil || it.PublishedAt.After(publishedUntil) {
			t.Errorf("item %q: status %q, published_at %v", it.Slug, it.Status, it.PublishedAt)
		}
		if len(it.Tags) < 1 || len(it.Tags) > 4 {
			t.Errorf("item %q has %d tags, want 1 to 4", it.Slug, len(it.Tags))
		}
		for _, tag := range it.Tags {
			if !tags[tag] {
				t.Errorf("item %q has tag %q, not declared before it", it.Slug, tag)
			}
		}
		bodyBytes += len(it.Body)
		minBody, maxBody = min(minBody, len(it.Body)), max(maxBody, len(it.Body))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if items != n || len(tags) != len(corpusTags) {
		t.Errorf("%d items and %d tags, want %d and %d", items, len(tags), n, len(corpusTags))
	}
	if drafts == 0 || drafts > n/10 {
		t.Errorf("%d drafts of %d items, want a few", drafts, n)
	}
	for _, typ := range itemTypes {
		if types[typ.key] == 0 {
			t.Errorf("no item of type %s", typ.key)
		}
	}
	if avg := bodyBytes / n; avg < 1000 || avg > 2000 {
		t.Errorf("bodies average %d bytes (%d to %d), want 1 to 2 KB", avg, minBody, maxBody)
	}
	t.Logf("bodies: average %d bytes, %d to %d", bodyBytes/n, minBody, maxBody)
}

// TestItemIsItsHead checks that head, which the scenarios use to know an item's slug without
// building it, draws what item draws.
func TestItemIsItsHead(t *testing.T) {
	c := newCorpus(7, 100)
	for i := range c.n {
		it, head := c.item(i), c.head(c.rng(i), i)
		if it.Type != head.Type || it.Slug != head.Slug || it.Status != head.Status {
			t.Errorf("item(%d) = %s/%s (%s), head = %s/%s (%s)", i, it.Type, it.Slug, it.Status, head.Type, head.Slug, head.Status)
		}
	}
}
