package content

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/validation"
)

// Errors about collections.
var ErrCollectionExists = errors.New("a collection with this key exists")

// maxPinned bounds a collection's pinned items.
const maxPinned = 50

// Collection is a curated listing page: its pinned items (in order, public ones only), then every
// other public item that matches its filter, in its sort order.
type Collection struct {
	Key         string `gorm:"primaryKey"`
	Title       string
	Description string
	Filter      string // JSON: CollectionFilter
	Pinned      string // JSON: item ids
	Sort        string // a sort field, - for descending
	Version     int64
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt   time.Time `gorm:"autoUpdateTime:false"`
}

// CollectionFilter selects a collection's items: of any of Types (any type when empty), with
// all of Tags and, when given, any of TagsAny.
type CollectionFilter struct {
	Types   []string `json:"types"`
	Tags    []string `json:"tags"`
	TagsAny []string `json:"tags_any"`
}

// FilterValue returns the collection's filter.
func (c *Collection) FilterValue() CollectionFilter {
	var f CollectionFilter
	_ = json.Unmarshal([]byte(c.Filter), &f)
	f.Types, f.Tags, f.TagsAny = orEmpty(f.Types), orEmpty(f.Tags), orEmpty(f.TagsAny)
	return f
}

// PinnedIDs returns the collection's pinned item ids, in order.
func (c *Collection) PinnedIDs() []string {
	var ids []string
	_ = json.Unmarshal([]byte(c.Pinned), &ids)
	return orEmpty(ids)
}

// CollectionInput is a collection's values as a client gives them; nil leaves one as it is on
// update (and takes the default on create).
type CollectionInput struct {
	Title       *string
	Description *string
	Filter      *CollectionFilter
	Pinned      *[]string
	Sort        *string
}

func (s *Store) applyCollection(tx *gorm.DB, verr *validation.Error, c *Collection, in CollectionInput) error {
	if in.Title != nil {
		c.Title = strings.TrimSpace(*in.Title)
	}
	if in.Description != nil {
		c.Description = *in.Description
	}
	if in.Sort != nil {
		c.Sort = *in.Sort
	}
	if n := utf8.RuneCountInString(c.Title); n < 1 || n > 200 {
		verr.Add("title", "must be 1 to 200 characters")
	}
	if utf8.RuneCountInString(c.Description) > 2000 {
		verr.Add("description", "must be at most 2000 characters")
	}
	if field, _ := strings.CutPrefix(c.Sort, "-"); !slices.Contains(SortFields, field) {
		verr.Add("sort", "must be one of %s, each optionally with - for descending", strings.Join(SortFields, ", "))
	}
	if in.Filter != nil {
		f := *in.Filter
		known, err := typeKeys(tx)
		if err != nil {
			return err
		}
		for i, t := range f.Types {
			if !slices.Contains(known, t) {
				verr.Add(fmt.Sprintf("filter.types[%d]", i), "%q is not a content type", t)
			}
		}
		for name, tags := range map[string][]string{"filter.tags": f.Tags, "filter.tags_any": f.TagsAny} {
			var found []string
			if err := tx.Model(&Tag{}).Where("slug IN ?", orEmpty(tags)).Pluck("slug", &found).Error; err != nil {
				return err
			}
			for i, t := range tags {
				if !slices.Contains(found, t) {
					verr.Add(fmt.Sprintf("%s[%d]", name, i), "%q is not a tag", t)
				}
			}
		}
		b, _ := json.Marshal(CollectionFilter{Types: orEmpty(f.Types), Tags: orEmpty(f.Tags), TagsAny: orEmpty(f.TagsAny)})
		c.Filter = string(b)
	}
	if in.Pinned != nil {
		ids := *in.Pinned
		if len(ids) > maxPinned {
			verr.Add("pinned", "must be at most %d items", maxPinned)
		}
		var found []string
		if err := tx.Model(&Item{}).Where("id IN ?", orEmpty(ids)).Pluck("id", &found).Error; err != nil {
			return err
		}
		for i, id := range ids {
			switch {
			case slices.Index(ids, id) != i:
				verr.Add(fmt.Sprintf("pinned[%d]", i), "repeats %s", id)
			case !slices.Contains(found, id):
				verr.Add(fmt.Sprintf("pinned[%d]", i), "names no item")
			}
		}
		b, _ := json.Marshal(orEmpty(ids))
		c.Pinned = string(b)
	}
	return nil
}

