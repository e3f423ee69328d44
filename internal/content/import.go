package content

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/validation"
)

// Import and export move content as NDJSON: one record a line, each an object with one key
// naming its kind ({"type": …}, {"tag": …}, {"item": …}, {"collection": …}), the inner object in
// the API's shape. An export lists types, tags, items, then collections, so that a line refers
// only to what came before it.
//
// An import is one transaction: all of it is written, or none of it (with ContinueOnError, all
// of it but the bad lines). Lines are read in order; item lines, nearly all of a file, are
// decoded, checked and rendered by a worker per core, and written in file order by one writer
// with prepared statements; the search index is built from them at the end, in one statement,
// and so are the indexes of an import into a database with no items.
// Types and tags are checked by the reader as it meets them, so that a worker checking an item
// knows exactly the types and tags declared above the item's line.

// MaxImportLine bounds one line of an import: a body of MaxBody bytes, escaped, and the rest.
const MaxImportLine = 4 << 20

// maxLineErrors bounds the bad lines an import keeps to report; it counts them all.
const maxLineErrors = 100

// ImportOptions configure an import.
type ImportOptions struct {
	// ContinueOnError writes every good line and skips the bad ones; without it, one bad line
	// means nothing is written.
	ContinueOnError bool
	// Author is the user id an item is attributed to when its line names no existing user.
	Author string
	// Progress, when not nil, is updated as the import goes, for a caller to show.
	Progress *ImportProgress
}

// ImportProgress is how far an import is; safe to read while it runs.
type ImportProgress struct {
	Bytes atomic.Int64 // of the input, read
	Lines atomic.Int64 // written, or found bad
	Items atomic.Int64 // written
}

// LineError is a bad line of an import.
type LineError struct {
	Line int
	Kind string // the record's kind; "" when the line is not a record
	Err  error  // a *validation.Error naming the properties, or what else was wrong
}

func (e *LineError) Error() string {
	msg := e.Err.Error()
	var verr *validation.Error
	if errors.As(e.Err, &verr) {
		parts := make([]string, len(verr.Fields))
		for i, f := range verr.Fields {
			parts[i] = f.Field + " " + f.Message
		}
		msg = strings.Join(parts, "; ")
	}
	if e.Kind == "" {
		return fmt.Sprintf("line %d: %s", e.Line, msg)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Kind, msg)
}

// ImportResult is what an import did.
type ImportResult struct {
	Types, Tags, Items, Collections int // records written (unchanged types and tags not counted)
	Unchanged                       int // type and tag lines equal to what the database has
	Bad                             []LineError
	BadLines                        int // all of them; Bad keeps the first maxLineErrors
	Committed                       bool
}

// ErrImportRejected: the input has bad lines and nothing was written.
var ErrImportRejected = errors.New("the input has bad lines; nothing was imported")

// Import reads NDJSON records from r into the database, in one transaction.
func (s *Store) Import(ctx context.Context, r io.Reader, opts ImportOptions) (*ImportResult, error) {
	if opts.Progress == nil {
		opts.Progress = &ImportProgress{}
	}
	// The import's own copy of the store, whose renderer uses every core.
	is := *s
	is.renderer = s.renderer.withSlots(runtime.GOMAXPROCS(0))
	im := &importer{s: &is, opts: opts, now: s.clock(), res: &ImportResult{}, types: map[string]*typeEntry{}, tags: map[string]*tagEntry{}, users: map[string]bool{}, typesWithItems: map[string]bool{}, typesUsed: map[string]bool{}}
	err := s.write(ctx, func(tx *gorm.DB) error {
		// Read in the transaction, which holds the write lock: exact while the lines are
		// checked against it, even with a server writing beside the import.
		if err := im.load(ctx, tx); err != nil {
			return err
		}
		if err := im.run(ctx, tx, r); err != nil {
			return err
		}
		if im.res.BadLines > 0 && !opts.ContinueOnError {
			return ErrImportRejected
		}
		return nil
	})
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			// Cancelled mid-statement, pgx closes the connection, and the statement fails
			// with driver.ErrBadConn rather than the context's error: the cause is the cancel.
			err = fmt.Errorf("%w (%w)", cerr, err)
		}
		return im.res, wrap(err, "import")
	}
	im.res.Committed = true
	return im.res, nil
}

