package content

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/validation"
)

// find reads an item with its tags and author's name, whoever may see it.
func (s *Store) find(ctx context.Context, db *gorm.DB, id string) (*Item, error) {
	return s.findWhere(ctx, db, "i.id = ?", id)
}

// findWhere reads the item that cond (on items AS i) selects, with its author's name and tags.
func (s *Store) findWhere(ctx context.Context, db *gorm.DB, cond string, args ...any) (*Item, error) {
	// Raw SQL: the statement builder's clauses cost more than the query on this path, the one
	// of every item read by id or slug.
	// Its tags come in the same statement, a column of their slugs: one statement instead of
	// two on the path of every item read (make bench, scenario (a)).
	items, err := findItems(withContext(db, ctx).Raw("SELECT i.*, u.name AS author_name, "+s.d.tagListSQL()+" AS tag_list FROM items AS i JOIN users u ON u.id = i.author_id WHERE "+cond+" LIMIT 1", args...))
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, ErrNotFound
	}
	return &items[0], nil
}

// FindItem returns the item with id, if the actor (nil for anonymous) may see it.
func (s *Store) FindItem(ctx context.Context, a *Actor, id string) (*Item, error) {
	it, err := s.find(ctx, s.db, id)
	if err != nil {
		return nil, wrap(err, "find item "+id)
	}
	if !canSee(a, it, s.clock()) {
		return nil, ErrNotFound
	}
	return it, nil
}

// FindBySlug returns the item of a type with a slug, if the actor may see it. Items in the
// trash are not found by slug.
func (s *Store) FindBySlug(ctx context.Context, a *Actor, typ, slug string) (*Item, error) {
	it, err := s.findWhere(ctx, s.db, "i.type = ? AND i.slug = ? AND i.deleted_at IS NULL", typ, slug)
	if err != nil {
		return nil, wrap(err, "find item by slug")
	}
	if !canSee(a, it, s.clock()) {
		return nil, ErrNotFound
	}
	return it, nil
}

// Page is a page of a list.
type Page struct {
	Items []Item
	Next  *Cursor // nil on the last page (and in page mode)
	Total int64   // in page mode
}

// ListItems returns the page of items that q asks for, among those the actor may see.
func (s *Store) ListItems(ctx context.Context, a *Actor, q Query) (*Page, error) {
	now := s.clock()
	db := s.db.WithContext(ctx)
	if err := s.resolveFieldFilters(ctx, &q); err != nil {
		return nil, err
	}
	if byTag(q) && len(q.Tags) > 1 {
		// The list is read from its first tag's items: the one with the fewest.
		q.Tags = s.tagSizes.rarestFirst(ctx, db, q.Tags, now)
	}
	if anyTagShape(q) {
		q.fewAnyTags = s.tagSizes.atMost(ctx, db, q.TagsAny, fewAnyTagRows, now)
	}
	if tagRowsShape(q) {
		if len(q.Tags) > 1 {
			q.Tags = s.tagSizes.rarestFirst(ctx, db, q.Tags, now)
		}
		q.fewTagRows = s.tagSizes.atMost(ctx, db, drivingTags(q), fewTagRows, now)
	}
	if authorOrderShape(q) {
		var err error
		if q.fewByAuthor, err = s.fewAuthorItems(ctx, db, q); err != nil {
			return nil, err
		}
	}
	if err := s.prepareSearch(ctx, db, &q); err != nil {
		return nil, err
	}
	if err := s.chooseWalk(ctx, db, &q, now); err != nil {
		return nil, err
	}
	page := &Page{}
	if q.Page > 0 {
		var err error
		if page.Total, err = s.countItems(db, a, q, now); err != nil {
			return nil, err
		}
	}
	query, err := s.listQuery(db, a, q, now)
	if err != nil {
		return nil, err
	}
	if page.Items, err = findItems(query); err != nil {
		return nil, wrap(err, "list items")
	}
	if q.walk && q.walkBound != nil && !pageFull(q, len(page.Items)) {
		// The walk reached its bound before the page was full: the search's words are
		// together in fewer items than counted, or the filters pass few of them. The page
		// comes from the matches instead, a cost bounded by their number.
		q.walk = false
		if query, err = s.listQuery(db, a, q, now); err != nil {
			return nil, err
		}
		if page.Items, err = findItems(query); err != nil {
			return nil, wrap(err, "list items")
		}
	}
	if q.Page == 0 && len(page.Items) > q.Limit {
		page.Items = page.Items[:q.Limit]
		last := page.Items[q.Limit-1]
		page.Next = &Cursor{Sort: sortKey(q.Sort, q.Desc), Key: sortValue(q, &last), ID: last.ID}
	}
	if len(q.Select) == 0 || slices.Contains(q.Select, "tags") {
		if err := loadTags(ctx, db, page.Items); err != nil {
			return nil, wrap(err, "list items' tags")
		}
	}
	if err := s.addSnippets(ctx, db, q.Q, page.Items); err != nil {
		return nil, wrap(err, "search snippets")
	}
	return page, nil
}

// rankedMatches is how many matches of a search are ranked by relevance: the newest that pass
// the filters. Ranking costs a read of each match's word positions, some microseconds, and a
// common word matches most items, so ranking all of them would make a search's cost grow with
// the size of the site (0.6 s for a word in each of 200,000 items, measured). Within the window
// the cost is bounded whatever the word; a search that matches fewer items than the window,
// as most searches of several words do, ranks them all.
var rankedMatches = 1000 // a variable for tests