// CreateCollection creates a collection.
func (s *Store) CreateCollection(ctx context.Context, key string, in CollectionInput) (*Collection, error) {
	now := s.clock()
	c := &Collection{Key: key, Filter: `{"types":[],"tags":[],"tags_any":[]}`, Pinned: "[]", Sort: "-published_at", Version: 1, CreatedAt: now, UpdatedAt: now}
	err := s.write(ctx, func(tx *gorm.DB) error {
		verr := &validation.Error{}
		if !ValidSlug(key) {
			verr.Add("key", "must be lower-case letters and digits joined by single hyphens, at most %d characters", MaxSlug)
		}
		if err := s.applyCollection(tx, verr, c, in); err != nil {
			return err
		}
		if err := verr.Err(); err != nil {
			return err
		}
		if err := tx.Create(c).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrCollectionExists
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err, "create collection")
	}
	return c, nil
}

// UpdateCollection changes a collection.
func (s *Store) UpdateCollection(ctx context.Context, key string, ifVersions []int64, in CollectionInput) (*Collection, error) {
	var c Collection
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("key = ?", key).Take(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if len(ifVersions) > 0 && !slices.Contains(ifVersions, c.Version) {
			return ErrStale
		}
		verr := &validation.Error{}
		if err := s.applyCollection(tx, verr, &c, in); err != nil {
			return err
		}
		if err := verr.Err(); err != nil {
			return err
		}
		c.Version++
		c.UpdatedAt = s.clock()
		return tx.Model(&Collection{}).Where("key = ?", key).
			Select("title", "description", "filter", "pinned", "sort", "version", "updated_at").Updates(&c).Error
	})
	if err != nil {
		return nil, wrap(err, "update collection "+key)
	}
	return &c, nil
}

// DeleteCollection deletes a collection (not its items).
func (s *Store) DeleteCollection(ctx context.Context, key string, ifVersions []int64) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		var c Collection
		if err := tx.Where("key = ?", key).Take(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if len(ifVersions) > 0 && !slices.Contains(ifVersions, c.Version) {
			return ErrStale
		}
		return tx.Where("key = ?", key).Delete(&Collection{}).Error
	})
	return wrap(err, "delete collection "+key)
}

// FindCollection returns the collection with key.
func (s *Store) FindCollection(ctx context.Context, key string) (*Collection, error) {
	var c Collection
	err := s.db.WithContext(ctx).Where("key = ?", key).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &c, wrap(err, "find collection")
}

// Collections returns up to limit collections by key, after the key after, and whether more
// follow.
func (s *Store) Collections(ctx context.Context, limit int, after string) ([]Collection, bool, error) {
	q := s.db.WithContext(ctx).Order("key").Limit(limit + 1)
	if after != "" {
		q = q.Where("key > ?", after)
	}
	var cs []Collection
	if err := q.Find(&cs).Error; err != nil {
		return nil, false, wrap(err, "list collections")
	}
	more := len(cs) > limit
	return cs[:min(len(cs), limit)], more, nil
}

// CollectionQuery is the query of a collection's page.
type CollectionQuery struct {
	Limit  int
	Page   int // 1-based; 0 in cursor mode
	Cursor *Cursor
	// Q searches the collection: its pinned and filtered items alike, by relevance.
	Q string
}

// pinnedItem is a public pinned item and its place in the collection's pinned list.
type pinnedItem struct {
	index int
	item  Item
}

// publicPinned reads the collection's pinned items that are public now, in their order, in one
// query.
func (s *Store) publicPinned(ctx context.Context, c *Collection, now time.Time) ([]pinnedItem, error) {
	ids := c.PinnedIDs()
	if len(ids) == 0 {
		return nil, nil
	}
	var items []Item
	err := s.db.WithContext(ctx).Table("items AS i").Select("i.*, u.name AS author_name").
		Joins("JOIN users u ON u.id = i.author_id").Where("i.id IN ?", ids).
		Where(publicSQL, sql.Named("now", now)).Find(&items).Error
	if err != nil {
		return nil, err
	}
	if err := loadTags(ctx, s.db, items); err != nil {
		return nil, err
	}
	var out []pinnedItem
	for i, id := range ids {
		if j := slices.IndexFunc(items, func(it Item) bool { return it.ID == id }); j >= 0 {
			out = append(out, pinnedItem{index: i, item: items[j]})
		}
	}
	return out, nil
}

