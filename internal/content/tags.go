package content

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/validation"
)

// Errors about tags.
var (
	// ErrTagExists: a tag with the slug exists.
	ErrTagExists = errors.New("a tag with this slug exists")
	// ErrTagInUse: items carry the tag, or collections filter on it; deleting it needs detach.
	ErrTagInUse = errors.New("items carry this tag")
)

// TagInput is a tag's values as a client gives them; nil leaves a value as it is on update.
type TagInput struct {
	Slug  *string
	Name  *string
	Group Optional[string]
}

func checkTag(verr *validation.Error, t *Tag) {
	if !ValidSlug(t.Slug) {
		verr.Add("slug", "must be lower-case letters and digits joined by single hyphens, at most %d characters", MaxSlug)
	}
	if n := utf8.RuneCountInString(t.Name); n < 1 || n > 100 || blank(t.Name) {
		verr.Add("name", "must be 1 to 100 characters")
	}
	if t.Group != nil && (utf8.RuneCountInString(*t.Group) > 50 || blank(*t.Group)) {
		verr.Add("group", "must be 1 to 50 characters, or null")
	}
}

// CreateTag creates a tag.
func (s *Store) CreateTag(ctx context.Context, slug, name string, group *string) (*Tag, error) {
	now := s.clock()
	t := &Tag{Slug: slug, Name: strings.TrimSpace(name), Group: group, Version: 1, CreatedAt: now, UpdatedAt: now}
	verr := &validation.Error{}
	checkTag(verr, t)
	if err := verr.Err(); err != nil {
		return nil, err
	}
	if err := s.write(ctx, func(tx *gorm.DB) error { return tx.Create(t).Error }); err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, ErrTagExists
		}
		return nil, wrap(err, "create tag")
	}
	return t, nil
}

// Tags returns up to limit tags by slug, after the slug after, in group when it is not "", and
// whether more follow.
func (s *Store) Tags(ctx context.Context, limit int, after, group string) ([]Tag, bool, error) {
	q := s.db.WithContext(ctx).Order("slug").Limit(limit + 1)
	if after != "" {
		q = q.Where("slug > ?", after)
	}
	if group != "" {
		q = q.Where(`"group" = ?`, group)
	}
	var tags []Tag
	if err := q.Find(&tags).Error; err != nil {
		return nil, false, wrap(err, "list tags")
	}
	more := len(tags) > limit
	return tags[:min(len(tags), limit)], more, nil
}

// FindTag returns the tag with slug.
func (s *Store) FindTag(ctx context.Context, slug string) (*Tag, error) {
	var t Tag
	err := s.db.WithContext(ctx).Where("slug = ?", slug).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &t, wrap(err, "find tag")
}

// UpdateTag renames a tag (its name, group or slug). A new slug follows into the items that
// carry the tag.
func (s *Store) UpdateTag(ctx context.Context, slug string, ifVersions []int64, in TagInput) (*Tag, error) {
	var out Tag
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("slug = ?", slug).Take(&out).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if len(ifVersions) > 0 && !slices.Contains(ifVersions, out.Version) {
			return ErrStale
		}
		if in.Slug != nil {
			out.Slug = *in.Slug
		}
		if in.Name != nil {
			out.Name = strings.TrimSpace(*in.Name)
		}
		if in.Group.Set {
			out.Group = nil
			if !in.Group.Null {
				out.Group = &in.Group.Value
			}
		}
		verr := &validation.Error{}
		checkTag(verr, &out)
		if err := verr.Err(); err != nil {
			return err
		}
		out.Version++
		out.UpdatedAt = s.clock()
		// The item links follow a new slug by ON UPDATE CASCADE; collection filters, here.
		err := tx.Model(&Tag{}).Where("slug = ?", slug).
			Updates(map[string]any{"slug": out.Slug, "name": out.Name, "group": out.Group, "version": out.Version, "updated_at": out.UpdatedAt}).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ErrTagExists
		}
		if err != nil {
			return err
		}
		// The search index holds tag names: the items that carry the tag are indexed again.
		var ids []string
		if err := tx.Model(&itemTag{}).Where("tag = ?", out.Slug).Pluck("item_id", &ids).Error; err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.reindex(tx, id); err != nil {
				return err
			}
		}
		if out.Slug == slug {
			return nil
		}
		return rewriteCollectionTags(tx, slug, &out.Slug, out.UpdatedAt)
	})
	if err != nil {
		return nil, wrap(err, "update tag "+slug)
	}
	return &out, nil
}

// DeleteTag deletes a tag. If items carry it, it fails with ErrTagInUse, unless detach: then the
// tag is taken off each item first, as a new version of the item with a revision by the actor.
func (s *Store) DeleteTag(ctx context.Context, a *Actor, slug string, ifVersions []int64, detach bool) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		var t Tag
		if err := tx.Where("slug = ?", slug).Take(&t).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if len(ifVersions) > 0 && !slices.Contains(ifVersions, t.Version) {
			return ErrStale
		}
		var items []Item
		err := tx.Table("items AS i").Select("i.*").
			Where("EXISTS (SELECT 1 FROM item_tags t WHERE t.item_id = i.id AND t.tag = ?)", slug).Find(&items).Error
		if err != nil {
			return err
		}
		cols, err := collectionsUsing(tx, func(f CollectionFilter) bool {
			return slices.Contains(f.Tags, slug) || slices.Contains(f.TagsAny, slug)
		})
		if err != nil {
			return err
		}
		if (len(items) > 0 || len(cols) > 0) && !detach {
			return ErrTagInUse
		}
		if err := loadTags(ctx, tx, items); err != nil {
			return err
		}
		now := s.clock()
		for i := range items {
			it := &items[i]
			it.Tags = slices.DeleteFunc(it.Tags, func(x string) bool { return x == slug })
			it.Version++
			it.UpdatedAt = now
			if err := tx.Model(&Item{}).Where("id = ?", it.ID).Select("version", "updated_at").Updates(it).Error; err != nil {
				return err
			}
			if err := saveRevision(tx, it, a, now); err != nil {
				return err
			}
		}
		if err := rewriteCollectionTags(tx, slug, nil, now); err != nil {
			return err
		}
		if err := tx.Where("tag = ?", slug).Delete(&itemTag{}).Error; err != nil {
			return err
		}
		for _, it := range items {
			if err := s.reindex(tx, it.ID); err != nil {
				return err
			}
		}
		return tx.Where("slug = ?", slug).Delete(&Tag{}).Error
	})
	return wrap(err, "delete tag "+slug)
}

// rewriteCollectionTags replaces the tag slug in every collection filter with to, or removes it
// when to is nil, each changed collection getting a new version.
func rewriteCollectionTags(tx *gorm.DB, slug string, to *string, now time.Time) error {
	uses := func(f CollectionFilter) bool {
		return slices.Contains(f.Tags, slug) || slices.Contains(f.TagsAny, slug)
	}
	cols, err := collectionsUsing(tx, uses)
	if err != nil {
		return err
	}
	for _, c := range cols {
		f := c.FilterValue()
		for _, list := range []*[]string{&f.Tags, &f.TagsAny} {
			if to != nil {
				for i, t := range *list {
					if t == slug {
						(*list)[i] = *to
					}
				}
			} else {
				*list = slices.DeleteFunc(*list, func(t string) bool { return t == slug })
			}
		}
		b, _ := json.Marshal(f)
		err := tx.Model(&Collection{}).Where("key = ?", c.Key).
			Updates(map[string]any{"filter": string(b), "version": c.Version + 1, "updated_at": now}).Error
		if err != nil {
			return err
		}
	}
	return nil
}
