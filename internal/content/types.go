package content

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/validation"
)

// Field kinds.
const (
	KindText      = "text"
	KindMarkdown  = "markdown"
	KindNumber    = "number"
	KindInteger   = "integer"
	KindBoolean   = "boolean"
	KindDate      = "date"
	KindDatetime  = "datetime"
	KindURL       = "url"
	KindEmail     = "email"
	KindEnum      = "enum"
	KindList      = "list"
	KindReference = "reference"
)

// Kinds lists the field kinds.
var Kinds = []string{KindText, KindMarkdown, KindNumber, KindInteger, KindBoolean, KindDate, KindDatetime,
	KindURL, KindEmail, KindEnum, KindList, KindReference}

// ReservedFieldNames are the item's own properties, which a field may not shadow.
var ReservedFieldNames = []string{"id", "type", "slug", "title", "summary", "body", "body_html", "fields", "fields_html",
	"tags", "status", "published_at", "unpublish_at", "author", "version", "created_at", "updated_at", "deleted_at"}

// Limits of type definitions and field values.
const (
	maxFields     = 50
	maxPattern    = 500
	maxEnumValues = 200
	maxListItems  = 100
	maxTextField  = 100_000 // characters, when the field sets no max_length
)

// FieldDef defines one field of a content type.
type FieldDef struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Required    bool     `json:"required,omitempty"`
	Description string   `json:"description,omitempty"`
	MinLength   *int     `json:"min_length,omitempty"`
	MaxLength   *int     `json:"max_length,omitempty"`
	Min         *float64 `json:"min,omitempty"`
	Max         *float64 `json:"max,omitempty"`
	Pattern     string   `json:"pattern,omitempty"`
	Values      []string `json:"values,omitempty"` // enum
	Types       []string `json:"types,omitempty"`  // reference: the types it may point to (any when empty)
}

// Type is a content type: the kind of an item, with the fields its items have.
type Type struct {
	Key         string `gorm:"primaryKey"`
	Name        string
	Description string
	Fields      string // JSON: []FieldDef
	Version     int64
	CreatedAt   time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt   time.Time `gorm:"autoUpdateTime:false"`
}

// Defs returns the type's field definitions.
func (t *Type) Defs() []FieldDef {
	var defs []FieldDef
	_ = json.Unmarshal([]byte(t.Fields), &defs) // written by this package, from valid definitions
	return defs
}

var (
	typeKeyPattern   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	fieldNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
)

// TypeInput is a type's definition as a client gives it.
type TypeInput struct {
	Name        string
	Description string
	Fields      []FieldDef
}