// searchWindow is the query of the matches of q's search that are ranked: the newest
// rankedMatches that pass q's filters, with their relevance. FTS5 walks the matches newest
// first and the query stops at the window's end.
func (s *Store) searchWindow(db *gorm.DB, a *Actor, q Query, now time.Time) *gorm.DB {
	// CROSS JOIN keeps the search index the outer loop: SQLite does not reorder it, so it does
	// not read a type's or tag's items first and sort their matches.
	q.ftsInFrom = true
	items := "items AS i"
	if q.Status == "" && !q.Trashed { // public items only: the filter says so in so many words
		items = s.d.listedItems()
	}
	return s.filter(db.Session(&gorm.Session{NewDB: true}).Table(s.d.searchIndex()+" CROSS JOIN "+items).Where(s.d.searchOn()), a, q, now).
		Select("i.seq AS seq, i.id AS id, "+q.rank+" AS search_rank", q.rankArgs...).Order(s.d.searchNewest()).Limit(rankedMatches)
}

// A public search in an order of its items (publicSearch, not by relevance) is read one of
// two ways, chosen by how many items its words are in (prepareSearch's counts of them):
//
//   - from its matches: every match that passes the filters, sorted and cut to the page. By
//     publication time, from the search index and the index of listed items alone
//     (datedMatches), a fraction of a microsecond a match; in the other orders, whose keys
//     only the items' rows hold (the default of listQuery), some microseconds. A word in every
//     one of 100,000 items took 229 ms a page by date read with the rows (sqlite3), 44 ms from
//     the indexes; 0.3-0.7 s by title, over HTTP.
//   - walking (searchWalk): the public items in the list's order from the index of that order
//     (orderIndex), each looked up in the search index (about 8 µs), until the page is full:
//     about the page's size over the matches' share of the items. For that word, 1 ms.
//
// The walk is chosen when it costs less by these estimates (walks). Words that are each
// common may still seldom meet, and filters pass over some items, so the walk reads at most
// walkSlack times the items it expects to, or walkFloor (walkWindow, walkBound); short of a
// full page by then, the page is read from the matches. A numbered page is walked the same
// way, up to its end (pageEnd); its total counts the matches from the indexes (countItems).
var (
	probeCost     = 18.0  // matches read from the indexes in the time of one lookup (8 µs / 0.45 µs)
	probeCostRows = 2.0   // matches read with their rows in the time of one lookup (8 µs / 3-7 µs)
	walkSlack     = 4.0   // times the walk's expected length
	walkFloor     = 2_000 // items: at most 16 ms of lookups; the bound costs 0.5 ms to find
)

// walks reports whether a page of q, a public search in an order of its items whose words
// are each in at least q.matchEstimate of n items, is cheaper walked than read from the
// matches: the walk looks up about page × n/m items, the other reads m matches. Where they
// cost the same, m is the square root of the cost of a lookup in matches (probeCost,
// probeCostRows) × page × n: by date, 5,400 for a page of 16 on 100,000 items, 19,400 for a
// page of 21 on a million.
func walks(q Query, n int64) bool {
	cost := probeCostRows
	if q.Sort == "published_at" {
		cost = probeCost
	}
	m := float64(q.matchEstimate)
	return m*m >= cost*float64(pageEnd(q))*float64(n)
}

// pageEnd is how many items of its list a page of q reads, up to its end: one more than the
// page after a cursor, every page up to its own for a numbered page.
func pageEnd(q Query) int {
	if q.Page > 0 {
		return q.Page * q.Limit
	}
	return q.Limit + 1
}

// pageFull reports whether n items make a full page of q: with the one more that tells a next
// page follows, after a cursor.
func pageFull(q Query, n int) bool {
	if q.Page > 0 {
		return n == q.Limit
	}
	return n > q.Limit
}

// chooseWalk has q read walking the index of its order (searchWalk) when q is a public search
// in an order of its items that walks judges cheaper so; with the walk's bound.
func (s *Store) chooseWalk(ctx context.Context, db *gorm.DB, q *Query, now time.Time) error {
	if !publicSearch(*q) || q.Sort == SortRelevance {
		return nil
	}
	n, err := siteSize(ctx, db)
	if err != nil || !walks(*q, n) {
		return err
	}
	bound, err := s.walkBound(ctx, db, *q, now, walkWindow(*q, n))
	if err != nil {
		return err
	}
	q.walk, q.walkBound = true, bound
	return nil
}

// siteSize is about how many items there are, drafts and trash included: the highest seq, which
// the engine reads from the end of the table. It weighs the ways to read a list.
func siteSize(ctx context.Context, db *gorm.DB) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Raw("SELECT COALESCE(MAX(seq), 0) FROM items").Scan(&n).Error
	return n, wrap(err, "count items")
}

// publicSearch reports whether q is a public search on an engine that counted its words
// (SQLite), which walks may read from the index of its order.
func publicSearch(q Query) bool {
	return q.search != "" && q.matchEstimate >= 0 && q.Status == "" && !q.Trashed && len(q.orIDs) == 0
}

// datedSearch reports whether q is a public search by publication time, read by datedMatches
// or walking.
func datedSearch(q Query) bool { return publicSearch(q) && q.Sort == "published_at" }

// datedMatches is the query of the public matches of q's search that pass its filters, with
// their seqs, ids and publication times, from the search index and the index of listed items,
// which hold all three: a match's row in items is read only for a filter on its fields.
func (s *Store) datedMatches(db *gorm.DB, a *Actor, q Query, now time.Time) *gorm.DB {
	q.ftsInFrom = true // CROSS JOIN: SQLite keeps the search index the outer loop
	return s.filter(db.Session(&gorm.Session{NewDB: true}).Table(s.d.searchIndex()+" CROSS JOIN "+s.d.listedItems()).Where(s.d.searchOn()), a, q, now).
		Select("i.seq AS seq, i.id AS id, i.published_at AS published_at")
}

