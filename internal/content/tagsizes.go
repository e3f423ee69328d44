package content

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// tagSizesTTL is how long a tag's count of listed items is trusted. The counts only choose
// which tag a list of several is read from, so an old one costs time, never a wrong answer.
const tagSizesTTL = 5 * time.Minute

// tagSizes remembers how many listed items each tag has, to read a list of items with all of
// several tags from the tag with the fewest. Read from the other end, a page of two tags that
// seldom meet costs as many candidates as the common tag has before the page fills (measured:
// 22 ms against 2.7 ms for the same page on 100,000 items). It also tells whether the tags of a
// list of items with any of several have few enough of them to read the list from their rows
// (byAnyTag).
type tagSizes struct {
	counts countMemo
	capped countMemo // atMost's
}

func newTagSizes() *tagSizes {
	return &tagSizes{counts: countMemo{ttl: tagSizesTTL}, capped: countMemo{ttl: tagSizesTTL}}
}

// rarestFirst returns tags ordered by their number of listed items, fewest first (ties keep
// their order). A tag it cannot count keeps its place: the list is then read the slower way.
func (ts *tagSizes) rarestFirst(ctx context.Context, db *gorm.DB, tags []string, now time.Time) []string {
	sizes := make(map[string]int64, len(tags))
	for _, t := range tags {
		n, ok := ts.size(ctx, db, t, now)
		if !ok {
			return tags
		}
		sizes[t] = n
	}
	ordered := slices.Clone(tags)
	slices.SortStableFunc(ordered, func(a, b string) int { return cmp.Compare(sizes[a], sizes[b]) })
	return ordered
}

// atMost reports whether tags have at most limit rows of listed items together (an item with
// two of them counts twice). Each tag's count stops past limit, so that a tag with many items
// costs no more to count than one with a few: the answer only chooses how a list is read.
func (ts *tagSizes) atMost(ctx context.Context, db *gorm.DB, tags []string, limit int64, now time.Time) bool {
	var sum int64
	for _, t := range tags {
		n, err := ts.capped.get(t+"\x00"+strconv.FormatInt(limit, 10), now, func() (n int64, err error) {
			err = db.WithContext(ctx).Raw("SELECT count(*) FROM (SELECT 1 FROM item_tags WHERE tag = ? AND published_at IS NOT NULL LIMIT ?) AS l", t, limit+1).Scan(&n).Error
			return n, err
		})
		if sum += n; err != nil || sum > limit {
			return false
		}
	}
	return true
}

// size is the number of listed items of tag, from memory when it is recent.
func (ts *tagSizes) size(ctx context.Context, db *gorm.DB, tag string, now time.Time) (int64, bool) {
	n, err := ts.counts.get(tag, now, func() (n int64, err error) {
		// From the item_tags_published index alone, which holds the listed items only.
		err = db.WithContext(ctx).Raw("SELECT count(*) FROM item_tags WHERE tag = ? AND published_at IS NOT NULL", tag).Scan(&n).Error
		return n, err
	})
	return n, err == nil
}
