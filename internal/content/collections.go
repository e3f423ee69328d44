package content

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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

// pinnedCursor is the sort name of cursors in a collection's pinned items: its key is how many
// pinned public items came before.
const pinnedCursor = "pinned"

// CollectionQuery is the query of a collection's page.
type CollectionQuery struct {
	Limit  int
	Page   int // 1-based; 0 in cursor mode
	Cursor *Cursor
}

// CollectionItems returns a page of a collection: its pinned public items, in order, then every
// other public item that matches its filter, in its sort. Pinned items that are not public are
// skipped, whoever asks.
func (s *Store) CollectionItems(ctx context.Context, key string, cq CollectionQuery) (*Page, error) {
	c, err := s.FindCollection(ctx, key)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var pinned []Item
	for _, id := range c.PinnedIDs() {
		it, err := s.find(ctx, s.db, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, wrap(err, "pinned item")
		}
		if it.Public(now) {
			pinned = append(pinned, *it)
		}
	}
	f := c.FilterValue()
	sortField, desc := strings.CutPrefix(c.Sort, "-")
	rest := Query{Types: f.Types, Tags: f.Tags, TagsAny: f.TagsAny, Sort: sortField, Desc: desc, Limit: cq.Limit}
	for _, it := range pinned {
		rest.exclude = append(rest.exclude, it.ID)
	}
	sortName := sortKey(sortField, desc)

	page := &Page{}
	if cq.Page > 0 {
		var n int64
		if err := s.filter(s.db.WithContext(ctx).Table("items AS i"), nil, rest, now).Count(&n).Error; err != nil {
			return nil, wrap(err, "count collection items")
		}
		page.Total = int64(len(pinned)) + n
		offset := (cq.Page - 1) * cq.Limit
		if offset < len(pinned) {
			page.Items = append(page.Items, pinned[offset:min(len(pinned), offset+cq.Limit)]...)
			offset = 0
		} else {
			offset -= len(pinned)
		}
		if need := cq.Limit - len(page.Items); need > 0 {
			q, err := s.listQuery(s.db.WithContext(ctx), nil, rest, now)
			if err != nil {
				return nil, err
			}
			var more []Item
			if err := q.Limit(need).Offset(offset).Find(&more).Error; err != nil {
				return nil, wrap(err, "collection items")
			}
			if err := loadTags(ctx, s.db, more); err != nil {
				return nil, wrap(err, "collection items' tags")
			}
			page.Items = append(page.Items, more...)
		}
		return page, nil
	}

	// Cursor mode: first the pinned phase, then the filter phase with the filter's own cursors.
	start := 0
	switch {
	case cq.Cursor == nil:
	case cq.Cursor.Sort == pinnedCursor:
		n, err := strconv.Atoi(cq.Cursor.Key)
		if err != nil || n < 0 {
			return nil, ErrBadCursor
		}
		start = min(n, len(pinned))
	case cq.Cursor.Sort == sortName:
		start = len(pinned)
		rest.Cursor = cq.Cursor
	default:
		return nil, ErrBadCursor
	}
	if start < len(pinned) {
		page.Items = append(page.Items, pinned[start:min(len(pinned), start+cq.Limit)]...)
		if start+cq.Limit < len(pinned) {
			page.Next = &Cursor{Sort: pinnedCursor, Key: strconv.Itoa(start + cq.Limit), ID: "-"}
			return page, nil
		}
	}
	need := cq.Limit - len(page.Items)
	rest.Limit = max(need, 1) // with the page full of pinned items, one more tells whether more follow
	more, err := s.ListItems(ctx, nil, rest)
	if err != nil {
		return nil, err
	}
	switch {
	case need == 0 && len(more.Items) > 0:
		page.Next = &Cursor{Sort: pinnedCursor, Key: strconv.Itoa(len(pinned)), ID: "-"}
	case need > 0:
		page.Items = append(page.Items, more.Items...)
		page.Next = more.Next
	}
	return page, nil
}
