// Package validation is how domain packages report invalid input: one error listing every
// problem, each tied to the field it concerns, so that a client can fix them all at once. The
// HTTP edge renders it as a 422 problem with one entry per field.
package validation

import (
	"fmt"
	"strings"
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