// checkTypeInput records what is wrong with a definition, each problem under its path
// (fields[2].values). known tells whether a type key exists, for references.
func checkTypeInput(verr *validation.Error, in TypeInput, known func(string) bool) {
	if n := utf8.RuneCountInString(strings.TrimSpace(in.Name)); n < 1 || n > 100 {
		verr.Add("name", "must be 1 to 100 characters")
	}
	if utf8.RuneCountInString(in.Description) > 1000 {
		verr.Add("description", "must be at most 1000 characters")
	}
	if len(in.Fields) > maxFields {
		verr.Add("fields", "must be at most %d fields", maxFields)
	}
	seen := map[string]bool{}
	for i, f := range in.Fields {
		at := func(prop string) string { return fmt.Sprintf("fields[%d].%s", i, prop) }
		switch {
		case !fieldNamePattern.MatchString(f.Name):
			verr.Add(at("name"), "must be lower-case letters, digits and underscores, starting with a letter")
		case slices.Contains(ReservedFieldNames, f.Name):
			verr.Add(at("name"), "%q is an item property; choose another name", f.Name)
		case seen[f.Name]:
			verr.Add(at("name"), "%q is defined twice", f.Name)
		}
		seen[f.Name] = true
		if !slices.Contains(Kinds, f.Kind) {
			verr.Add(at("kind"), "%q is not a kind; use one of %s", f.Kind, strings.Join(Kinds, ", "))
			continue
		}
		if utf8.RuneCountInString(f.Description) > 500 {
			verr.Add(at("description"), "must be at most 500 characters")
		}
		lengthKinds := []string{KindText, KindMarkdown, KindURL, KindEmail, KindList}
		if (f.MinLength != nil || f.MaxLength != nil) && !slices.Contains(lengthKinds, f.Kind) {
			verr.Add(at("min_length"), "applies to text, markdown, url, email and list fields only")
		}
		if f.MinLength != nil && *f.MinLength < 0 {
			verr.Add(at("min_length"), "must be at least 0")
		}
		if f.MaxLength != nil && *f.MaxLength < 1 {
			verr.Add(at("max_length"), "must be at least 1")
		}
		if f.MinLength != nil && f.MaxLength != nil && *f.MinLength > *f.MaxLength {
			verr.Add(at("min_length"), "is more than max_length")
		}
		if (f.Min != nil || f.Max != nil) && f.Kind != KindNumber && f.Kind != KindInteger {
			verr.Add(at("min"), "applies to number and integer fields only")
		}
		if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
			verr.Add(at("min"), "is more than max")
		}
		if f.Pattern != "" {
			if !slices.Contains([]string{KindText, KindURL, KindEmail, KindList}, f.Kind) {
				verr.Add(at("pattern"), "applies to text, url, email and list fields only")
			} else if len(f.Pattern) > maxPattern {
				verr.Add(at("pattern"), "must be at most %d characters", maxPattern)
			} else if _, err := regexp.Compile(f.Pattern); err != nil {
				verr.Add(at("pattern"), "is not a regular expression (RE2 syntax): %v", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
		}
		switch {
		case f.Kind == KindEnum && len(f.Values) == 0:
			verr.Add(at("values"), "an enum needs its values")
		case f.Kind != KindEnum && len(f.Values) > 0:
			verr.Add(at("values"), "applies to enum fields only")
		case len(f.Values) > maxEnumValues:
			verr.Add(at("values"), "must be at most %d values", maxEnumValues)
		}
		for j, v := range f.Values {
			if v == "" || slices.Index(f.Values, v) != j {
				verr.Add(fmt.Sprintf("fields[%d].values[%d]", i, j), "must be a non-empty value given once")
			}
		}
		if len(f.Types) > 0 && f.Kind != KindReference {
			verr.Add(at("types"), "applies to reference fields only")
		}
		for j, t := range f.Types {
			if slices.Index(f.Types, t) != j {
				verr.Add(fmt.Sprintf("fields[%d].types[%d]", i, j), "repeats %q", t)
			} else if !known(t) {
				verr.Add(fmt.Sprintf("fields[%d].types[%d]", i, j), "%q is not a content type", t)
			}
		}
	}
}

// fieldCheck validates item field values against a type's definitions.
type fieldCheck struct {
	defs     []FieldDef
	patterns map[string]*regexp.Regexp
}

func newFieldCheck(defs []FieldDef) *fieldCheck {
	c := &fieldCheck{defs: defs, patterns: map[string]*regexp.Regexp{}}
	for _, d := range defs {
		if d.Pattern != "" {
			c.patterns[d.Name] = regexp.MustCompile(d.Pattern) // definitions are checked when saved
		}
	}
	return c
}

// reference is a reference field's value, for the database check that follows.
type reference struct {
	path  string
	id    string
	types []string
}

// check records what is wrong with fields (a JSON object) under the type's definitions, and
// returns the references to check against the database and the markdown values to render.
func (c *fieldCheck) check(verr *validation.Error, typeKey, fields string) (refs []reference, markdown map[string]string) {
	var values map[string]json.RawMessage
	if err := json.Unmarshal([]byte(fields), &values); err != nil || values == nil {
		verr.Add("fields", "must be a JSON object")
		return nil, nil
	}
	markdown = map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if !slices.ContainsFunc(c.defs, func(d FieldDef) bool { return d.Name == name }) {
			verr.Add("fields."+name, "is not a field of the type %s", typeKey)
		}
	}
	for _, d := range c.defs {
		path := "fields." + d.Name
		raw, ok := values[d.Name]
		if !ok || string(raw) == "null" {
			if d.Required {
				verr.Add(path, "is required")
			}
			continue
		}
		switch d.Kind {
		case KindText, KindMarkdown, KindURL, KindEmail, KindDate, KindDatetime, KindEnum, KindReference:
			var s string
			if json.Unmarshal(raw, &s) != nil {
				verr.Add(path, "must be a string")
				continue
			}
			if msg := c.checkString(d, s); msg != "" {
				verr.Add(path, "%s", msg)
				continue
			}
			switch d.Kind {
			case KindMarkdown:
				markdown[d.Name] = s
			case KindReference:
				refs = append(refs, reference{path: path, id: s, types: d.Types})
			}
		case KindNumber, KindInteger:
			var n float64
			if json.Unmarshal(raw, &n) != nil || math.IsInf(n, 0) || math.IsNaN(n) {
				verr.Add(path, "must be a number")
				continue
			}
			if d.Kind == KindInteger && (n != math.Trunc(n) || math.Abs(n) > 1<<53) {
				verr.Add(path, "must be a whole number")
				continue
			}
			if d.Min != nil && n < *d.Min || d.Max != nil && n > *d.Max {
				verr.Add(path, "must be %s", rangeText(d.Min, d.Max))
			}
		case KindBoolean:
			var b bool
			if json.Unmarshal(raw, &b) != nil {
				verr.Add(path, "must be true or false")
			}
		case KindList:
			var items []string
			if json.Unmarshal(raw, &items) != nil {
				verr.Add(path, "must be an array of strings")
				continue
			}
			if len(items) > maxListItems {
				verr.Add(path, "must have at most %d items", maxListItems)
			}
			for i, s := range items {
				if msg := c.checkString(d, s); msg != "" {
					verr.Add(fmt.Sprintf("%s[%d]", path, i), "%s", msg)
				}
			}
		}
	}
	return refs, markdown
}