// searchWalk is the query of the page's worth of q's matches (their seqs and ids) read from
// the index of q's order after the cursor, up to walkBound, each item looked up in the search
// index. CROSS JOIN keeps the index the outer loop: read in its order, the page ends the walk.
func (s *Store) searchWalk(db *gorm.DB, a *Actor, q Query, now time.Time, after []any) *gorm.DB {
	dir, cmp, within := "ASC", ">", "<="
	if q.Desc {
		dir, cmp, within = "DESC", "<", ">="
	}
	key := "i." + q.Sort // one of SortFields: never client text
	q.ftsInFrom = true
	walk := s.filter(db.Session(&gorm.Session{NewDB: true}).Table(s.d.itemsBy(orderIndex(q))+" CROSS JOIN "+s.d.searchIndex()).Where(s.d.searchOn()), a, q, now).
		Select("i.seq AS seq, i.id AS id").
		Order(fmt.Sprintf("%s %s, i.id %s", key, dir, dir))
	if after != nil {
		walk = walk.Where("("+key+", i.id) "+cmp+" (?, ?)", after...)
	}
	if q.walkBound != nil {
		walk = walk.Where("("+key+", i.id) "+within+" (?, ?)", q.walkBound...)
	}
	return walk.Limit(pageEnd(q))
}

// walkWindow is how many items of the index of its order a walk of q reads at most, on a site
// of n items.
func walkWindow(q Query, n int64) int {
	return max(walkFloor, int(math.Ceil(walkSlack*float64(pageEnd(q))*float64(n)/float64(max(q.matchEstimate, 1)))))
}

// walkBound is the entry of the index of q's order that a walk of q stops at, the window-th
// public item of q's types after its cursor; nil when fewer follow.
func (s *Store) walkBound(ctx context.Context, db *gorm.DB, q Query, now time.Time, window int) ([]any, error) {
	dir, cmp := "ASC", ">"
	if q.Desc {
		dir, cmp = "DESC", "<"
	}
	key := "i." + q.Sort
	entries := db.WithContext(ctx).Table(s.d.itemsBy(orderIndex(q))).Where(publicSQL, sql.Named("now", now)).
		Select(key + ", i.id").Order(fmt.Sprintf("%s %s, i.id %s", key, dir, dir))
	if len(q.Types) == 1 {
		entries = entries.Where("i.type = ?", q.Types[0])
	}
	if c := q.Cursor; c != nil {
		after, err := cursorKey(q.Sort, c.Key)
		if err != nil {
			return nil, err
		}
		entries = entries.Where("("+key+", i.id) "+cmp+" (?, ?)", after, c.ID)
	}
	rows, err := entries.Offset(window - 1).Limit(1).Rows()
	if err != nil {
		return nil, wrap(err, "bound a search's walk")
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, wrap(rows.Err(), "bound a search's walk")
	}
	var bound any // a title, or a time
	var id string
	if err := rows.Scan(&bound, &id); err != nil {
		return nil, wrap(err, "bound a search's walk")
	}
	return []any{bound, id}, nil
}

// countItems counts the items of q; for a search by relevance, those in the search window.
// A public search in another order counts its matches from the indexes, whatever its order.
func (s *Store) countItems(db *gorm.DB, a *Actor, q Query, now time.Time) (int64, error) {
	var n int64
	var err error
	switch {
	case q.Q != "" && q.Sort == SortRelevance:
		err = db.Table("(?) AS m", s.searchWindow(db, a, q, now)).Count(&n).Error
	case publicSearch(q):
		err = db.Table("(?) AS m", s.datedMatches(db, a, q, now)).Count(&n).Error
	default:
		err = s.filter(s.from(db, q, now), a, q, now).Count(&n).Error
	}
	return n, wrap(err, "count items")
}

// largeColumns are the item columns that a list reads only when its select names them (or
// has none): the texts, kilobytes an item, where the others are a few bytes.
var largeColumns = []string{"summary", "body", "body_html", "fields", "fields_html"}

// listColumns is the SELECT list of a page of q: every column, or without select's large
// columns that it leaves out. The small ones are always read: the cursor's sort keys among them.
func listColumns(q Query) string {
	if len(q.Select) == 0 {
		return "i.*, u.name AS author_name"
	}
	columns := "i.seq, i.id, i.type, i.slug, i.title, i.status, i.published_at, i.unpublish_at, i.author_id, i.version, i.created_at, i.updated_at, i.deleted_at, u.name AS author_name"
	for _, c := range largeColumns {
		// A search's snippets are made from the title, the summary and the body.
		if slices.Contains(q.Select, c) || (q.Q != "" && (c == "summary" || c == "body")) {
			columns += ", i." + c
		}
	}
	return columns
}