// CollectionItems returns a page of a collection: its pinned public items, in order, then every
// other public item that matches its filter, in its sort. Pinned items that are not public are
// skipped, whoever asks.
//
// Its cursors name the collection, so that one cannot be used on another: in the pinned items,
// the place in the pinned list to go on from (a place, not a count of public items, so that a
// pinned item that stops being public between two pages skips nothing); then the filter's own
// keyset cursor.
func (s *Store) CollectionItems(ctx context.Context, key string, cq CollectionQuery) (*Page, error) {
	c, err := s.FindCollection(ctx, key)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	pinned, err := s.publicPinned(ctx, c, now)
	if err != nil {
		return nil, wrap(err, "pinned items")
	}
	f := c.FilterValue()
	sortField, desc := strings.CutPrefix(c.Sort, "-")
	rest := Query{Types: f.Types, Tags: f.Tags, TagsAny: f.TagsAny, Sort: sortField, Desc: desc, Limit: cq.Limit}
	if cq.Q != "" {
		// A search of the collection: what the filter matches, and the public pinned items too
		// (as ids, whatever the filter), ranked together.
		rest.Q, rest.Sort, rest.Desc = cq.Q, SortRelevance, false
		for _, p := range pinned {
			rest.orIDs = append(rest.orIDs, p.item.ID)
		}
		pinned = nil
	}
	for _, p := range pinned {
		rest.exclude = append(rest.exclude, p.item.ID)
	}
	if err := s.prepareSearch(ctx, s.db.WithContext(ctx), &rest); err != nil {
		return nil, err
	}

	page := &Page{}
	if cq.Page > 0 {
		n, err := s.countItems(s.db.WithContext(ctx), nil, rest, now)
		if err != nil {
			return nil, wrap(err, "count collection items")
		}
		page.Total = int64(len(pinned)) + n
		offset := (cq.Page - 1) * cq.Limit
		if offset < len(pinned) {
			for _, p := range pinned[offset:min(len(pinned), offset+cq.Limit)] {
				page.Items = append(page.Items, p.item)
			}
			offset = 0
		} else {
			offset -= len(pinned)
		}
		if need := cq.Limit - len(page.Items); need > 0 {
			q, err := s.listQuery(s.db.WithContext(ctx), nil, rest, now)
			if err != nil {
				return nil, err
			}
			more, err := findItems(q.Limit(need).Offset(offset))
			if err != nil {
				return nil, wrap(err, "collection items")
			}
			if err := loadTags(ctx, s.db, more); err != nil {
				return nil, wrap(err, "collection items' tags")
			}
			if err := s.addSnippets(ctx, s.db, rest.Q, more); err != nil {
				return nil, wrap(err, "search snippets")
			}
			page.Items = append(page.Items, more...)
		}
		return page, nil
	}

	prefix := "c:" + key + ":"
	from := 0 // place in the pinned list
	if cq.Cursor != nil {
		inner, ok := strings.CutPrefix(cq.Cursor.Sort, prefix)
		switch {
		case !ok:
			return nil, ErrBadCursor
		case inner == "pinned":
			n, err := strconv.Atoi(cq.Cursor.Key)
			if err != nil || n < 0 {
				return nil, ErrBadCursor
			}
			from = n
		default:
			from = math.MaxInt
			rest.Cursor = &Cursor{Sort: inner, Key: cq.Cursor.Key, ID: cq.Cursor.ID}
		}
	}
	for _, p := range pinned {
		if p.index < from {
			continue
		}
		if len(page.Items) == cq.Limit {
			page.Next = &Cursor{Sort: prefix + "pinned", Key: strconv.Itoa(p.index), ID: "-"}
			return page, nil
		}
		page.Items = append(page.Items, p.item)
	}
	need := cq.Limit - len(page.Items)
	rest.Limit = max(need, 1) // with the page full of pinned items, one more tells whether more follow
	more, err := s.ListItems(ctx, nil, rest)
	if err != nil {
		return nil, err
	}
	switch {
	case need == 0 && len(more.Items) > 0:
		page.Next = &Cursor{Sort: prefix + "pinned", Key: strconv.Itoa(math.MaxInt32), ID: "-"}
	case need > 0:
		page.Items = append(page.Items, more.Items...)
		if more.Next != nil {
			page.Next = &Cursor{Sort: prefix + more.Next.Sort, Key: more.Next.Key, ID: more.Next.ID}
		}
	}
	return page, nil
}

// collectionsUsing returns the collections whose filter satisfies uses.
func collectionsUsing(tx *gorm.DB, uses func(CollectionFilter) bool) ([]Collection, error) {
	var all []Collection
	if err := tx.Find(&all).Error; err != nil {
		return nil, err
	}
	var out []Collection
	for _, c := range all {
		if uses(c.FilterValue()) {
			out = append(out, c)
		}
	}
	return out, nil
}

// PublicIDs returns those of ids that name public items, in their order: what an anonymous
// reader may know of a collection's pinned items.
func (s *Store) PublicIDs(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return []string{}, nil
	}
	var public []string
	err := s.db.WithContext(ctx).Table("items AS i").Where("i.id IN ?", ids).
		Where(publicSQL, sql.Named("now", s.clock())).Pluck("i.id", &public).Error
	if err != nil {
		return nil, wrap(err, "public pinned items")
	}
	out := []string{}
	for _, id := range ids {
		if slices.Contains(public, id) {
			out = append(out, id)
		}
	}
	return out, nil
}
