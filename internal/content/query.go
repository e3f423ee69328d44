package content

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/foliocms/folio/internal/validation"
)

// The item properties a list may sort by, and may select.
var (
	SortFields   = []string{"published_at", "updated_at", "created_at", "title"}
	SelectFields = []string{"id", "type", "slug", "title", "summary", "body", "body_html", "fields", "fields_html", "tags", "status",
		"published_at", "unpublish_at", "author", "version", "created_at", "updated_at", "deleted_at"}
	// Statuses a signed-in caller may list.
	ListStatuses = []string{"draft", "published", "any"}
	// queryParams are the parameters of an item list.
	// The order of search results when no sort is given.
	SortRelevance = "relevance"
	queryParams   = []string{"type", "tag", "tag_any", "author", "published_after", "published_before", "sort",
		"limit", "cursor", "page", "select", "status", "trashed", "q"}
)

// Page sizes of lists.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	maxFilter    = 20 // values in one filter
)

// Query is a parsed item list request.
type Query struct {
	Types           []string
	Tags            []string // all of
	TagsAny         []string // any of
	Author          string
	PublishedAfter  *time.Time
	PublishedBefore *time.Time
	Sort            string // one of SortFields
	Desc            bool
	Limit           int
	Cursor          *Cursor
	Page            int // 1-based; 0 in cursor mode
	Select          []string
	Status          string // "" (public items), draft, published or any
	Trashed         bool
	Q               string            // full-text search; with it the default order is relevance
	Fields          map[string]string // fields.NAME=VALUE: equality on a field of the (one) type

	fieldFilters  []fieldFilter // Fields, checked against the type and converted
	exclude       []string      // item ids left out (a collection's pinned items)
	orIDs         []string      // item ids let in whatever the type and tag filters say
	fewAnyTags    bool          // TagsAny's tags have few listed items (byAnyTag)
	fewTagRows    bool          // the tags a list in another order is read from have few (byTagRows)
	fewByAuthor   bool          // the author of a list in another order has few public items
	ftsInFrom     bool          // the query's FROM has the search index already (searchWindow)
	matchEstimate int64         // the fewest items one of the search's phrases is in; -1 uncounted
	walk          bool          // a search is read walking the index of its order (searchWalk)
	walkBound     []any         // the last entry of that index the walk reads, nil for its end
	search        string        // a search's query for the engine, its relevance expression and
	rank          string        // the expression's arguments (Store.prepareSearch)
	rankArgs      []any
}

// Cursor is the position after the last item of a page: its sort key and id. It names its sort,
// so that it cannot be used with another.
type Cursor struct {
	Sort string `json:"s"`
	Key  string `json:"k"` // the sort key: a time (RFC 3339) or a title
	ID   string `json:"i"`
}

// DecodeCursor reads the opaque form of a cursor.
func DecodeCursor(s string) (*Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" || c.Sort == "" {
		return nil, ErrBadCursor
	}
	return &c, nil
}