// listQuery is the query of a page of q: filtered, sorted, after the cursor or at the page.
// In cursor mode it asks for one item more than the page, to learn whether more follow.
func (s *Store) listQuery(db *gorm.DB, a *Actor, q Query, now time.Time) (*gorm.DB, error) {
	expr := sortExpr(q)
	dir, cmp := "ASC", ">"
	if q.Desc {
		dir, cmp = "DESC", "<"
	}
	var after []any // the cursor's sort key and id
	if c := q.Cursor; c != nil && q.Page == 0 {
		key, err := cursorKey(q.Sort, c.Key)
		if err != nil {
			return nil, err
		}
		after = []any{key, c.ID}
	}
	var query *gorm.DB
	switch {
	case q.Q != "" && q.Sort == SortRelevance:
		// Ranked within the search window (rankedMatches): the window's rows sorted and cut to
		// the page, then their items. Joined before the cut, every match in the window was read
		// whole and went through the sort, to keep a page of them.
		ranked := db.Session(&gorm.Session{NewDB: true}).Table("(?) AS w", s.searchWindow(db, a, q, now)).
			Select("w.seq, w.id, w.search_rank").Order(fmt.Sprintf("w.search_rank %s, w.id %s", dir, dir))
		ranked = cutToPage(ranked, q, "w.search_rank, w.id", cmp, after)
		query = db.Table("(?) AS m", ranked).Joins("JOIN items i ON i.seq = m.seq").
			Select(listColumns(q) + ", m.search_rank")
	case datedSearch(q) || q.walk:
		// The page's matches from the indexes alone, then their items, with the search index
		// joined again for their relevance. CROSS JOIN keeps the page's rows the outer loop.
		var keys *gorm.DB
		if q.walk {
			keys = s.searchWalk(db, a, q, now, after)
		} else {
			keys = db.Session(&gorm.Session{NewDB: true}).Table("(?) AS d", s.datedMatches(db, a, q, now)).
				Select("d.seq, d.id, d.published_at").Order(fmt.Sprintf("d.published_at %s, d.id %s", dir, dir))
			keys = cutToPage(keys, q, "d.published_at, d.id", cmp, after)
		}
		query = db.Table("(?) AS m CROSS JOIN items AS i CROSS JOIN "+s.d.searchIndex(), keys).
			Where("i.seq = m.seq").Where(s.d.searchOn()).Where(s.d.searchMatch(), q.search).
			Select(listColumns(q)+", "+q.rank+" AS search_rank", q.rankArgs...)
	default:
		columns, args := listColumns(q), []any(nil)
		if q.Q != "" { // a search in another order
			columns += ", " + q.rank + " AS search_rank"
			args = q.rankArgs
		}
		source := s.from(db, q, now)
		if byAnyTag(q) {
			source = s.anyTagRows(db, q, now, after)
		}
		query = s.filter(source, a, q, now).Select(columns, args...)
	}
	id := idExpr(q)
	query = query.Joins("JOIN users u ON u.id = i.author_id").Order(fmt.Sprintf("%s %s, %s %s", expr, dir, id, dir))
	if q.Page > 0 {
		return query.Offset((q.Page - 1) * q.Limit).Limit(q.Limit), nil
	}
	if after != nil {
		// A row-value comparison, which SQLite answers from the (key, id) index.
		query = query.Where(fmt.Sprintf("(%s, %s) %s (?, ?)", expr, id, cmp), after...)
	}
	return query.Limit(q.Limit + 1), nil
}

// cutToPage limits rows sorted by keys (a sort key and an id) to what q's page needs: every
// row up to the page's end for a numbered page, which the outer query skips to; else the rows
// past the cursor, one more than the page.
func cutToPage(rows *gorm.DB, q Query, keys, cmp string, after []any) *gorm.DB {
	if after != nil {
		rows = rows.Where("("+keys+") "+cmp+" (?, ?)", after...)
	}
	return rows.Limit(pageEnd(q))
}

// NextChange returns when public answers next change by the clock alone: the earliest
// scheduled publication, or the earliest unpublish_at of a public item. Caches must not keep a
// public list longer. Nil when nothing is scheduled.
//
// It looks at all items, not only those a list matches: the bound is then sometimes shorter than
// it need be, never longer, and it costs two index lookups whatever the filters (with a type
// filter SQLite would read the type's items instead of the index of times).
func (s *Store) NextChange(ctx context.Context) (*time.Time, error) {
	now := s.clock()
	// The answer holds until a write or until its time: kept per content generation (read
	// before the queries, so that a write committed meanwhile makes it stale), it saves every
	// public list two queries.
	var gen uint64
	if s.changes != nil {
		gen = s.changes.Current()
		s.next.mu.Lock()
		ok, at := s.next.ok && s.next.gen == gen, s.next.at
		s.next.mu.Unlock()
		if ok && (at == nil || now.Before(*at)) {
			return at, nil
		}
	}
	at, err := s.nextChange(ctx, now)
	if err == nil && s.changes != nil {
		s.next.mu.Lock()
		s.next.gen, s.next.at, s.next.ok = gen, at, true
		s.next.mu.Unlock()
	}
	return at, err
}

// nextChange is NextChange, from the database.
func (s *Store) nextChange(ctx context.Context, now time.Time) (*time.Time, error) {
	db := s.db.WithContext(ctx)
	var next struct{ Publish, Unpublish *string }
	// Both are MIN over a range of an index (items_unpublish, items_published): SQLite reads the
	// first matching entry, not every public item.
	unpublishing := db.Table("items AS i").
		Where("i.status = 'published' AND i.deleted_at IS NULL AND i.unpublish_at IS NOT NULL AND i.unpublish_at > ? AND i.published_at <= ?", now, now)
	if err := unpublishing.Select("MIN(i.unpublish_at)").Scan(&next.Unpublish).Error; err != nil {
		return nil, wrap(err, "next unpublication")
	}
	scheduled := db.Table("items AS i").
		Where("i.status = 'published' AND i.deleted_at IS NULL AND i.published_at > ?", now)
	if err := scheduled.Select("MIN(i.published_at)").Scan(&next.Publish).Error; err != nil {
		return nil, wrap(err, "next publication")
	}
	var earliest *time.Time
	for _, v := range []*string{next.Publish, next.Unpublish} {
		if v == nil {
			continue
		}
		t, err := parseDBTime(*v)
		if err != nil {
			return nil, err
		}
		if earliest == nil || t.Before(*earliest) {
			earliest = &t
		}
	}
	return earliest, nil
}

