package content

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/validation"
)

// Types returns every content type, by key.
func (s *Store) Types(ctx context.Context) ([]Type, error) {
	var types []Type
	if err := s.db.WithContext(ctx).Order("key").Find(&types).Error; err != nil {
		return nil, wrap(err, "list types")
	}
	return types, nil
}

// FindType returns the type with key.
func (s *Store) FindType(ctx context.Context, key string) (*Type, error) {
	t, err := loadType(ctx, s.db, key)
	return t, wrap(err, "find type "+key)
}

// TypesVersion changes whenever any type changes: for caches of what is derived from all types.
func (s *Store) TypesVersion(ctx context.Context) (string, error) {
	var v struct {
		N       int64
		Sum     int64
		Updated *string
	}
	err := s.db.WithContext(ctx).Raw("SELECT count(*) AS n, COALESCE(sum(version), 0) AS sum, max(updated_at) AS updated FROM types").Scan(&v).Error
	if err != nil {
		return "", wrap(err, "types version")
	}
	updated := ""
	if v.Updated != nil {
		updated = *v.Updated
	}
	return fmt.Sprintf("%d.%d.%s", v.N, v.Sum, updated), nil
}

// CreateType defines a new content type. Admins only (the HTTP edge checks the role).
func (s *Store) CreateType(ctx context.Context, key string, in TypeInput) (*Type, error) {
	verr := &validation.Error{}
	if !typeKeyPattern.MatchString(key) {
		verr.Add("key", "must be lower-case letters, digits, - and _, starting with a letter, at most 64 characters")
	}
	var out *Type
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		known, err := typeKeys(tx)
		if err != nil {
			return err
		}
		if slices.Contains(known, key) {
			return ErrTypeExists
		}
		checkTypeInput(verr, in, func(k string) bool { return k == key || slices.Contains(known, k) })
		if err := verr.Err(); err != nil {
			return err
		}
		now := s.clock()
		defs, err := json.Marshal(orEmpty(in.Fields))
		if err != nil {
			return err
		}
		out = &Type{Key: key, Name: strings.TrimSpace(in.Name), Description: in.Description, Fields: string(defs), Version: 1, CreatedAt: now, UpdatedAt: now}
		return tx.Create(out).Error
	})
	if err != nil {
		return nil, wrap(err, "create type")
	}
	return out, nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func typeKeys(tx *gorm.DB) ([]string, error) {
	var keys []string
	err := tx.Model(&Type{}).Pluck("key", &keys).Error
	return keys, err
}

// TypePlan is what a change to a type does to the items of the type.
type TypePlan struct {
	// Changes lists the parts of the change that could make existing items invalid.
	Changes []string
	// Items is how many items of the type there are (trashed included); Invalid how many would
	// not validate under the new definition, Examples a few of their ids.
	Items    int
	Invalid  int
	Examples []string
	// Stripped is how many items hold values of removed fields: applying removes those values
	// from the items (each gets a new version; earlier revisions keep the values).
	Stripped int
	Applied  bool
}

// PlanError is returned when a change to a type could invalidate items and was not confirmed.
type PlanError struct{ Plan TypePlan }

func (e *PlanError) Error() string {
	return fmt.Sprintf("the change could invalidate items (%s); %d of %d would not validate",
		strings.Join(e.Plan.Changes, "; "), e.Plan.Invalid, e.Plan.Items)
}

// UpdateType replaces a type's name, description and fields. A change that could make existing
// items invalid (a field removed, a field made required, a kind changed, a constraint or the
// values of an enum narrowed) is not applied unless apply is true: it returns a *PlanError with
// what it would do. Applying removes the values of removed fields from the items that hold them,
// as a new version of each (earlier revisions keep them); items that no longer validate for
// other reasons stay as they are until their fields are next changed.
func (s *Store) UpdateType(ctx context.Context, a *Actor, key string, ifVersions []int64, in TypeInput, apply bool) (*Type, *TypePlan, error) {
	var (
		out  *Type
		plan TypePlan
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cur, err := loadType(ctx, tx, key)
		if err != nil {
			return err
		}
		if len(ifVersions) > 0 && !slices.Contains(ifVersions, cur.Version) {
			return ErrStale
		}
		known, err := typeKeys(tx)
		if err != nil {
			return err
		}
		verr := &validation.Error{}
		checkTypeInput(verr, in, func(k string) bool { return slices.Contains(known, k) })
		if err := verr.Err(); err != nil {
			return err
		}
		plan, err = s.planTypeChange(tx, cur, orEmpty(in.Fields))
		if err != nil {
			return err
		}
		if (len(plan.Changes) > 0 || plan.Invalid > 0) && !apply {
			return &PlanError{Plan: plan}
		}
		now := s.clock()
		defs, err := json.Marshal(orEmpty(in.Fields))
		if err != nil {
			return err
		}
		res := tx.Model(&Type{}).Where("key = ? AND version = ?", key, cur.Version).Updates(map[string]any{
			"name": strings.TrimSpace(in.Name), "description": in.Description, "fields": string(defs),
			"version": cur.Version + 1, "updated_at": now,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrStale
		}
		if err := s.stripRemovedFields(tx, a, key, cur.Defs(), in.Fields, now); err != nil {
			return err
		}
		plan.Applied = true
		out, err = loadType(ctx, tx, key)
		return err
	})
	if err != nil {
		return nil, nil, wrap(err, "update type "+key)
	}
	return out, &plan, nil
}

// planTypeChange lists what could invalidate items, and validates every item of the type under
// the new definitions.
func (s *Store) planTypeChange(tx *gorm.DB, cur *Type, next []FieldDef) (TypePlan, error) {
	var plan TypePlan
	old := cur.Defs()
	for _, o := range old {
		i := slices.IndexFunc(next, func(n FieldDef) bool { return n.Name == o.Name })
		if i < 0 {
			plan.Changes = append(plan.Changes, "removes "+o.Name)
			continue
		}
		if why := narrowing(o, next[i]); why != "" {
			plan.Changes = append(plan.Changes, o.Name+": "+why)
		}
	}
	for _, n := range next {
		if n.Required && !slices.ContainsFunc(old, func(o FieldDef) bool { return o.Name == n.Name }) {
			plan.Changes = append(plan.Changes, "adds the required field "+n.Name)
		}
	}
	var items []Item
	if err := tx.Select("id", "type", "fields").Where("type = ?", cur.Key).Order("id").Find(&items).Error; err != nil {
		return plan, err
	}
	check := newFieldCheck(next)
	removed := func(name string) bool {
		return !slices.ContainsFunc(next, func(n FieldDef) bool { return n.Name == name })
	}
	for _, it := range items {
		plan.Items++
		var values map[string]json.RawMessage
		_ = json.Unmarshal([]byte(it.Fields), &values)
		kept := map[string]json.RawMessage{}
		stripped := false
		for k, v := range values {
			if removed(k) {
				stripped = true
				continue
			}
			kept[k] = v
		}
		if stripped {
			plan.Stripped++
		}
		b, _ := json.Marshal(kept)
		verr := &validation.Error{}
		refs, _ := check.check(verr, cur.Key, string(b))
		if err := checkItemReferences(tx, verr, refs); err != nil {
			return plan, err
		}
		if verr.Err() != nil {
			plan.Invalid++
			if len(plan.Examples) < 5 {
				plan.Examples = append(plan.Examples, it.ID)
			}
		}
	}
	return plan, nil
}

// narrowing says how a changed field definition could reject values the old one accepted, or "".
func narrowing(o, n FieldDef) string {
	switch {
	case o.Kind != n.Kind:
		return fmt.Sprintf("changes kind from %s to %s", o.Kind, n.Kind)
	case n.Required && !o.Required:
		return "becomes required"
	case tighterLow(o.MinLength, n.MinLength) || tighterHigh(o.MaxLength, n.MaxLength):
		return "narrows its length"
	case tighterLowF(o.Min, n.Min) || tighterHighF(o.Max, n.Max):
		return "narrows its range"
	case n.Pattern != "" && n.Pattern != o.Pattern:
		return "changes its pattern"
	case slices.ContainsFunc(o.Values, func(v string) bool { return !slices.Contains(n.Values, v) }):
		return "removes enum values"
	case len(n.Types) > 0 && (len(o.Types) == 0 || slices.ContainsFunc(o.Types, func(t string) bool { return !slices.Contains(n.Types, t) })):
		return "narrows the types it may refer to"
	}
	return ""
}

func tighterLow(o, n *int) bool  { return n != nil && (o == nil || *n > *o) }
func tighterHigh(o, n *int) bool { return n != nil && (o == nil || *n < *o) }
func tighterLowF(o, n *float64) bool {
	return n != nil && (o == nil || *n > *o)
}
func tighterHighF(o, n *float64) bool {
	return n != nil && (o == nil || *n < *o)
}

// stripRemovedFields removes the values of fields the type no longer has from its items, each
// as a new version with a revision by the actor.
func (s *Store) stripRemovedFields(tx *gorm.DB, a *Actor, key string, old, next []FieldDef, now time.Time) error {
	var removed []string
	for _, o := range old {
		if !slices.ContainsFunc(next, func(n FieldDef) bool { return n.Name == o.Name }) {
			removed = append(removed, o.Name)
		}
	}
	if len(removed) == 0 {
		return nil
	}
	var ids []string
	if err := tx.Model(&Item{}).Where("type = ?", key).Pluck("id", &ids).Error; err != nil {
		return err
	}
	for _, id := range ids {
		it, err := s.find(tx.Statement.Context, tx, id)
		if err != nil {
			return err
		}
		fields, html := withoutKeys(it.Fields, removed), withoutKeys(it.FieldsHTML, removed)
		if fields == it.Fields && html == it.FieldsHTML {
			continue
		}
		it.Fields, it.FieldsHTML = fields, html
		it.Version++
		it.UpdatedAt = now
		if err := tx.Model(&Item{}).Where("id = ?", id).
			Select("fields", "fields_html", "version", "updated_at").Updates(it).Error; err != nil {
			return err
		}
		if err := saveRevision(tx, it, a, now); err != nil {
			return err
		}
	}
	return nil
}

// withoutKeys returns a JSON object without keys; the same text when none were there.
func withoutKeys(obj string, keys []string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(obj), &m) != nil {
		return obj
	}
	n := len(m)
	for _, k := range keys {
		delete(m, k)
	}
	if len(m) == n {
		return obj
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// DeleteType deletes a type no item uses (ErrTypeInUse otherwise, trashed items included).
func (s *Store) DeleteType(ctx context.Context, key string, ifVersions []int64) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cur, err := loadType(ctx, tx, key)
		if err != nil {
			return err
		}
		if len(ifVersions) > 0 && !slices.Contains(ifVersions, cur.Version) {
			return ErrStale
		}
		var n int64
		if err := tx.Model(&Item{}).Where("type = ?", key).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrTypeInUse
		}
		var referring []Type
		if err := tx.Find(&referring).Error; err != nil {
			return err
		}
		for _, t := range referring {
			for _, d := range t.Defs() {
				if slices.Contains(d.Types, key) {
					return fmt.Errorf("%w: the field %s of type %s refers to it", ErrTypeInUse, d.Name, t.Key)
				}
			}
		}
		return tx.Where("key = ?", key).Delete(&Type{}).Error
	})
	if errors.Is(err, gorm.ErrForeignKeyViolated) {
		return ErrTypeInUse
	}
	return wrap(err, "delete type "+key)
}
