package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/foliocms/folio/internal/validation"
)

// ListMeta describes a page of a list.
type ListMeta struct {
	// The page size used.
	Limit int `json:"limit" example:"20"`
	// Pass as cursor to get the next page; null on the last page.
	NextCursor *string `json:"next_cursor" extensions:"x-nullable" example:"MDE5M2Q1YjQ"`
} //	@name	ListMeta

// Page sizes of lists.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// checkQuery answers 400 when the query string has a parameter the operation does not take, so
// a misspelt filter is an error rather than silently ignored.
func checkQuery(c echo.Context, allowed ...string) error {
	var bad []FieldError
	for name, values := range c.QueryParams() {
		switch {
		case !slices.Contains(allowed, name):
			bad = append(bad, FieldError{Field: strings.ReplaceAll(name, "\x00", "\\0"), Message: "is not a query parameter of this request"})
		case slices.ContainsFunc(values, func(s string) bool { return !validation.StorableText(s) }):
			// No value of the API holds a NUL or bytes that are not UTF-8, and PostgreSQL
			// refuses both in text.
			bad = append(bad, FieldError{Field: name, Message: "has a NUL character or is not UTF-8"})
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.SortFunc(bad, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	p := NewProblem(http.StatusBadRequest, "The query has parameters this request does not take.")
	p.Errors = bad
	return p
}

// pageParams reads limit (1 to 100, default 20) and cursor (opaque; here an encoded key).
func pageParams(c echo.Context) (limit int, after string, err error) {
	limit = defaultLimit
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return 0, "", queryProblem("limit", fmt.Sprintf("must be an integer from 1 to %d", maxLimit))
		}
		limit = n
	}
	if s := c.QueryParam("cursor"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) == 0 {
			return 0, "", queryProblem("cursor", "is not a cursor this API returned")
		}
		after = string(b)
	}
	return limit, after, nil
}

func queryProblem(name, message string) *Problem {
	p := NewProblem(http.StatusBadRequest, "The query parameter %s %s.", name, message)
	p.Errors = []FieldError{{Field: name, Message: message}}
	return p
}

// pageMeta returns the meta of a page whose last key is last, and sets the Link header to the
// next page when there is one (RFC 8288).
func pageMeta(c echo.Context, limit int, more bool, last string) ListMeta {
	m := ListMeta{Limit: limit}
	if more {
		cursor := base64.RawURLEncoding.EncodeToString([]byte(last))
		m.NextCursor = &cursor
		setNextLink(c, "cursor", cursor)
	}
	return m
}

// etag is the strong entity tag of a resource's version.
func etag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// ifMatch reads the If-Match header as the versions the client accepts to change: nil when the
// header is absent or "*" (no condition), and a 428 when required and absent or "*" (item
// writes must name the version they change). A tag this API did not make, a weak one included,
// matches no version: it reads as -1, which the stores answer as stale.
func ifMatch(c echo.Context, required bool) ([]int64, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	switch {
	case (h == "" || h == "*") && required:
		return nil, NewProblem(http.StatusPreconditionRequired, "This request needs an If-Match header with the ETag of the version you are changing.")
	case h == "" || h == "*":
		return nil, nil
	}
	var versions []int64
	for tag := range strings.SplitSeq(h, ",") {
		versions = append(versions, etagVersion(strings.TrimSpace(tag)))
	}
	return versions, nil
}

// etagVersion reads the version out of an entity tag this API made ("v3", or "v3.<digest>"), or
// -1.
func etagVersion(tag string) int64 {
	v, ok := strings.CutPrefix(tag, `"v`)
	if !ok {
		return -1
	}
	v, ok = strings.CutSuffix(v, `"`)
	if !ok {
		return -1
	}
	v, _, _ = strings.Cut(v, ".")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return -1
	}
	return n
}

// headerETag is the ETag header's name, which Echo does not define.
const headerETag = "ETag"