// NextItemChange is NextChange for one item: its scheduled publication or its unpublish_at.
func NextItemChange(it *Item, now time.Time) *time.Time {
	switch {
	case it.Status == StatusPublished && it.PublishedAt != nil && it.PublishedAt.After(now):
		return it.PublishedAt
	case it.UnpublishAt != nil && it.UnpublishAt.After(now):
		return it.UnpublishAt
	}
	return nil
}

// filter limits items to those q asks for that the actor may see.
func (s *Store) filter(db *gorm.DB, a *Actor, q Query, now time.Time) *gorm.DB {
	nowArg := sql.Named("now", now)
	switch {
	case q.Trashed:
		db = db.Where("i.deleted_at IS NOT NULL")
	case q.Status == "":
		db = db.Where(publicSQL, nowArg)
		if fromTags(q) {
			// The same, from the copies beside the tag (migrations 00007 and 00008): a
			// candidate that is not public is passed over without reading its row in items.
			db = db.Where("tp.published_at <= @now AND (tp.unpublish_at IS NULL OR tp.unpublish_at > @now)", nowArg)
		}
	case q.Status == "any":
		db = db.Where("i.deleted_at IS NULL")
	case q.Status == StatusPublished:
		// The status is written into the SQL, not bound: then the index of published items
		// may serve the list (SQLite plans a statement without looking at bound values).
		db = db.Where("i.deleted_at IS NULL AND i.status = 'published'")
	default: // draft: ParseQuery admits no other status
		db = db.Where("i.deleted_at IS NULL AND i.status = 'draft'")
	}
	if q.Status != "" || q.Trashed {
		// Beyond public items, authors see their own only.
		if !a.editor() {
			me := ""
			if a != nil {
				me = a.UserID
			}
			db = db.Where("("+publicSQL+") OR i.author_id = @me", nowArg, sql.Named("me", me))
		}
	}
	return s.matching(db, q)
}

// matching applies q's filters, visibility aside.
func (s *Store) matching(db *gorm.DB, q Query) *gorm.DB {
	if cond, ok := typeAndTags(db.Session(&gorm.Session{NewDB: true}), q, s.d); ok {
		if len(q.orIDs) > 0 {
			// A group: (type and tags) OR one of the ids; visibility and the rest still apply.
			cond = db.Session(&gorm.Session{NewDB: true}).Where(cond).Or("i.id IN ?", q.orIDs)
		}
		db = db.Where(cond)
	}
	if q.Author != "" {
		db = db.Where("i.author_id = ?", q.Author)
	}
	published := "i.published_at"
	if fromTags(q) {
		published = "tp.published_at" // the same for the items that the list may show
	}
	if q.PublishedAfter != nil {
		db = db.Where(published+" > ?", *q.PublishedAfter)
	}
	if q.PublishedBefore != nil {
		db = db.Where(published+" < ?", *q.PublishedBefore)
	}
	if q.Q != "" {
		if !q.ftsInFrom {
			db = db.Joins("JOIN " + s.d.searchIndex() + " ON " + s.d.searchOn())
		}
		if q.search != "" { // set by prepareSearch, as is the rank
			db = db.Where(s.d.searchMatch(), q.search)
		} else {
			db = db.Where("1 = 0") // nothing searchable: no results
		}
	}
	if len(q.exclude) > 0 {
		db = db.Where(idExpr(q)+" NOT IN ?", q.exclude)
	}
	for _, f := range q.fieldFilters {
		cond, args := s.d.fieldEquals(f.name, f.value)
		db = db.Where(cond, args...)
	}
	return db
}

// fieldFilter is a fields.NAME=VALUE filter, its value converted to the field's kind.
type fieldFilter struct {
	name  string
	value any
}

// resolveFieldFilters checks fields.NAME filters against the type the query names, and converts
// their values.
func (s *Store) resolveFieldFilters(ctx context.Context, q *Query) error {
	if len(q.Fields) == 0 {
		return nil
	}
	verr := &validation.Error{}
	if len(q.Types) != 1 {
		for name := range q.Fields {
			verr.Add("fields."+name, "needs exactly one type (type=…) to know the field")
		}
		return &QueryError{verr}
	}
	t, err := loadType(ctx, s.db, q.Types[0])
	if errors.Is(err, ErrNotFound) {
		verr.Add("type", "%q is not a content type", q.Types[0])
		return &QueryError{verr}
	}
	if err != nil {
		return err
	}
	defs := t.Defs()
	q.fieldFilters = nil
	for _, name := range slices.Sorted(maps.Keys(q.Fields)) {
		raw := q.Fields[name]
		i := slices.IndexFunc(defs, func(d FieldDef) bool { return d.Name == name })
		if i < 0 {
			verr.Add("fields."+name, "is not a field of the type %s", t.Key)
			continue
		}
		var value any = raw
		switch defs[i].Kind {
		case KindNumber, KindInteger:
			n, err := strconv.ParseFloat(raw, 64)
			if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
				verr.Add("fields."+name, "must be a number")
				continue
			}
			value = n
		case KindBoolean:
			b, err := strconv.ParseBool(raw)
			if err != nil {
				verr.Add("fields."+name, "must be true or false")
				continue
			}
			value = b
		case KindList, KindMarkdown:
			verr.Add("fields."+name, "is a %s field, which lists cannot filter on", defs[i].Kind)
			continue
		}
		q.fieldFilters = append(q.fieldFilters, fieldFilter{name: name, value: value})
	}
	if verr.Err() != nil {
		return &QueryError{verr}
	}
	return nil
}

