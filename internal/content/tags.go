package content

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/validation"
)

// ErrTagExists: a tag with the slug exists.
var ErrTagExists = errors.New("a tag with this slug exists")

// CreateTag creates a tag.
func (s *Store) CreateTag(ctx context.Context, slug, name string, group *string) (*Tag, error) {
	verr := &validation.Error{}
	if !ValidSlug(slug) {
		verr.Add("slug", "must be lower-case letters and digits joined by single hyphens, at most %d characters", MaxSlug)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n < 1 || n > 100 {
		verr.Add("name", "must be 1 to 100 characters")
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	now := s.clock()
	t := &Tag{Slug: slug, Name: strings.TrimSpace(name), Group: group, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.db.WithContext(ctx).Create(t).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, ErrTagExists
		}
		return nil, wrap(err, "create tag")
	}
	return t, nil
}