// importer is one import's state.
type importer struct {
	s    *Store
	opts ImportOptions
	now  time.Time
	res  *ImportResult

	users          map[string]bool // ids of the users there are
	typesWithItems map[string]bool // the types that the database's items are of

	// What records may refer to, and from which line: the reader adds, workers read.
	mu    sync.RWMutex
	types map[string]*typeEntry
	tags  map[string]*tagEntry

	// Written by the writer only.
	refs      []pendingRefs
	lastSeq   int64           // the last item's before the import
	typesUsed map[string]bool // by items written so far
}

// typeEntry is a type as lines see it: view from line on, before above it (nil: no type).
type typeEntry struct {
	view   *typeView
	line   int
	before *typeView
}

// tagEntry is a tag as lines from line on see it; line 0: the database has it, as have.
type tagEntry struct {
	line int
	have *Tag
}

// pendingRefs are an item's reference fields, checked once every item is written: an item may
// refer to one further down the file.
type pendingRefs struct {
	line int
	id   string
	refs []reference
}

// load reads what lines may refer to that the database already has, in tx.
func (im *importer) load(ctx context.Context, tx *gorm.DB) error {
	db := tx.WithContext(ctx)
	var types []Type
	if err := db.Find(&types).Error; err != nil {
		return wrap(err, "import: read types")
	}
	for i := range types {
		im.types[types[i].Key] = &typeEntry{view: &typeView{t: &types[i], check: newFieldCheck(types[i].Defs())}}
	}
	var tags []Tag
	if err := db.Find(&tags).Error; err != nil {
		return wrap(err, "import: read tags")
	}
	for i := range tags {
		im.tags[tags[i].Slug] = &tagEntry{have: &tags[i]}
	}
	// Which types items use, for type lines that would change one: read now, since the reader
	// checks type lines beside the transaction, which may hold the only connection
	// (database.Options.Exclusive).
	for _, t := range types {
		var used bool
		if err := db.Raw("SELECT EXISTS (SELECT 1 FROM items WHERE type = ?)", t.Key).Scan(&used).Error; err != nil {
			return wrap(err, "import: read types")
		}
		im.typesWithItems[t.Key] = used
	}
	var ids []string
	if err := db.Table("users").Pluck("id", &ids).Error; err != nil {
		return wrap(err, "import: read users")
	}
	for _, id := range ids {
		im.users[id] = true
	}
	return nil
}

// typeAt returns the type with key as line sees it, or nil.
func (im *importer) typeAt(key string, line int) *typeView {
	im.mu.RLock()
	defer im.mu.RUnlock()
	e := im.types[key]
	switch {
	case e == nil:
		return nil
	case line > e.line:
		return e.view
	default:
		return e.before
	}
}

// hasTag reports whether line may use the tag with slug: it is in the database or declared
// above.
func (im *importer) hasTag(slug string, line int) bool {
	im.mu.RLock()
	defer im.mu.RUnlock()
	e := im.tags[slug]
	return e != nil && line > e.line
}

// entry is one line on its way through the import: decoded and checked (by a worker, or by the
// reader for types and tags), then written.
type entry struct {
	line int
	raw  []byte // an item line, for a worker
	kind string
	err  error // the line is bad

	item       *preparedItem
	typ        *Type // to write; nil with kind type: the line repeats the database
	insertType bool
	tag        *Tag
	collection *collectionRecord
}

// batch is a run of lines; done closes when its items are prepared.
type batch struct {
	entries []entry
	done    chan struct{}
}

const (
	batchLines = 256
	batchBytes = 1 << 20
)

// run reads, prepares and writes every line of r, within tx.
func (im *importer) run(ctx context.Context, tx *gorm.DB, r io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *batch, workers*2)
	ordered := make(chan *batch, workers*2)
	readErr := make(chan error, 1)
	go func() {
		defer close(work)
		defer close(ordered)
		readErr <- im.read(ctx, r, work, ordered)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range work {
				for i := range b.entries {
					if e := &b.entries[i]; e.raw != nil {
						im.prepareItem(e)
					}
				}
				close(b.done)
			}
		})
	}
	err := im.write(ctx, tx, ordered)
	cancel() // a writer that failed stops the reader, which stops the workers
	for range ordered {
	}
	wg.Wait()
	if rerr := <-readErr; err == nil {
		err = rerr
	}
	return err
}