// publicList reports whether q is a list of public items without a search or a collection's
// ids, the lists whose ways of reading byTag, byAnyTag, byTagRows and byAuthor choose between.
func publicList(q Query) bool {
	return q.Q == "" && q.Status == "" && !q.Trashed && len(q.orIDs) == 0
}

// otherOrder reports whether q is sorted by title, created_at or updated_at: not by publication
// time, and not by relevance.
func otherOrder(q Query) bool {
	return q.Sort == "title" || q.Sort == "created_at" || q.Sort == "updated_at"
}

// byTag reports whether q's list is read from its first tag's items in publication order
// (the item_tags_published index) rather than from all published items, checking each one's
// tags: a public list by date with tags, where the tag is the narrower way in.
func byTag(q Query) bool {
	return len(q.Tags) > 0 && publicList(q) && q.Sort == "published_at"
}

// fewAnyTagRows is the most rows of listed items that the tags of a tag_any list may have
// together for the list to be read from those rows (byAnyTag), where the other way reads all
// published items newest first, testing each one's tags: a page then costs as many candidates as
// come before its items, about the page's size over the share of items the tags have, and all
// of them when no item has the tags. Measured on 100,000 items, a page over HTTP: a tag that no
// item has, 41-130 ms against 2 ms; four tags with 4,996 rows, 3.2 ms against 2.1 ms (means of
// ten pages).
var fewAnyTagRows int64 = 5000 // a variable for tests

// byAnyTag reports whether q's list is read from the rows of its tag_any tags in the
// item_tags_published index (anyTagRows): a public list by date whose other filters that index
// answers alone (types, publication times, the cursor), and whose tags have few listed items.
func byAnyTag(q Query) bool { return q.fewAnyTags && anyTagShape(q) }

// anyTagShape reports whether q is a list that byAnyTag could read, its tags' sizes aside.
func anyTagShape(q Query) bool {
	return len(q.TagsAny) > 0 && len(q.Tags) == 0 && publicList(q) && q.Sort == "published_at" &&
		q.Page == 0 && q.Author == "" && len(q.Fields) == 0 && len(q.fieldFilters) == 0 && len(q.exclude) == 0
}

// fromTags reports whether q's list reads its candidates as tp, rows of item_tags (byTag or
// byAnyTag), and tests them with the copies of the item's type and times they hold.
func fromTags(q Query) bool { return byTag(q) || byAnyTag(q) }

// anyTagRows is the FROM of a list by byAnyTag: the page's worth of its tags' rows past the
// cursor that q's filters keep, from the index alone, one row an item (an item with two of the
// tags has the same copies under each), and the items they name.
func (s *Store) anyTagRows(db *gorm.DB, q Query, now time.Time, cursor []any) *gorm.DB {
	dir, cmp := "ASC", ">"
	if q.Desc {
		dir, cmp = "DESC", "<"
	}
	rows := db.Session(&gorm.Session{NewDB: true}).Table(s.d.listedTags()).
		Distinct("t.item_id, t.published_at, t.type, t.unpublish_at").
		Where("t.tag IN ? AND t.published_at IS NOT NULL", q.TagsAny).
		Where("t.published_at <= ? AND (t.unpublish_at IS NULL OR t.unpublish_at > ?)", now, now)
	if len(q.Types) > 0 {
		rows = rows.Where("t.type IN ?", q.Types)
	}
	if q.PublishedAfter != nil {
		rows = rows.Where("t.published_at > ?", *q.PublishedAfter)
	}
	if q.PublishedBefore != nil {
		rows = rows.Where("t.published_at < ?", *q.PublishedBefore)
	}
	if cursor != nil {
		rows = rows.Where("(t.published_at, t.item_id) "+cmp+" (?, ?)", cursor...)
	}
	rows = rows.Order("t.published_at " + dir + ", t.item_id " + dir).Limit(q.Limit + 1)
	return db.Table("(?) AS tp CROSS JOIN items AS i", rows).Where("i.id = tp.item_id")
}

// fewTagRows is the most rows of listed items that the tags a public list in another order
// than publication is read from (drivingTags) may have for the list to be read from those rows
// (byTagRows), rather than from the index of its order (sortIndex), testing each item's tags.
// The first reads every item of the tags (its row, for the sort key: some microseconds each);
// the second walks the index until the page is full, about the page's size over the tags'
// share of the items (a fraction of a microsecond an entry), and the whole index for a tag that
// no item has. Measured with sqlite3 on 100,000 items, a page of 20 by title: a tag of 1,193
// items, 9-16 ms against 1 ms; of 4,212, 44-81 ms against 1 ms; a tag that no item has, 1-2 ms
// against 57-69 ms. At this bound the first reads at most 500 rows, and a page of 20 by the
// second walks at most about 20 × (public items / 500) entries: 4,000 on 100,000 items.
var fewTagRows int64 = 500 // a variable for tests

// tagRowsShape reports whether q is a list that byTagRows could read, its tags' sizes aside: a
// public list by title or by a time other than publication, with tags.
func tagRowsShape(q Query) bool {
	return (len(q.Tags) > 0 || len(q.TagsAny) > 0) && publicList(q) && otherOrder(q)
}

// byTagRows reports whether q's list is read from the rows of its driving tags in the
// item_tags_published index (tagRows), which have few listed items.
func byTagRows(q Query) bool { return q.fewTagRows && tagRowsShape(q) }

// drivingTags are the tags whose rows a list by byTagRows is read from: the rarest of the tags
// it must have (ListItems orders them), or else the tags it may have any of.
func drivingTags(q Query) []string {
	if len(q.Tags) > 0 {
		return q.Tags[:1]
	}
	return q.TagsAny
}

