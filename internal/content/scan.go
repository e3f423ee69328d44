package content

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// findItems runs query, a SELECT of items' columns (as Item names them), and reads its rows.
//
// The rows are read by hand rather than by GORM's Find: on the public read paths (an item by
// slug, a page of a list) GORM's reflection over every column of every row cost more CPU than
// SQLite's reading of them (perf, make bench).
func findItems(query *gorm.DB) ([]Item, error) {
	rows, err := query.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var (
		items []Item
		it    Item
		times = make([]dbTime, len(cols))
		dest  = make([]any, len(cols))
	)
	// Where each column goes: into a field of it, or into a holder whose assign func copies it.
	var assign []func()
	for n, c := range cols {
		t := &times[n]
		switch c {
		case "seq":
			dest[n] = &it.Seq
		case "id":
			dest[n] = &it.ID
		case "type":
			dest[n] = &it.Type
		case "slug":
			dest[n] = &it.Slug
		case "title":
			dest[n] = &it.Title
		case "summary":
			assign = append(assign, nullable(&dest[n], &it.Summary))
		case "body":
			dest[n] = &it.Body
		case "body_html":
			dest[n] = &it.BodyHTML
		case "fields":
			dest[n] = &it.Fields
		case "fields_html":
			dest[n] = &it.FieldsHTML
		case "status":
			dest[n] = &it.Status
		case "author_id":
			dest[n] = &it.AuthorID
		case "author_name":
			dest[n] = &it.AuthorName
		case "version":
			dest[n] = &it.Version
		case "published_at":
			dest[n] = t
			assign = append(assign, func() { it.PublishedAt = t.ptr() })
		case "unpublish_at":
			dest[n] = t
			assign = append(assign, func() { it.UnpublishAt = t.ptr() })
		case "deleted_at":
			dest[n] = t
			assign = append(assign, func() { it.DeletedAt = t.ptr() })
		case "created_at":
			dest[n] = t
			assign = append(assign, func() { it.CreatedAt = t.t })
		case "updated_at":
			dest[n] = t
			assign = append(assign, func() { it.UpdatedAt = t.t })
		case "search_rank":
			assign = append(assign, nullable(&dest[n], &it.SearchRank))
		case "search_snippet":
			dest[n] = &it.SearchSnippet
		case "tag_list":
			var list sql.NullString
			dest[n] = &list
			assign = append(assign, func() { it.Tags = splitTagList(list.String) })
		default:
			return nil, fmt.Errorf("read items: unknown column %q", c)
		}
	}
	for rows.Next() {
		it = Item{}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		for _, f := range assign {
			f()
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// splitTagList reads the column of an item's tags that tagListSQL makes: their slugs in
// order, joined by commas (a slug has none), NULL or empty for none.
func splitTagList(list string) []string {
	if list == "" {
		return []string{}
	}
	return strings.Split(list, ",")
}

// nullable points *dest at a holder for a column that may be NULL, and returns the func that
// sets *field from it: nil, or a pointer to the value.
func nullable[T any](dest *any, field **T) func() {
	var v sql.Null[T]
	*dest = &v
	return func() {
		*field = nil
		if v.Valid {
			x := v.V
			*field = &x
		}
	}
}

// dbTime reads a time column that may be NULL, as either driver hands it back: a time.Time, or
// text where SQLite has lost the column's type.
type dbTime struct {
	t     time.Time
	valid bool
}

func (d *dbTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		d.valid = false
	case time.Time:
		d.t, d.valid = v.UTC(), true
	case string:
		t, err := parseDBTime(v)
		if err != nil {
			return err
		}
		d.t, d.valid = t, true
	case []byte:
		return d.Scan(string(v))
	default:
		return fmt.Errorf("read a time from %T", v)
	}
	return nil
}

func (d *dbTime) ptr() *time.Time {
	if !d.valid {
		return nil
	}
	t := d.t
	return &t
}
