// Package content provides Folio's content: items with their drafts, publishing and
// scheduling, revisions and trash, tags and types, and the rules of who may do what with them.
// Every write is one transaction that also records a revision, and every update is conditional
// on the version the writer last saw.
package content

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/auth"
	"github.com/foliocms/folio/internal/changes"
	"github.com/foliocms/folio/internal/database"
)

// Item statuses.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
)

// Item is a piece of content, as stored.
type Item struct {
	Seq         int64 `gorm:"primaryKey"`
	ID          string
	Type        string
	Slug        string
	Title       string
	Summary     *string
	Body        string
	BodyHTML    string `gorm:"column:body_html"`
	Fields      string // a JSON object
	FieldsHTML  string `gorm:"column:fields_html"` // a JSON object: the HTML of each markdown field
	Status      string
	PublishedAt *time.Time
	UnpublishAt *time.Time
	AuthorID    string
	Version     int64
	CreatedAt   time.Time `gorm:"autoCreateTime:false"` // set by the store's clock, not GORM's
	UpdatedAt   time.Time `gorm:"autoUpdateTime:false"`
	DeletedAt   *time.Time

	// Read with the item, not columns of it.
	Tags       []string `gorm:"-"`
	AuthorName string   `gorm:"->;-:migration"`
	// In search results only: the relevance (bm25: lower is better) and a snippet of the text
	// around the matches, marked with MarkStart and MarkEnd.
	SearchRank    *float64 `gorm:"column:search_rank;->;-:migration"`
	SearchSnippet string   `gorm:"column:search_snippet;->;-:migration"`
}

// Public reports whether anyone may read the item at now: published, published_at reached,
// unpublish_at not reached, not in the trash. The SQL twin is publicSQL.
func (it *Item) Public(now time.Time) bool {
	return it.DeletedAt == nil && it.Status == StatusPublished && it.PublishedAt != nil && !it.PublishedAt.After(now) &&
		(it.UnpublishAt == nil || it.UnpublishAt.After(now))
}

// publicSQL is Item.Public as SQL, for an items table aliased i, with the time as :now.
const publicSQL = "i.status = 'published' AND i.deleted_at IS NULL AND i.published_at <= @now AND (i.unpublish_at IS NULL OR i.unpublish_at > @now)"

// Tag labels items; its slug is what items list.
type Tag struct {
	Slug      string `gorm:"primaryKey"`
	Name      string
	Group     *string
	Version   int64
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

// Revision is one saved version of an item.
type Revision struct {
	ItemID    string `gorm:"primaryKey"`
	Version   int64  `gorm:"primaryKey"`
	Snapshot  string // JSON: a Snapshot
	AuthorID  string
	CreatedAt time.Time `gorm:"autoCreateTime:false"`

	AuthorName string `gorm:"->;-:migration"`
}

// Actor is who is acting: nil for an anonymous reader.
type Actor struct {
	UserID string
	Role   auth.Role
}

func (a *Actor) editor() bool { return a != nil && a.Role.AtLeast(auth.RoleEditor) }

// owns reports whether the actor authored it.
func (a *Actor) owns(it *Item) bool { return a != nil && a.UserID == it.AuthorID }

// Errors of this package; the HTTP edge maps each to a status.
var (
	// ErrNotFound is also what a caller gets for an item they may not see.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the caller sees the item but may not do this to it.
	ErrForbidden = errors.New("not allowed")
	// ErrStale: the item changed since the version the caller gave.
	ErrStale = errors.New("the item has changed since the version given")
	// ErrSlugTaken: another item of the type has the slug given.
	ErrSlugTaken = errors.New("the slug is taken")
	// ErrInTrash: the action needs the item out of the trash.
	ErrInTrash = errors.New("the item is in the trash")
	// ErrNotInTrash: restoring an item that is not in the trash.
	ErrNotInTrash = errors.New("the item is not in the trash")
)

// Options configure a Store.
type Options struct {
	Now          func() time.Time    // the clock; time.Now when nil
	RenderBudget time.Duration       // how long one body may take to render; DefaultRenderBudget when 0
	Changes      *changes.Generation // told of every committed write; may be nil
}

// DefaultRenderBudget is how long a body may take to render. Ordinary bodies take well under a
// millisecond.
const DefaultRenderBudget = 2 * time.Second

// Store is the content domain on GORM.
type Store struct {
	db         *gorm.DB
	d          dialect // the SQL that differs between SQLite and PostgreSQL
	renderer   *Renderer
	now        func() time.Time
	changes    *changes.Generation
	next       *nextChangeMemo         // NextChange's last answer
	tagSizes   *tagSizes               // which of several tags a list is read from
	phraseHits *countMemo              // how many items hold a searched word (prepareSearch)
	prefixes   *prefixMemo             // the words a searched prefix stands for (expandPrefix)
	reindexing *database.Batch[string] // the items whose search entries a transaction rewrites
}

// nextChangeMemo is NextChange's answer at a content generation.
type nextChangeMemo struct {
	mu  sync.Mutex
	gen uint64
	at  *time.Time
	ok  bool
}

// NewStore returns a Store on db.
func NewStore(db *gorm.DB, opts Options) *Store {
	s := &Store{db: db, d: dialectOf(db), renderer: NewRenderer(cmp.Or(opts.RenderBudget, DefaultRenderBudget)), now: opts.Now, changes: opts.Changes, next: &nextChangeMemo{}, tagSizes: newTagSizes(), phraseHits: newPhraseHits(), prefixes: &prefixMemo{}}
	if s.now == nil {
		s.now = time.Now
	}
	s.reindexing = database.NewBatch(s.reindexItems)
	return s
}

// write runs fn in a transaction: every write of the store is one. The transaction also raises
// the content generation, so that kept public responses are not served after it commits.
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	var gen int64
	err := database.Write(ctx, s.db, func(tx *gorm.DB) error {
		if err := fn(tx); err != nil {
			return err
		}
		var err error
		gen, err = changes.Record(tx)
		return err
	})
	if err != nil {
		return err
	}
	s.changes.Committed(gen)
	return nil
}

// withContext is db with ctx for its statements, unless db is a write transaction's handle:
// those keep the transaction's own context, which database.Write gives each write of a group of
// writes committed together, so that one caller's going away cannot end the others' statements.
func withContext(db *gorm.DB, ctx context.Context) *gorm.DB {
	if database.InTransaction(db) {
		return db
	}
	return db.WithContext(ctx)
}

// clock returns the current time in UTC, truncated to microseconds: the precision kept in
// ETags, cursors and JSON, so that what a client sends back compares equal.
func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }
