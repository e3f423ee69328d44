package content

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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
	err := s.db.WithContext(ctx).Raw("SELECT count(*) AS n, CAST(COALESCE(sum(version), 0) AS BIGINT) AS sum, max(updated_at) AS updated FROM types").Scan(&v).Error
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
	err := s.write(ctx, func(tx *gorm.DB) error {
		known, err := typeKeys(tx)
		if err != nil {
			return err
		}
		if slices.Contains(known, key) {
			return ErrTypeExists
		}
		// press-kit and press_kit would share the schema name PressKitFields in /openapi.json.
		for _, k := range known {
			if strings.NewReplacer("-", "", "_", "").Replace(k) == strings.NewReplacer("-", "", "_", "").Replace(key) {
				verr.Add("key", "is too like the key of the type %s (they differ only in - and _)", k)
			}
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
// what it would do. Applying removes from the items every value the new definition has no field
// for, as a new version of each (earlier revisions keep them), and re-renders the HTML of fields
// that become markdown; items that no longer validate for other reasons stay as they are until
// their fields are next changed.
//
// The plan validates every item of the type, which takes a while on a large type: it runs on the
// read pool, before the write transaction, which then only checks that the type is still the
// version planned for.
func (s *Store) UpdateType(ctx context.Context, a *Actor, key string, ifVersions []int64, in TypeInput, apply bool) (*Type, *TypePlan, error) {
	cur, err := loadType(ctx, s.db, key)
	if err != nil {
		return nil, nil, wrap(err, "update type "+key)
	}
	if len(ifVersions) > 0 && !slices.Contains(ifVersions, cur.Version) {
		return nil, nil, ErrStale
	}
	known, err := typeKeys(s.db.WithContext(ctx))
	if err != nil {
		return nil, nil, wrap(err, "update type "+key)
	}
	verr := &validation.Error{}
	checkTypeInput(verr, in, func(k string) bool { return slices.Contains(known, k) })
	if err := verr.Err(); err != nil {
		return nil, nil, err
	}
	next := orEmpty(in.Fields)
	plan, err := s.planTypeChange(s.db.WithContext(ctx), cur, next)
	if err != nil {
		return nil, nil, wrap(err, "plan type change "+key)
	}
	// Only what this change could break needs confirming: items that were already invalid
	// (after an earlier applied change) do not hold up the next one.
	if len(plan.Changes) > 0 && !apply {
		return nil, nil, &PlanError{Plan: plan}
	}
	// Rendering for fields that become markdown happens here too, before the transaction.
	rerendered, err := s.renderNewMarkdown(ctx, cur, next)
	if err != nil {
		return nil, nil, err
	}

	var out *Type
	err = s.write(ctx, func(tx *gorm.DB) error {
		now := s.clock()
		defs, err := json.Marshal(next)
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
			return ErrStale // changed since the plan was made
		}
		if err := s.conformItems(tx, a, key, next, rerendered, now); err != nil {
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
// the new definitions, without the values it has no field for (those applying removes).
func (s *Store) planTypeChange(db *gorm.DB, cur *Type, next []FieldDef) (TypePlan, error) {
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
	if err := db.Select("id", "type", "fields").Where("type = ?", cur.Key).Order("id").Find(&items).Error; err != nil {
		return plan, err
	}
	check := newFieldCheck(next)
	now := s.clock()
	for _, it := range items {
		plan.Items++
		kept := keepDefined(it.Fields, next)
		if kept != it.Fields {
			plan.Stripped++
		}
		verr := &validation.Error{}
		refs, _ := check.check(verr, cur.Key, kept)
		if err := checkItemReferences(db, verr, refs, nil, now); err != nil {
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

// keepDefined returns a fields object with only the values that defs has fields for; the same
// text when nothing goes.
func keepDefined(fields string, defs []FieldDef) string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(fields), &m) != nil {
		return fields
	}
	n := len(m)
	for k := range m {
		if !slices.ContainsFunc(defs, func(d FieldDef) bool { return d.Name == k }) {
			delete(m, k)
		}
	}
	if len(m) == n {
		return fields
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// renderNewMarkdown renders, for each item of the type, the values of fields that become
// markdown in next: item id → field → HTML.
func (s *Store) renderNewMarkdown(ctx context.Context, cur *Type, next []FieldDef) (map[string]map[string]string, error) {
	var names []string
	for _, n := range next {
		if n.Kind == KindMarkdown && !slices.ContainsFunc(cur.Defs(), func(o FieldDef) bool { return o.Name == n.Name && o.Kind == KindMarkdown }) {
			names = append(names, n.Name)
		}
	}
	out := map[string]map[string]string{}
	if len(names) == 0 {
		return out, nil
	}
	var items []Item
	if err := s.db.WithContext(ctx).Select("id", "fields").Where("type = ?", cur.Key).Find(&items).Error; err != nil {
		return nil, err
	}
	for _, it := range items {
		var values map[string]json.RawMessage
		_ = json.Unmarshal([]byte(it.Fields), &values)
		for _, name := range names {
			var src string
			if json.Unmarshal(values[name], &src) != nil {
				continue
			}
			html, err := s.renderer.Render(src)
			if err != nil {
				return nil, fmt.Errorf("render %s of item %s: %w", name, it.ID, err)
			}
			if out[it.ID] == nil {
				out[it.ID] = map[string]string{}
			}
			out[it.ID][name] = html
		}
	}
	return out, nil
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

// conformItems brings the items of a type in line with its new definitions, each changed item
// as a new version with a revision by the actor: values the type has no field for are removed,
// and fields_html holds exactly the markdown fields (rerendered gives the HTML of fields that
// just became markdown).
func (s *Store) conformItems(tx *gorm.DB, a *Actor, key string, next []FieldDef, rerendered map[string]map[string]string, now time.Time) error {
	var items []Item
	if err := tx.Table("items AS i").Select("i.*").Where("i.type = ?", key).Find(&items).Error; err != nil {
		return err
	}
	var changed []Item
	for _, it := range items {
		fields := keepDefined(it.Fields, next)
		var oldHTML map[string]string
		_ = json.Unmarshal([]byte(it.FieldsHTML), &oldHTML)
		html := map[string]string{}
		var values map[string]json.RawMessage
		_ = json.Unmarshal([]byte(fields), &values)
		for _, d := range next {
			if _, ok := values[d.Name]; !ok || d.Kind != KindMarkdown {
				continue
			}
			if h, ok := rerendered[it.ID][d.Name]; ok {
				html[d.Name] = h
			} else {
				html[d.Name] = oldHTML[d.Name]
			}
		}
		// Compared as values: a row may hold the same HTML written with \u003c escapes.
		if fields == it.Fields && maps.Equal(html, oldHTML) {
			continue
		}
		it.Fields, it.FieldsHTML = fields, htmlFieldsJSON(html)
		changed = append(changed, it)
	}
	if err := loadTags(tx.Statement.Context, tx, changed); err != nil {
		return err
	}
	for i := range changed {
		it := &changed[i]
		it.Version++
		it.UpdatedAt = now
		if err := tx.Model(&Item{}).Where("id = ?", it.ID).
			Select("fields", "fields_html", "version", "updated_at").Updates(it).Error; err != nil {
			return err
		}
		if err := saveRevision(tx, it, a, now); err != nil {
			return err
		}
	}
	return nil
}

// DeleteType deletes a type no item uses (ErrTypeInUse otherwise, trashed items included).
func (s *Store) DeleteType(ctx context.Context, key string, ifVersions []int64) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
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
		cols, err := collectionsUsing(tx, func(f CollectionFilter) bool { return slices.Contains(f.Types, key) })
		if err != nil {
			return err
		}
		if len(cols) > 0 {
			return fmt.Errorf("%w: the collection %s lists it", ErrTypeInUse, cols[0].Key)
		}
		return tx.Where("key = ?", key).Delete(&Type{}).Error
	})
	if errors.Is(err, gorm.ErrForeignKeyViolated) {
		return ErrTypeInUse
	}
	return wrap(err, "delete type "+key)
}