// tagRows is the FROM of a list by byTagRows: the public items that its driving tags' rows
// name, from the index alone (one row an item: an item with two of the tags has a row under
// each), and their rows in items, which the list's conditions and sort then read.
func (s *Store) tagRows(db *gorm.DB, q Query, now time.Time) *gorm.DB {
	rows := db.Session(&gorm.Session{NewDB: true}).Table(s.d.listedTags()).Distinct("t.item_id").
		Where("t.tag IN ? AND t.published_at IS NOT NULL", drivingTags(q)).
		Where("t.published_at <= ? AND (t.unpublish_at IS NULL OR t.unpublish_at > ?)", now, now)
	if len(q.Types) > 0 {
		rows = rows.Where("t.type IN ?", q.Types)
	}
	return db.Table("(?) AS tp CROSS JOIN items AS i", rows).Where("i.id = tp.item_id")
}

// authorOrderShape reports whether q is a public list by author in another order than
// publication, which fewAuthorItems chooses the index of.
func authorOrderShape(q Query) bool {
	return q.Author != "" && publicList(q) && otherOrder(q)
}

// fewAuthorItems reports whether the author of q, a list by authorOrderShape, has few enough
// public items for the list to be read from them (items_public_author) and sorted, rather than
// from the index of its order, testing each item's author on its row. Either way a candidate
// costs a row (some microseconds): the first reads the author's c items, the second about
// page × n/c of the n items, so the first is chosen up to c = √(page × n): 1,400 for a page of
// 21 on 100,000 items, 4,600 on a million. Counted from the index, up to that bound.
func (s *Store) fewAuthorItems(ctx context.Context, db *gorm.DB, q Query) (bool, error) {
	n, err := siteSize(ctx, db)
	if err != nil {
		return false, err
	}
	bound := int64(min(math.Sqrt(fewAuthorScale*float64(q.Limit+1)*float64(n)), math.MaxInt32))
	var c int64
	err = db.WithContext(ctx).Raw("SELECT count(*) FROM (SELECT 1 FROM "+s.d.itemsBy("items_public_author")+
		" WHERE i.author_id = ? AND i.status = 'published' AND i.deleted_at IS NULL LIMIT ?) AS a", q.Author, bound+1).Scan(&c).Error
	return c <= bound, wrap(err, "count the author's items")
}

// fewAuthorScale scales fewAuthorItems' bound: a variable for tests.
var fewAuthorScale = 1.0

// byAuthor reports whether q's list is read from its author's public items (items_public_author):
// a public list by author, by publication time or with few items (fewAuthorItems), unless a
// tag's index serves it.
func byAuthor(q Query) bool {
	return q.Author != "" && publicList(q) && !fromTags(q) && !byTagRows(q) && (q.Sort == "published_at" || q.fewByAuthor)
}

// from is the FROM of a list of q: its items (through the index of its order, sortIndex), or
// its first tag's (byTag), or its driving tags' (byTagRows). CROSS JOIN keeps the tag's index
// the outer loop on SQLite; the join's condition is in the WHERE, since PostgreSQL takes no ON
// after a CROSS JOIN.
func (s *Store) from(db *gorm.DB, q Query, now time.Time) *gorm.DB {
	if byTag(q) {
		return db.Table("item_tags AS tp CROSS JOIN items AS i").Where("i.id = tp.item_id")
	}
	if byTagRows(q) {
		return s.tagRows(db, q, now)
	}
	if byAuthor(q) {
		return db.Table(s.d.itemsBy("items_public_author"))
	}
	if index := sortIndex(q); index != "" {
		return db.Table(s.d.itemsBy(index))
	}
	return db.Table("items AS i")
}

// sortIndex is the index of public items in q's order (migration 00011) that q's list is read
// from, a page at a time, testing each item's tags and author if it has some; "" when the
// engine chooses. Lists whose tags or author have few items are read from those items instead
// (byTagRows, byAuthor). Left to itself with tags, SQLite read a common tag's items and sorted
// them for a page of 10 or fewer (100,000 items: 280-310 ms for 44,853 items; 3 ms for a page
// of 20, from the index); with an author, all of the author's.
func sortIndex(q Query) string {
	if q.Status != "" || q.Trashed || q.Q != "" || byTagRows(q) || byAuthor(q) || q.Sort == "published_at" {
		return "" // by publication time, SQLite chooses between the indexes that serve it
	}
	return orderIndex(q)
}

// orderIndex is the index of public items in q's order, of its one type if it has one
// (migrations 00003 and 00011).
func orderIndex(q Query) string {
	column := "published"
	switch q.Sort {
	case "title":
		column = "title"
	case "created_at":
		column = "created"
	case "updated_at":
		column = "updated"
	}
	switch {
	case len(q.Types) == 1:
		return "items_type_" + column
	case column == "published":
		return "items_published"
	}
	return "items_public_" + column
}

// idExpr is the SQL of the id that breaks ties of q's sort key: the same column as the index
// the list is read from has, so that SQLite reads it in order.
func idExpr(q Query) string {
	if fromTags(q) {
		return "tp.item_id"
	}
	return "i.id"
}

// sortExpr is the SQL of q's sort key. Lists that can hold drafts sort them, which have no
// published_at, by their creation time; public lists use the column itself, which the
// published-items indexes hold.
func sortExpr(q Query) string {
	if q.Sort == SortRelevance {
		return "m.search_rank" // the search window's (listQuery)
	}
	if fromTags(q) {
		return "tp.published_at" // the item's, copied beside its tags (migration 00007)
	}
	if q.Sort == "published_at" && (q.Status == "draft" || q.Status == "any" || q.Trashed) {
		return "COALESCE(i.published_at, i.created_at)"
	}
	return "i." + q.Sort // q.Sort is one of SortFields: never client text
}

