// Package validation is how domain packages report invalid input: one error listing every
// problem, each tied to the field it concerns, so that a client can fix them all at once. The
// HTTP edge renders it as a 422 problem with one entry per field.
package validation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// FieldError is one problem with one field.
type FieldError struct {
	Field   string // dotted path: "title", "fields.starts_at", "tags[2]"
	Message string // what is wrong, for the client: "must be 1 to 300 characters"
}

// Error is every problem found with an input. Build one with Add and return Err().
type Error struct {
	Fields []FieldError
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem with field.
func (e *Error) Add(field, format string, a ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, a...)})
}

// Err returns e when it holds problems, and nil otherwise.
func (e *Error) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Field returns an error about one field.
func Field(field, format string, a ...any) error {
	e := &Error{}
	e.Add(field, format, a...)
	return e
}

// JSONHasNUL reports whether a JSON document has a NUL character (\u0000) in one of its strings
// or keys: no value of Folio's holds one, and PostgreSQL refuses it in text. (The text \u0000
// after an escaped backslash is not one.)
func JSONHasNUL(doc []byte) bool {
	if !bytes.Contains(doc, []byte(`\u0000`)) {
		return false
	}
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return false // not JSON: the caller says so
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.ContainsRune(v, 0)
		case []any:
			return slices.ContainsFunc(v, walk)
		case map[string]any:
			for k, e := range v {
				if strings.ContainsRune(k, 0) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// StorableText reports whether s can be stored and compared as text on every database Folio
// runs on: valid UTF-8 without a NUL character (PostgreSQL refuses both; SQLite would store
// them, and no name, slug or filter of Folio's holds one).
func StorableText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
