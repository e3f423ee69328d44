package content

import (
	"context"
	"encoding/json"
	"errors"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/validation"
)

// Revisions returns an item's revisions, newest first: up to limit of them, older than version
// before (0 for the newest), and whether more follow. Who may see the item's drafts may see
// its revisions: editors and admins, and its author.
func (s *Store) Revisions(ctx context.Context, a *Actor, itemID string, limit int, before int64) ([]Revision, bool, error) {
	if err := s.requireRevisionReader(ctx, a, itemID); err != nil {
		return nil, false, err
	}
	q := s.revisions(ctx).Where("r.item_id = ?", itemID).Order("r.version DESC").Limit(limit + 1)
	if before > 0 {
		q = q.Where("r.version < ?", before)
	}
	var revs []Revision
	if err := q.Find(&revs).Error; err != nil {
		return nil, false, wrap(err, "list revisions")
	}
	more := len(revs) > limit
	return revs[:min(len(revs), limit)], more, nil
}

// Revision returns one revision of an item.
func (s *Store) Revision(ctx context.Context, a *Actor, itemID string, version int64) (*Revision, error) {
	if err := s.requireRevisionReader(ctx, a, itemID); err != nil {
		return nil, err
	}
	var r Revision
	err := s.revisions(ctx).Where("r.item_id = ? AND r.version = ?", itemID, version).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, wrap(err, "find revision")
	}
	return &r, nil
}

func (s *Store) revisions(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("revisions AS r").Select("r.*, u.name AS author_name").
		Joins("JOIN users u ON u.id = r.author_id")
}

// requireRevisionReader: revisions show drafts, so they are for editors and the item's author;
// anyone else gets ErrNotFound (or ErrForbidden when they may see the public item itself).
func (s *Store) requireRevisionReader(ctx context.Context, a *Actor, itemID string) error {
	it, err := s.FindItem(ctx, a, itemID)
	if err != nil {
		return err
	}
	if !a.editor() && !a.owns(it) {
		return ErrForbidden
	}
	return nil
}

// RestoreRevision makes a revision's content the item's again, as a new version: title,
// summary, body, fields, tags and slug; not its status, dates or place in the trash.
func (s *Store) RestoreRevision(ctx context.Context, a *Actor, itemID string, version int64, ifVersions []int64) (*Item, error) {
	// Read and render the revision before the transaction, which holds the only writer;
	// revisions never change, so what was read is what is restored.
	var r Revision
	err := s.db.WithContext(ctx).Where("item_id = ? AND version = ?", itemID, version).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		if _, ferr := s.FindItem(ctx, a, itemID); ferr != nil {
			return nil, ferr // the item itself is not there, or not visible
		}
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, wrap(err, "find revision")
	}
	var snap Snapshot
	if err := json.Unmarshal([]byte(r.Snapshot), &snap); err != nil {
		return nil, wrap(err, "read revision")
	}
	html, err := s.render(snap.Body)
	if err != nil {
		return nil, err
	}
	view, err := s.viewType(ctx, snap.Type)
	if err != nil {
		return nil, err
	}
	rendered, err := view.render(s, snap.Fields)
	if err != nil {
		return nil, err
	}
	return s.change(ctx, a, itemID, ifVersions, func(tx *gorm.DB, it *Item, verr *validation.Error) error {
		if err := canEdit(a, it); err != nil {
			return err
		}
		if it.DeletedAt != nil {
			return ErrInTrash
		}
		it.Title, it.Summary, it.Body, it.BodyHTML, it.Tags = snap.Title, snap.Summary, snap.Body, html, snap.Tags
		it.Fields = string(snap.Fields)
		checkContent(verr, it)
		// Tags deleted since the revision, or fields the type no longer has, would make the item
		// invalid: say which.
		if err := checkReferences(tx, verr, it); err != nil {
			return err
		}
		if err := view.confirm(ctx, tx); err != nil {
			return err
		}
		if err := view.checkFields(tx, verr, it, rendered, a, s.clock()); err != nil {
			return err
		}
		if snap.Slug != it.Slug {
			it.Slug = snap.Slug
			if err := requireFreeSlug(tx, it); err != nil {
				return err
			}
		}
		return nil
	})
}