// checkString checks a string value (or a list item) of field d, and returns what is wrong.
func (c *fieldCheck) checkString(d FieldDef, s string) string {
	n := utf8.RuneCountInString(s)
	switch {
	case d.MinLength != nil && n < *d.MinLength:
		return fmt.Sprintf("must be at least %d characters", *d.MinLength)
	case d.MaxLength != nil && n > *d.MaxLength:
		return fmt.Sprintf("must be at most %d characters", *d.MaxLength)
	case d.MaxLength == nil && n > maxTextField:
		return fmt.Sprintf("must be at most %d characters", maxTextField)
	case c.patterns[d.Name] != nil && !c.patterns[d.Name].MatchString(s):
		return fmt.Sprintf("must match the pattern %s", d.Pattern)
	}
	switch d.Kind {
	case KindURL:
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 2048 {
			return "must be an http or https URL"
		}
	case KindEmail:
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s {
			return "must be an email address such as name@example.com"
		}
	case KindDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return "must be a date such as 2020-07-03"
		}
	case KindDatetime:
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return "must be an RFC 3339 time such as 2020-07-03T09:00:00Z"
		}
	case KindEnum:
		if !slices.Contains(d.Values, s) {
			return "must be one of " + strings.Join(d.Values, ", ")
		}
	case KindReference:
		if !validUUID(s) {
			return "must be an item id"
		}
	}
	return ""
}

func rangeText(lo, hi *float64) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("between %g and %g", *lo, *hi)
	case lo != nil:
		return fmt.Sprintf("at least %g", *lo)
	default:
		return fmt.Sprintf("at most %g", *hi)
	}
}

// checkItemReferences records references to items that do not exist, are in the trash, or are
// of a type the field does not allow. An item the actor may not see is, for them, no item: its
// type is never told. A nil actor sees every item (the system checking its own data).
func checkItemReferences(tx *gorm.DB, verr *validation.Error, refs []reference, a *Actor, now time.Time) error {
	for _, r := range refs {
		var it Item
		err := tx.Select("id", "type", "status", "published_at", "unpublish_at", "author_id", "deleted_at").
			Where("id = ? AND deleted_at IS NULL", r.id).Limit(1).Find(&it).Error
		if err != nil {
			return err
		}
		switch {
		case it.ID == "" || (a != nil && !canSee(a, &it, now)):
			verr.Add(r.path, "names no item")
		case len(r.types) > 0 && !slices.Contains(r.types, it.Type):
			verr.Add(r.path, "names an item of type %s; it must be %s", it.Type, strings.Join(r.types, " or "))
		}
	}
	return nil
}

