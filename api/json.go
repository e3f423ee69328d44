package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/validation"
)

// decodeJSON reads the request body, one JSON object, into dst (a pointer to a struct) more
// strictly than encoding/json does:
//
//   - property names must match dst's json tags exactly: encoding/json matches them ignoring
//     case, which would let {"ROLE": "admin"} set Role;
//   - an unknown property, or one in serverOwned, is a 400 naming it;
//   - a property that is required (any field not tagged validate:"optional", as in the OpenAPI
//     document) but missing is a 422; so is null for a field not tagged x-nullable, and a value
//     of the wrong JSON type.
//
// It returns the names of the properties present, which a merge patch needs. Nothing from the
// query string or the path is ever read into dst.
func decodeJSON(c echo.Context, dst any, serverOwned ...string) (map[string]bool, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, err // the body limit's *http.MaxBytesError, rendered as 413
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, NewProblem(http.StatusBadRequest, "The request needs a JSON object as its body.")
	}
	if dup := duplicateKey(body); dup != "" {
		// encoding/json keeps the last of duplicates, other parsers the first: a proxy or a log
		// could see another request than the one that is served.
		p := NewProblem(http.StatusBadRequest, "The body has the property %q twice.", dup)
		p.Errors = []FieldError{{Field: dup, Message: "appears more than once"}}
		return nil, p
	}
	if validation.JSONHasNUL(body) {
		// PostgreSQL refuses NUL in text, and no property of the API means to hold one.
		return nil, NewProblem(http.StatusBadRequest, "The body has a string with a NUL character (\\u0000).")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, NewProblem(http.StatusBadRequest, "The body is not valid JSON (at byte %d).", syntax.Offset)
		}
		return nil, NewProblem(http.StatusBadRequest, "The body must be a JSON object.")
	}
	if raw == nil { // the body was null
		return nil, NewProblem(http.StatusBadRequest, "The body must be a JSON object.")
	}

	fields := jsonFields(reflect.TypeOf(dst).Elem())
	var bad []FieldError
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		switch _, known := fields[name]; {
		case slices.Contains(serverOwned, name):
			bad = append(bad, FieldError{Field: name, Message: "is set by the server and cannot be sent"})
		case !known:
			bad = append(bad, FieldError{Field: name, Message: "is not a property of this request"})
		}
	}
	if len(bad) > 0 {
		p := NewProblem(http.StatusBadRequest, "The body has properties this request does not take.")
		p.Errors = bad
		return nil, p
	}

	present := make(map[string]bool, len(raw))
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		v, ok := raw[name]
		present[name] = ok
		switch {
		case !ok && fields[name].required:
			bad = append(bad, FieldError{Field: name, Message: "is required"})
		case ok && string(bytes.TrimSpace(v)) == "null" && !fields[name].nullable:
			bad = append(bad, FieldError{Field: name, Message: "must not be null"})
		case ok:
			if err := json.Unmarshal(v, reflect.ValueOf(dst).Elem().FieldByIndex(fields[name].index).Addr().Interface()); err != nil {
				bad = append(bad, FieldError{Field: name, Message: "must be " + jsonTypeName(fields[name].typ)})
				continue
			}
			// Objects inside (a type's field definitions, a collection's filter) are held to the
			// same exact names as the top level.
			bad = append(bad, nestedKeys(v, fields[name].typ, name)...)
		}
	}
	if len(bad) > 0 {
		return nil, invalid(bad)
	}
	return present, nil
}

// invalid returns the 422 problem for field errors.
func invalid(errs []FieldError) *Problem {
	p := NewProblem(http.StatusUnprocessableEntity, "Some values are not valid; see errors.")
	p.Errors = errs
	return p
}

type jsonField struct {
	index              []int
	typ                reflect.Type
	required, nullable bool
}

// jsonFields maps the JSON names of a struct's exported fields to what decodeJSON needs.
func jsonFields(t reflect.Type) map[string]jsonField {
	out := map[string]jsonField{}
	for _, sf := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" || name == "" {
			continue
		}
		out[name] = jsonField{
			index:    sf.Index,
			typ:      sf.Type,
			required: !strings.Contains(sf.Tag.Get("validate"), "optional"),
			nullable: strings.Contains(sf.Tag.Get("extensions"), "x-nullable"),
		}
	}
	return out
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return fmt.Sprintf("a JSON %s", t.Kind())
	}
}

// duplicateKey returns a property name that appears twice in the top-level object of body, or
// "" (also when body is not an object: the caller's decoding reports that).
func duplicateKey(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := t.(string)
		if seen[key] {
			return key
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}

// nestedKeys checks the property names of objects nested in v against the struct type t that
// they decode into (through pointers and slices), and reports each name that is not one of its
// json tags, exactly, at its path (fields[1].minimum).
func nestedKeys(v json.RawMessage, t reflect.Type, path string) []FieldError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // json.RawMessage and []byte hold anything
		}
		var elems []json.RawMessage
		if json.Unmarshal(v, &elems) != nil {
			return nil
		}
		var bad []FieldError
		for i, e := range elems {
			bad = append(bad, nestedKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return bad
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return nil
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(v, &obj) != nil {
			return nil
		}
		fields := jsonFields(t)
		var bad []FieldError
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			f, ok := fields[k]
			if !ok {
				bad = append(bad, FieldError{Field: path + "." + k, Message: "is not a property here"})
				continue
			}
			bad = append(bad, nestedKeys(obj[k], f.typ, path+"."+k)...)
		}
		return bad
	}
	return nil
}

// marshalJSON encodes a response body. Unlike json.Marshal it writes <, > and & as they are,
// not as \u003c, \u003e and \u0026: every response is served as JSON with nosniff, never as
// HTML, and the escapes made an item's body_html a fifth longer (a list page of 20 items was
// 8% larger: 1,212 escapes of six bytes for one).
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// jsonSerializer is Echo's JSON serializer (for c.JSON) with the encoding of marshalJSON, so that
// every response encodes strings the same way.
type jsonSerializer struct{ echo.DefaultJSONSerializer }

func (jsonSerializer) Serialize(c echo.Context, v any, _ string) error {
	enc := json.NewEncoder(c.Response())
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeJSON sends body, a rendered JSON document, with its length. Without Content-Length,
// net/http sends a body of more than 2 KB in chunks, ending with an empty chunk of its own: a
// list page took three writes to the socket instead of two (strace), and one answered from the
// response cache cost 3% more against /healthz in the same run (BenchmarkPublicReads).
func writeJSON(c echo.Context, status int, body []byte) error {
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.JSONBlob(status, body)
}