// read splits r into lines and batches, checking type and tag lines itself, in order.
func (im *importer) read(ctx context.Context, r io.Reader, work, ordered chan<- *batch) error {
	br := bufio.NewReaderSize(r, 1<<20)
	b := &batch{done: make(chan struct{})}
	size := 0
	send := func() error {
		if len(b.entries) == 0 {
			return nil
		}
		select {
		case work <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case ordered <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		b, size = &batch{done: make(chan struct{})}, 0
		return nil
	}
	for line := 1; ; line++ {
		raw, err := readLine(br)
		if errors.Is(err, io.EOF) && len(raw) == 0 {
			return send()
		}
		im.opts.Progress.Bytes.Add(int64(len(raw)) + 1)
		e := entry{line: line}
		switch {
		case errors.Is(err, errLineTooLong):
			e.err = fmt.Errorf("longer than %d bytes", MaxImportLine)
		case err != nil && !errors.Is(err, io.EOF):
			return fmt.Errorf("read line %d: %w", line, err)
		case len(bytes.TrimSpace(raw)) == 0:
			continue // blank lines separate nothing, and are allowed at the end
		default:
			switch e.kind = sniffKind(raw); e.kind {
			case "type":
				im.readType(&e, raw)
			case "tag":
				im.readTag(&e, raw)
			case "collection":
				e.collection, e.err = decodeRecord[collectionRecord](raw, "collection")
			default:
				e.kind, e.raw = "item", raw
				size += len(raw)
			}
		}
		b.entries = append(b.entries, e)
		if len(b.entries) >= batchLines || size >= batchBytes {
			if err := send(); err != nil {
				return err
			}
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its end; a line longer than MaxImportLine is skipped
// to its end and reported.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > MaxImportLine {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			return nil, errLineTooLong
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		return line, err
	}
}

// sniffKind returns the first key of a JSON object line when it names a kind the reader
// checks itself, and "" otherwise (items, and anything a full decode will have to explain).
func sniffKind(raw []byte) string {
	rest := bytes.TrimLeft(raw, " \t")
	if len(rest) == 0 || rest[0] != '{' {
		return ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t")
	if len(rest) == 0 || rest[0] != '"' {
		return ""
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 {
		return ""
	}
	switch k := string(rest[1 : 1+end]); k {
	case "type", "tag", "collection":
		return k
	}
	return ""
}

// decodeRecord decodes a line that must be {kind: {…}} into the record type T, strictly: an
// unknown property is a mistake worth telling, not something to drop.
func decodeRecord[T any](raw []byte, kind string) (*T, error) {
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, errNotRecord{"not a JSON object on one line"}
	}
	if validation.JSONHasNUL(raw) {
		return nil, errors.New("a string has a NUL character (\\u0000), which no value may hold")
	}
	inner, ok := rec[kind]
	if len(rec) != 1 || !ok {
		return nil, errNotRecord{"must be an object with exactly one key: type, tag, item or collection"}
	}
	dec := json.NewDecoder(bytes.NewReader(inner))
	dec.DisallowUnknownFields()
	v := new(T)
	if err := dec.Decode(v); err != nil {
		return nil, jsonProblem(err)
	}
	return v, nil
}

// errNotRecord: the line is not a record of any kind.
type errNotRecord struct{ msg string }

func (e errNotRecord) Error() string { return e.msg }

// jsonProblem turns a decoding error into a problem with the property it concerns.
func jsonProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return validation.Field(typeErr.Field, "must be a JSON %s", jsonKind(typeErr.Type.Kind().String()))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return validation.Field(strings.Trim(name, `"`), "is not a property this record may have")
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return errors.New("a time is not in RFC 3339 form (2024-05-01T10:00:00Z)")
	}
	return fmt.Errorf("not valid JSON: %w", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	case "ptr":
		return "value of another kind"
	default:
		return "number"
	}
}

// typeRecord is a type line: the API's ContentType.
type typeRecord struct {
	Key         string     `json:"key"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Fields      []FieldDef `json:"fields"`
	Version     *int64     `json:"version"`
	CreatedAt   *time.Time `json:"created_at"`
	UpdatedAt   *time.Time `json:"updated_at"`
}

// readType checks a type line. A type the database has may be redefined by the file only while
// no item uses it (the API's way of changing a type in use is PUT /types/{key}, with its plan);
// a type the file defines twice is a mistake.
func (im *importer) readType(e *entry, raw []byte) {
	rec, err := decodeRecord[typeRecord](raw, "type")
	if err != nil {
		e.err = err
		return
	}
	im.mu.RLock()
	old := im.types[rec.Key]
	im.mu.RUnlock()
	verr := &validation.Error{}
	if !typeKeyPattern.MatchString(rec.Key) {
		verr.Add("key", "must be lower-case letters, digits, - and _, starting with a letter, at most 64 characters")
	}
	in := TypeInput{Name: rec.Name, Description: rec.Description, Fields: rec.Fields}
	checkTypeInput(verr, in, func(k string) bool {
		im.mu.RLock()
		defer im.mu.RUnlock()
		return k == rec.Key || im.types[k] != nil
	})
	checkRecordMeta(verr, rec.Version, rec.CreatedAt, rec.UpdatedAt)
	if err := verr.Err(); err != nil {
		e.err = err
		return
	}
	defs, _ := json.Marshal(orEmpty(rec.Fields))
	t := &Type{Key: rec.Key, Name: strings.TrimSpace(rec.Name), Description: rec.Description, Fields: string(defs), Version: 1, CreatedAt: im.now, UpdatedAt: im.now}
	if old != nil {
		// Compared as definitions: a field's properties may come in another order.
		oldDefs, _ := json.Marshal(orEmpty(old.view.t.Defs()))
		sameFields := string(oldDefs) == t.Fields
		switch {
		case old.line > 0:
			e.err = fmt.Errorf("the type %s is defined on line %d already", rec.Key, old.line)
			return
		case old.view.t.Name == t.Name && old.view.t.Description == t.Description && sameFields && rec.Version == nil && rec.CreatedAt == nil && rec.UpdatedAt == nil:
			im.res.Unchanged++ // the database has it, as it is
			return
		}
		if im.typesWithItems[rec.Key] && !sameFields {
			e.err = validation.Field("fields", "differ from those of the type %s, which items use; change it with PUT /api/v1/types/%s", rec.Key, rec.Key)
			return
		}
		t.Version, t.CreatedAt = old.view.t.Version+1, old.view.t.CreatedAt
	}
	applyRecordMeta(&t.Version, &t.CreatedAt, &t.UpdatedAt, rec.Version, rec.CreatedAt, rec.UpdatedAt)
	e.typ, e.insertType = t, old == nil
	im.mu.Lock()
	entry := &typeEntry{view: &typeView{t: t, check: newFieldCheck(t.Defs())}, line: e.line}
	if old != nil {
		entry.before = old.view
	}
	im.types[rec.Key] = entry
	im.mu.Unlock()
}

// tagRecord is a tag line: the API's Tag.
type tagRecord struct {
	Slug      string     `json:"slug"`
	Name      string     `json:"name"`
	Group     *string    `json:"group"`
	Version   *int64     `json:"version"`
	CreatedAt *time.Time `json:"created_at"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// readTag checks a tag line. A tag the database has with the same name and group is left as it
// is; with another, the line is bad (renaming is PATCH /tags/{slug}'s job).
func (im *importer) readTag(e *entry, raw []byte) {
	rec, err := decodeRecord[tagRecord](raw, "tag")
	if err != nil {
		e.err = err
		return
	}
	t := &Tag{Slug: rec.Slug, Name: strings.TrimSpace(rec.Name), Group: rec.Group, Version: 1, CreatedAt: im.now, UpdatedAt: im.now}
	verr := &validation.Error{}
	checkTag(verr, t)
	checkRecordMeta(verr, rec.Version, rec.CreatedAt, rec.UpdatedAt)
	if err := verr.Err(); err != nil {
		e.err = err
		return
	}
	applyRecordMeta(&t.Version, &t.CreatedAt, &t.UpdatedAt, rec.Version, rec.CreatedAt, rec.UpdatedAt)
	im.mu.RLock()
	old := im.tags[rec.Slug]
	im.mu.RUnlock()
	switch {
	case old != nil && old.line > 0:
		e.err = fmt.Errorf("the tag %s is defined on line %d already", rec.Slug, old.line)
		return
	case old != nil:
		if have := old.have; have.Name != t.Name || !equalPtr(have.Group, t.Group) {
			e.err = validation.Field("slug", "is the slug of an existing tag with another name or group; rename it with PATCH /api/v1/tags/%s", rec.Slug)
			return
		}
		im.res.Unchanged++
		return
	}
	e.tag = t
	im.mu.Lock()
	im.tags[rec.Slug] = &tagEntry{line: e.line}
	im.mu.Unlock()
}

func equalPtr[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// checkRecordMeta checks the version and times a record may carry.
func checkRecordMeta(verr *validation.Error, version *int64, created, updated *time.Time) {
	if version != nil && *version < 1 {
		verr.Add("version", "must be at least 1")
	}
	if created != nil && updated != nil && updated.Before(*created) {
		verr.Add("updated_at", "must not be before created_at")
	}
}

// applyRecordMeta sets the version and times a record carries; updated_at defaults to
// created_at when only that is given.
func applyRecordMeta(version *int64, created, updated *time.Time, v *int64, c, u *time.Time) {
	if v != nil {
		*version = *v
	}
	if c != nil {
		*created = *truncate(c)
		*updated = *created
	}
	if u != nil {
		*updated = *truncate(u)
	}
}

// itemRecord is an item line: the API's Item. body_html and fields_html are derived from the
// rest, so they are accepted (an export has them) and rendered anew.
type itemRecord struct {
	ID          *string          `json:"id"`
	Type        string           `json:"type"`
	Slug        *string          `json:"slug"`
	Title       string           `json:"title"`
	Summary     *string          `json:"summary"`
	Body        string           `json:"body"`
	Fields      json.RawMessage  `json:"fields"`
	Tags        []string         `json:"tags"`
	Status      *string          `json:"status"`
	PublishedAt *time.Time       `json:"published_at"`
	UnpublishAt *time.Time       `json:"unpublish_at"`
	Author      *json.RawMessage `json:"author"`
	Version     *int64           `json:"version"`
	CreatedAt   *time.Time       `json:"created_at"`
	UpdatedAt   *time.Time       `json:"updated_at"`
	DeletedAt   *time.Time       `json:"deleted_at"`
	BodyHTML    json.RawMessage  `json:"body_html"`
	FieldsHTML  json.RawMessage  `json:"fields_html"`
}

// preparedItem is an item ready to write.
type preparedItem struct {
	it       Item
	snapshot string // its revision
	refs     []reference
}

// prepareItem decodes and checks an item line with the API's rules, and renders it. It runs on
// a worker.
func (im *importer) prepareItem(e *entry) {
	rec, err := decodeRecord[itemRecord](e.raw, "item")
	e.raw = nil
	if err != nil {
		e.err = err
		return
	}
	p := &preparedItem{}
	it := &p.it
	verr := &validation.Error{}
	if rec.ID != nil {
		id, err := uuid.Parse(*rec.ID)
		if err != nil || id.String() != *rec.ID {
			verr.Add("id", "must be a UUID in lower-case hexadecimal with hyphens")
		}
		it.ID = *rec.ID
	} else {
		id, err := uuid.NewV7()
		if err != nil {
			e.err = err
			return
		}
		it.ID = id.String()
	}
	fields := json.RawMessage(`{}`)
	if rec.Fields != nil && string(rec.Fields) != "null" {
		if fields, err = mergePatch(fields, rec.Fields); err != nil {
			verr.Add("fields", "must be a JSON object")
			fields = json.RawMessage(`{}`)
		}
	}
	it.Type, it.Title, it.Summary, it.Body, it.Fields, it.Tags = rec.Type, rec.Title, rec.Summary, rec.Body, string(fields), orEmpty(rec.Tags)
	checkContent(verr, it)
	if rec.Slug != nil {
		if !ValidSlug(*rec.Slug) {
			verr.Add("slug", "must be lower-case letters and digits joined by single hyphens, at most %d characters", MaxSlug)
		}
		it.Slug = *rec.Slug
	}

	// Publication, the way the API's create and publish leave an item.
	it.Status = StatusDraft
	if rec.Status != nil {
		it.Status = *rec.Status
	}
	it.PublishedAt, it.UnpublishAt, it.DeletedAt = truncate(rec.PublishedAt), truncate(rec.UnpublishAt), truncate(rec.DeletedAt)
	switch it.Status {
	case StatusDraft:
		if it.PublishedAt != nil {
			verr.Add("published_at", "must be null for a draft (or status published)")
		}
	case StatusPublished:
		if it.PublishedAt == nil {
			it.PublishedAt = &im.now
		}
		if it.UnpublishAt != nil && !it.UnpublishAt.After(*it.PublishedAt) {
			verr.Add("unpublish_at", "must be later than published_at")
		}
	default:
		verr.Add("status", "must be draft or published")
	}
	it.Version, it.CreatedAt, it.UpdatedAt = 1, im.now, im.now
	checkRecordMeta(verr, rec.Version, rec.CreatedAt, rec.UpdatedAt)
	applyRecordMeta(&it.Version, &it.CreatedAt, &it.UpdatedAt, rec.Version, rec.CreatedAt, rec.UpdatedAt)
	it.AuthorID = im.opts.Author
	if rec.Author != nil {
		var author struct {
			ID string `json:"id"`
		}
		// Only the id counts (an export also has the name); someone this database does not
		// know is the first admin here.
		if json.Unmarshal(*rec.Author, &author) != nil {
			verr.Add("author", "must be an object with the id of a user")
		} else if im.users[author.ID] {
			it.AuthorID = author.ID
		}
	}

	// What the line refers to must be declared above it, or be in the database.
	view := im.typeAt(it.Type, e.line)
	if view == nil {
		verr.Add("type", "%q is not a content type", it.Type)
	}
	for i, slug := range it.Tags {
		if !im.hasTag(slug, e.line) {
			verr.Add(fmt.Sprintf("tags[%d]", i), "%q is not a tag", slug)
		}
	}
	var markdown map[string]string
	if view != nil {
		p.refs, markdown = view.check.check(verr, it.Type, it.Fields)
	}
	if err := verr.Err(); err != nil {
		e.err = err
		return
	}
	it.Fields = utcDatetimes(it.Fields, view.check.defs)

	if it.BodyHTML, err = im.s.render(it.Body); err != nil {
		e.err = err
		return
	}
	html := map[string]string{}
	if len(markdown) > 0 {
		if html, err = view.render(im.s, json.RawMessage(it.Fields)); err != nil {
			e.err = err
			return
		}
	}
	it.FieldsHTML = htmlFieldsJSON(html)
	snap, err := json.Marshal(snapshotOf(it))
	if err != nil {
		e.err = err
		return
	}
	p.snapshot = string(snap)
	e.item = p
}

// writer holds the statements an import writes items with: prepared once, on the transaction's
// connection, since an import writes hundreds of thousands of rows.
type writer struct {
	item, tag, revision *sql.Stmt
}

// The statements of writer.
const (
	// An id or a slug that is taken inserts nothing, and writeItem says which: a failed
	// statement would end the whole transaction on PostgreSQL.
	insertItemSQL = `INSERT INTO items (id, type, slug, title, summary, body, body_html, fields, fields_html, status, published_at, unpublish_at, author_id, version, created_at, updated_at, deleted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	// The copies that lists by tag read (migrations 00007 and 00008) are written here rather
	// than by the insert trigger, which would read the item back for each of its tags.
	insertItemTagSQL  = `INSERT INTO item_tags (item_id, tag, position, type, published_at, unpublish_at) VALUES (?, ?, ?, ?, ?, ?)`
	insertRevisionSQL = `INSERT INTO revisions (item_id, version, snapshot, author_id, created_at) VALUES (?, ?, ?, ?, ?)`
)

// bulkTables are the tables an import fills with a row or more for every item.
var bulkTables = []string{"items", "item_tags", "revisions"}

// write writes the batches in order, as their items are prepared.
func (im *importer) write(ctx context.Context, tx *gorm.DB, ordered <-chan *batch) (err error) {
	conn, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return errors.New("import: the transaction has no database/sql transaction under it")
	}
	// The items this import writes are those after the last one there is: the transaction
	// holds the write lock.
	if err := conn.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM items").Scan(&im.lastSeq); err != nil {
		return err
	}
	for _, stmt := range im.s.d.bulkLoadStart() {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	// Into a database with no items, the indexes that serve reads only are built at the end,
	// once, from the rows written (deferIndexes). With items there, an import may be a few
	// lines, and building an index anew would read all of them.
	var createIndexes []string
	if im.lastSeq == 0 {
		if createIndexes, err = im.s.d.deferIndexes(ctx, conn, bulkTables...); err != nil {
			return err
		}
	}
	var w writer
	if w.item, err = conn.PrepareContext(ctx, im.s.d.placeholders(insertItemSQL)); err != nil {
		return err
	}
	defer w.item.Close()
	if w.tag, err = conn.PrepareContext(ctx, im.s.d.placeholders(insertItemTagSQL)); err != nil {
		return err
	}
	defer w.tag.Close()
	if w.revision, err = conn.PrepareContext(ctx, im.s.d.placeholders(insertRevisionSQL)); err != nil {
		return err
	}
	defer w.revision.Close()
	for b := range ordered {
		select {
		case <-b.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		for i := range b.entries {
			e := &b.entries[i]
			// A line that was found bad is reported; a failure to write a good one is the
			// import's (the disk, the database), unless it is a problem with the line.
			if e.err != nil {
				im.bad(e.line, e.kind, e.err)
			} else if err := im.writeEntry(ctx, tx, &w, e); err != nil {
				var verr *validation.Error
				if !errors.As(err, &verr) {
					return fmt.Errorf("line %d: %w", e.line, err)
				}
				im.bad(e.line, e.kind, err)
			}
			im.opts.Progress.Lines.Add(1)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := im.checkReferences(ctx, tx); err != nil {
		return err
	}
	for _, stmt := range createIndexes {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	// The search index is written last, in one statement: FTS5 writes what it holds at every
	// statement's end, so an entry per item written with it made a segment per item, merged
	// again and again (60 % of an import's time, profiled).
	if _, err := conn.ExecContext(ctx, im.s.d.placeholders(im.s.d.indexItemsSQL()+"i.seq > ?"), im.lastSeq); err != nil {
		return err
	}
	for _, stmt := range im.s.d.bulkLoadEnd() {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) bad(line int, kind string, err error) {
	if errors.As(err, new(errNotRecord)) {
		kind = ""
	}
	im.res.BadLines++
	if len(im.res.Bad) < maxLineErrors {
		im.res.Bad = append(im.res.Bad, LineError{Line: line, Kind: kind, Err: err})
	}
}

// writeEntry writes one good line.
func (im *importer) writeEntry(ctx context.Context, tx *gorm.DB, w *writer, e *entry) error {
	switch {
	case e.item != nil:
		return im.writeItem(ctx, tx, w, e)
	case e.typ != nil:
		if im.typesUsed[e.typ.Key] {
			// The reader checked the line against the database, which does not have this
			// import's items yet; and items below the line were checked with the new fields.
			return fmt.Errorf("the type %s is redefined below items of it; put type lines first, as an export does", e.typ.Key)
		}
		if e.insertType {
			if err := tx.Create(e.typ).Error; err != nil {
				return err
			}
		} else if err := tx.Model(&Type{}).Where("key = ?", e.typ.Key).
			Select("name", "description", "fields", "version", "created_at", "updated_at").Updates(e.typ).Error; err != nil {
			return err
		}
		im.res.Types++
	case e.tag != nil:
		if err := tx.Create(e.tag).Error; err != nil {
			return err
		}
		im.res.Tags++
	case e.collection != nil:
		if err := im.writeCollection(tx, e.collection); err != nil {
			return err
		}
		im.res.Collections++
	}
	return nil
}

func (im *importer) writeItem(ctx context.Context, tx *gorm.DB, w *writer, e *entry) error {
	p := e.item
	it := &p.it
	if it.Slug == "" {
		var err error
		if it.Slug, err = deriveSlug(tx, it); err != nil {
			return err
		}
	}
	res, err := w.item.ExecContext(ctx, it.ID, it.Type, it.Slug, it.Title, it.Summary, it.Body, it.BodyHTML, it.Fields, it.FieldsHTML,
		it.Status, it.PublishedAt, it.UnpublishAt, it.AuthorID, it.Version, it.CreatedAt, it.UpdatedAt, it.DeletedAt)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return err
		}
		// Not written: its id or its slug is another item's.
		var idTaken bool
		if err := tx.Raw("SELECT EXISTS (SELECT 1 FROM items WHERE id = ?)", it.ID).Scan(&idTaken).Error; err != nil {
			return err
		}
		if idTaken {
			return validation.Field("id", "is the id of another item")
		}
		return validation.Field("slug", "%q is taken by another item of the type %s", it.Slug, it.Type)
	}
	var listedAt *time.Time // the copy of published_at: while the item is listed only
	if it.Status == StatusPublished && it.DeletedAt == nil {
		listedAt = it.PublishedAt
	}
	for i, t := range it.Tags {
		if _, err := w.tag.ExecContext(ctx, it.ID, t, i, it.Type, listedAt, it.UnpublishAt); err != nil {
			return err
		}
	}
	if _, err := w.revision.ExecContext(ctx, it.ID, it.Version, p.snapshot, it.AuthorID, it.UpdatedAt); err != nil {
		return err
	}
	if len(p.refs) > 0 {
		im.refs = append(im.refs, pendingRefs{line: e.line, id: it.ID, refs: p.refs})
	}
	im.typesUsed[it.Type] = true
	e.item = nil // done with it: let the memory go
	im.res.Items++
	im.opts.Progress.Items.Add(1)
	return nil
}

// checkReferences checks the reference fields of the items written, now that every item is.
// With ContinueOnError an item whose references are bad is taken out again, which may make
// others' bad in turn.
func (im *importer) checkReferences(ctx context.Context, tx *gorm.DB) error {
	for pending := im.refs; len(pending) > 0; {
		var next []pendingRefs
		removed := false
		for _, p := range pending {
			verr := &validation.Error{}
			if err := checkItemReferences(tx.WithContext(ctx), verr, p.refs, nil, im.now); err != nil {
				return err
			}
			if verr.Err() == nil {
				next = append(next, p)
				continue
			}
			im.bad(p.line, "item", verr)
			im.res.Items--
			if err := tx.Exec("DELETE FROM items WHERE id = ?", p.id).Error; err != nil {
				return err
			}
			removed = true
		}
		if !removed {
			break
		}
		pending = next
	}
	return nil
}

// collectionRecord is a collection line: the API's Collection.
type collectionRecord struct {
	Key         string            `json:"key"`
	Title       *string           `json:"title"`
	Description *string           `json:"description"`
	Filter      *CollectionFilter `json:"filter"`
	Pinned      *[]string         `json:"pinned"`
	Sort        *string           `json:"sort"`
	Version     *int64            `json:"version"`
	CreatedAt   *time.Time        `json:"created_at"`
	UpdatedAt   *time.Time        `json:"updated_at"`
}

// writeCollection checks a collection line against what is written so far, and writes it.
func (im *importer) writeCollection(tx *gorm.DB, rec *collectionRecord) error {
	c := &Collection{Key: rec.Key, Filter: `{"types":[],"tags":[],"tags_any":[]}`, Pinned: "[]", Sort: "-published_at", Version: 1, CreatedAt: im.now, UpdatedAt: im.now}
	verr := &validation.Error{}
	if !ValidSlug(rec.Key) {
		verr.Add("key", "must be lower-case letters and digits joined by single hyphens, at most %d characters", MaxSlug)
	}
	if err := im.s.applyCollection(tx, verr, c, CollectionInput{Title: rec.Title, Description: rec.Description, Filter: rec.Filter, Pinned: rec.Pinned, Sort: rec.Sort}); err != nil {
		return err
	}
	checkRecordMeta(verr, rec.Version, rec.CreatedAt, rec.UpdatedAt)
	if err := verr.Err(); err != nil {
		return err
	}
	applyRecordMeta(&c.Version, &c.CreatedAt, &c.UpdatedAt, rec.Version, rec.CreatedAt, rec.UpdatedAt)
	var n int64
	if err := tx.Model(&Collection{}).Where("key = ?", c.Key).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return validation.Field("key", "%s", ErrCollectionExists)
	}
	return tx.Create(c).Error
}