// Encode returns the opaque form of the cursor.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseQuery reads an item list's query string. signedIn tells whether the caller has
// credentials, which status and trashed need. Every problem is a *validation.Error naming the
// parameter; the HTTP edge answers 400 (or 401 for status and trashed without credentials).
func ParseQuery(v url.Values, signedIn bool) (Query, error) {
	q := Query{Sort: "published_at", Desc: true, Limit: DefaultLimit}
	verr := &validation.Error{}
	for name, values := range v {
		// No value of the API holds a NUL or bytes that are not UTF-8, and PostgreSQL refuses
		// both in text.
		if !validation.StorableText(name) || slices.ContainsFunc(values, func(s string) bool { return !validation.StorableText(s) }) {
			verr.Add(strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", "\\0"), "\uFFFD"), "has a NUL character or is not UTF-8")
			continue
		}
		if field, ok := strings.CutPrefix(name, "fields."); ok {
			if !fieldNamePattern.MatchString(field) {
				verr.Add(name, "is not a field name")
				continue
			}
			if q.Fields == nil {
				q.Fields = map[string]string{}
			}
			q.Fields[field] = v.Get(name)
			continue
		}
		if !slices.Contains(queryParams, name) {
			verr.Add(name, "is not a parameter of item lists; they take %s, and fields.NAME", strings.Join(queryParams, ", "))
		}
	}
	for name, values := range v {
		if len(values) > 1 {
			verr.Add(name, "is given %d times; give it once (lists are comma-separated)", len(values))
		}
	}
	list := func(name string, check func(string) bool, what string) []string {
		var out []string
		for item := range strings.SplitSeq(v.Get(name), ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			if !check(item) {
				verr.Add(name, "%q is not %s", item, what)
				continue
			}
			out = append(out, item)
		}
		if len(out) > maxFilter {
			verr.Add(name, "may list at most %d values", maxFilter)
		}
		return out
	}
	q.Types = list("type", ValidSlug, "a type key")
	q.Tags = list("tag", ValidSlug, "a tag slug")
	q.TagsAny = list("tag_any", ValidSlug, "a tag slug")
	if a := v.Get("author"); a != "" {
		if !validUUID(a) {
			verr.Add("author", "must be a user id")
		}
		q.Author = a
	}
	for name, dst := range map[string]**time.Time{"published_after": &q.PublishedAfter, "published_before": &q.PublishedBefore} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				verr.Add(name, "must be an RFC 3339 time, such as 2020-05-15T00:00:00Z")
				continue
			}
			*dst = truncate(&t)
		}
	}
	if s := v.Get("sort"); s != "" {
		field, desc := strings.CutPrefix(s, "-")
		if !slices.Contains(SortFields, field) {
			verr.Add("sort", "must be one of %s, each optionally with - for descending", strings.Join(SortFields, ", "))
		}
		q.Sort, q.Desc = field, desc
	}
	if strings.TrimSpace(v.Get("q")) != "" { // an empty search is no search
		q.Q = v.Get("q")
		switch {
		case utf8.RuneCountInString(q.Q) > 200:
			verr.Add("q", "must be at most 200 characters")
		case !v.Has("sort"):
			q.Sort, q.Desc = SortRelevance, false
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			verr.Add("limit", "must be an integer from 1 to %d", MaxLimit)
		}
		q.Limit = n
	}
	if s := v.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1_000_000 {
			verr.Add("page", "must be a positive integer")
		}
		q.Page = n
	}
	if s := v.Get("cursor"); s != "" {
		c, err := DecodeCursor(s)
		switch {
		case err != nil:
			verr.Add("cursor", "is not a cursor this API returned")
		case c.Sort != sortKey(q.Sort, q.Desc):
			verr.Add("cursor", "belongs to another sort (%s); start again without it", c.Sort)
		default:
			q.Cursor = c
		}
		if q.Page != 0 {
			verr.Add("cursor", "cannot be combined with page")
		}
	}
	if s := v.Get("select"); s != "" {
		q.Select = list("select", func(f string) bool { return slices.Contains(SelectFields, f) }, "an item property")
		if !slices.Contains(q.Select, "id") {
			q.Select = append([]string{"id"}, q.Select...)
		}
	}
	if s := v.Get("status"); s != "" {
		if !slices.Contains(ListStatuses, s) {
			verr.Add("status", "must be draft, published or any")
		}
		q.Status = s
	}
	if s := v.Get("trashed"); s != "" {
		if s != "true" && s != "false" {
			verr.Add("trashed", "must be true or false")
		}
		q.Trashed = s == "true"
	}
	if err := verr.Err(); err != nil {
		return Query{}, err
	}
	if !signedIn && (q.Status != "" || v.Has("trashed")) {
		return Query{}, ErrNeedsCredentials
	}
	return q, nil
}

// QueryError is a list query that parses but does not fit the data, such as a filter on a field
// its type does not have: the caller's to fix, like a parse error (400).
type QueryError struct{ Problems *validation.Error }

func (e *QueryError) Error() string { return e.Problems.Error() }

// ErrNeedsCredentials: status and trashed are for signed-in callers.
var ErrNeedsCredentials = errors.New("status and trashed need credentials")

// sortKey names a sort as cursors record it.
func sortKey(field string, desc bool) string {
	if desc {
		return "-" + field
	}
	return field
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case (r < '0' || r > '9') && (r < 'a' || r > 'f'):
			return false
		}
	}
	return true
}