// sortValue is the sort key of an item, as a cursor keeps it.
func sortValue(q Query, it *Item) string {
	var t time.Time
	switch q.Sort {
	case SortRelevance:
		if it.SearchRank != nil {
			return rankKey(*it.SearchRank)
		}
		return "0"
	case "title":
		return it.Title
	case "updated_at":
		t = it.UpdatedAt
	case "created_at":
		t = it.CreatedAt
	default:
		t = it.CreatedAt
		if it.PublishedAt != nil {
			t = *it.PublishedAt
		}
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// cursorKey turns a cursor's key back into the value the database compares with.
func cursorKey(sort, key string) (any, error) {
	switch sort {
	case "title":
		return key, nil
	case SortRelevance:
		f, err := strconv.ParseFloat(key, 64)
		if err != nil {
			return nil, ErrBadCursor
		}
		return f, nil
	}
	t, err := time.Parse(time.RFC3339Nano, key)
	if err != nil {
		return nil, ErrBadCursor
	}
	return t.UTC(), nil
}

// ErrBadCursor: a cursor that decodes but does not fit its sort.
var ErrBadCursor = errors.New("the cursor is not one this API returned")

// parseDBTime reads a time as the SQLite driver stores it (an aggregate such as MIN loses the
// column's type, so the driver hands back text).
func parseDBTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("read time %q", s)
}

// loadTags fills the Tags of items, in their order.
func loadTags(ctx context.Context, db *gorm.DB, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	ids := make([]string, len(items))
	index := make(map[string]int, len(items))
	for i := range items {
		ids[i] = items[i].ID
		index[items[i].ID] = i
		items[i].Tags = []string{}
	}
	return eachItemTag(ctx, db, ids, false, func(id, tag string) {
		it := &items[index[id]]
		it.Tags = append(it.Tags, tag)
	})
}

// The tags of items, by their ids, in their order: their slugs, or their names. Both are read
// from the index item_tags_in_order (migration 00014), in its order.
const (
	itemTagsSQL     = "SELECT x.item_id, x.tag FROM item_tags x WHERE x.item_id IN ? ORDER BY x.item_id, x.position"
	itemTagNamesSQL = "SELECT x.item_id, t.name FROM item_tags x JOIN tags t ON t.slug = x.tag WHERE x.item_id IN ? ORDER BY x.item_id, x.position"
)

// eachItemTag calls fn with each tag of the items with ids, in the items' order of their tags:
// the tag's slug, or with names its name. Read by hand, as findItems reads items.
func eachItemTag(ctx context.Context, db *gorm.DB, ids []string, names bool, fn func(itemID, tag string)) error {
	query := itemTagsSQL
	if names {
		query = itemTagNamesSQL
	}
	rows, err := withContext(db, ctx).Raw(query, ids).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	var id, tag string
	for rows.Next() {
		if err := rows.Scan(&id, &tag); err != nil {
			return err
		}
		fn(id, tag)
	}
	return rows.Err()
}

// CountItems returns how many items there are, trashed ones included.
func (s *Store) CountItems(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Item{}).Count(&n).Error
	return n, wrap(err, "count items")
}

// typeAndTags is the condition of q's type and tag filters, and whether there is one.
//
// A list by tag (byTag) tests the candidates it reads from the tag's index with what that index
// holds (the item's type, its id) rather than with the item's row: SQLite tests a condition as
// soon as the tables it names are read, so a candidate that fails is passed over before its
// row in items is read.
func typeAndTags(db *gorm.DB, q Query, d dialect) (*gorm.DB, bool) {
	any := false
	item, typ, published := "i.id", "i.type", "i.published_at"
	if fromTags(q) {
		item, typ, published = "tp.item_id", "tp.type", "tp.published_at"
	}
	// hasTag is the test that an item has one of some tags. In a public list every item is
	// listed, so its tags' rows hold its published_at: the test then looks the item up in the
	// tags' index by publication time, and the list's items, which come in that order, find
	// their entries side by side, in pages just read; by id they are scattered over the whole
	// index, a page read from disk or the OS for nearly every item.
	hasTag := func(tags string) string {
		if q.Status == "" && !q.Trashed {
			return d.hasRow("SELECT 1 FROM " + d.listedTags() + " WHERE t.tag " + tags + " AND t.published_at = " + published + " AND t.item_id = " + item)
		}
		return "EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = " + item + " AND t.tag " + tags + ")"
	}
	switch len(q.Types) {
	case 0:
	case 1:
		// Equality, not IN: SQLite reads the type's index in order only for an equality.
		db, any = db.Where(typ+" = ?", q.Types[0]), true
	default:
		db, any = db.Where(typ+" IN ?", q.Types), true
	}
	for n, t := range q.Tags {
		if n == 0 && byTag(q) {
			// The list is read from this tag's items; listed ones only, as the index has.
			db, any = db.Where("tp.tag = ? AND tp.published_at IS NOT NULL", t), true
			continue
		}
		if n == 0 && byTagRows(q) {
			continue // the list is read from this tag's items (tagRows)
		}
		db, any = db.Where(hasTag("= ?"), t), true
	}
	if len(q.TagsAny) > 0 {
		if byTagRows(q) && len(q.Tags) == 0 {
			return db, any // the list is read from these tags' items (tagRows)
		}
		db, any = db.Where(hasTag("IN ?"), q.TagsAny), true
	}
	return db, any
}