// ErrTypeInUse: a type that items use cannot be deleted.
var ErrTypeInUse = errors.New("items use this type")

// ErrTypeExists: a type with the key exists.
var ErrTypeExists = errors.New("a type with this key exists")

// loadType reads a type.
func loadType(ctx context.Context, db *gorm.DB, key string) (*Type, error) {
	var t Type
	err := withContext(db, ctx).Where("key = ?", key).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ErrTypeChanged: the item's type changed while the item was being saved.
var ErrTypeChanged = errors.New("the item's type changed while it was being saved; try again")

// typeView is a type as read before a write, so that values can be checked and Markdown fields
// rendered outside the write transaction, which then only confirms the type is unchanged.
type typeView struct {
	t     *Type
	check *fieldCheck
}

func (s *Store) viewType(ctx context.Context, key string) (*typeView, error) {
	t, err := loadType(ctx, s.db, key)
	if errors.Is(err, ErrNotFound) {
		return nil, validation.Field("type", "%q is not a content type", key)
	}
	if err != nil {
		return nil, err
	}
	return &typeView{t: t, check: newFieldCheck(t.Defs())}, nil
}

// render renders the values of the type's markdown fields found in fields (a JSON object),
// skipping values that are not strings (the check reports them).
func (v *typeView) render(s *Store, fields json.RawMessage) (map[string]string, error) {
	var values map[string]json.RawMessage
	_ = json.Unmarshal(fields, &values)
	out := map[string]string{}
	for _, d := range v.check.defs {
		var src string
		if d.Kind != KindMarkdown || json.Unmarshal(values[d.Name], &src) != nil {
			continue
		}
		html, err := s.renderer.Render(src)
		if errors.Is(err, ErrRenderTooSlow) {
			return nil, validation.Field("fields."+d.Name, "takes too long to render; simplify its structure")
		}
		if err != nil {
			return nil, err
		}
		out[d.Name] = html
	}
	return out, nil
}

// confirm re-reads the type inside the write transaction and fails if it changed since.
func (v *typeView) confirm(ctx context.Context, tx *gorm.DB) error {
	t, err := loadType(ctx, tx, v.t.Key)
	if errors.Is(err, ErrNotFound) || (err == nil && t.Version != v.t.Version) {
		return ErrTypeChanged // changed or deleted meanwhile
	}
	return err
}

// checkFields validates an item's fields under the type, checks its references against the
// database, and sets its FieldsHTML: the rendered values in rendered, and for markdown values
// not rendered now (unchanged), the HTML the item had.
func (v *typeView) checkFields(tx *gorm.DB, verr *validation.Error, it *Item, rendered map[string]string, a *Actor, now time.Time) error {
	refs, markdown := v.check.check(verr, it.Type, it.Fields)
	if err := checkItemReferences(tx, verr, refs, a, now); err != nil {
		return err
	}
	var old map[string]string
	_ = json.Unmarshal([]byte(it.FieldsHTML), &old)
	html := map[string]string{}
	for name := range markdown {
		if h, ok := rendered[name]; ok {
			html[name] = h
		} else {
			html[name] = old[name]
		}
	}
	it.FieldsHTML = htmlFieldsJSON(html)
	if verr.Err() == nil {
		it.Fields = utcDatetimes(it.Fields, v.check.defs)
	}
	return nil
}

// utcDatetimes rewrites the values of datetime fields in UTC, as every time is stored, so that
// equal times compare equal (in fields.NAME filters, too).
func utcDatetimes(fields string, defs []FieldDef) string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(fields), &m) != nil {
		return fields
	}
	changed := false
	for _, d := range defs {
		var s string
		if d.Kind != KindDatetime || json.Unmarshal(m[d.Name], &s) != nil {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			continue
		}
		if u := t.UTC().Format(time.RFC3339Nano); u != s {
			m[d.Name], _ = json.Marshal(u)
			changed = true
		}
	}
	if !changed {
		return fields
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// htmlFieldsJSON is the fields_html of an item: its markdown fields' HTML by name, with <, > and
// & written as they are (the API sends the column as it is, and encodes the rest of an item the
// same way).
func htmlFieldsJSON(html map[string]string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(html) // a map of strings always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
