package content

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"time"

	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"

	"github.com/foliocms/folio/internal/database"
)

// ExportResult counts what an export wrote.
type ExportResult struct {
	Types, Tags, Items, Collections int
}

// exportChunk is how many items an export reads at a time.
const exportChunk = 1000

// exportItem is an item line: the API's Item without what is derived from the rest (the HTML,
// which an import renders anew).
type exportItem struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Slug        string          `json:"slug"`
	Title       string          `json:"title"`
	Summary     *string         `json:"summary"`
	Body        string          `json:"body"`
	Fields      json.RawMessage `json:"fields"`
	Tags        []string        `json:"tags"`
	Status      string          `json:"status"`
	PublishedAt *time.Time      `json:"published_at"`
	UnpublishAt *time.Time      `json:"unpublish_at"`
	Author      exportAuthor    `json:"author"`
	Version     int64           `json:"version"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	DeletedAt   *time.Time      `json:"deleted_at"`
}

type exportAuthor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type exportType struct {
	Key         string     `json:"key"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Fields      []FieldDef `json:"fields"`
	Version     int64      `json:"version"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

type exportTag struct {
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Group     *string   `json:"group"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type exportCollection struct {
	Key         string           `json:"key"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Filter      CollectionFilter `json:"filter"`
	Pinned      []string         `json:"pinned"`
	Sort        string           `json:"sort"`
	Version     int64            `json:"version"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

// Export writes every type, tag, item (drafts and the trash included) and collection to w as
// NDJSON, in the order an import needs. It reads one snapshot, in a read transaction on the
// read pool: writes go on meanwhile, and the export is of one moment. (SQLite's WAL gives a
// read transaction one snapshot; PostgreSQL does at REPEATABLE READ.)
func (s *Store) Export(ctx context.Context, w io.Writer, progress func(items int)) (*ExportResult, error) {
	res := &ExportResult{}
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	line := func(kind string, v any) error { return enc.Encode(map[string]any{kind: v}) }

	var snapshot []*sql.TxOptions
	if database.IsPostgres(s.db) {
		snapshot = append(snapshot, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	err := s.db.WithContext(ctx).Clauses(dbresolver.Read).Transaction(func(tx *gorm.DB) error {
		var types []Type
		if err := tx.Order("key").Find(&types).Error; err != nil {
			return err
		}
		for _, t := range types {
			if err := line("type", exportType{t.Key, t.Name, t.Description, orEmpty(t.Defs()), t.Version, t.CreatedAt.UTC(), t.UpdatedAt.UTC()}); err != nil {
				return err
			}
			res.Types++
		}
		var tags []Tag
		if err := tx.Order("slug").Find(&tags).Error; err != nil {
			return err
		}
		for _, t := range tags {
			if err := line("tag", exportTag{t.Slug, t.Name, t.Group, t.Version, t.CreatedAt.UTC(), t.UpdatedAt.UTC()}); err != nil {
				return err
			}
			res.Tags++
		}
		// Items in the order they were created, a chunk at a time.
		for after := int64(0); ; {
			var items []Item
			err := tx.Table("items AS i").Select("i.*, u.name AS author_name").Joins("JOIN users u ON u.id = i.author_id").
				Where("i.seq > ?", after).Order("i.seq").Limit(exportChunk).Find(&items).Error
			if err != nil {
				return err
			}
			if len(items) == 0 {
				break
			}
			if err := loadTags(ctx, tx, items); err != nil {
				return err
			}
			for _, it := range items {
				err := line("item", exportItem{
					ID: it.ID, Type: it.Type, Slug: it.Slug, Title: it.Title, Summary: it.Summary, Body: it.Body,
					Fields: json.RawMessage(it.Fields), Tags: it.Tags, Status: it.Status,
					PublishedAt: utc(it.PublishedAt), UnpublishAt: utc(it.UnpublishAt),
					Author:  exportAuthor{ID: it.AuthorID, Name: it.AuthorName},
					Version: it.Version, CreatedAt: it.CreatedAt.UTC(), UpdatedAt: it.UpdatedAt.UTC(), DeletedAt: utc(it.DeletedAt),
				})
				if err != nil {
					return err
				}
			}
			res.Items += len(items)
			after = items[len(items)-1].Seq
			if progress != nil {
				progress(res.Items)
			}
		}
		var cs []Collection
		if err := tx.Order("key").Find(&cs).Error; err != nil {
			return err
		}
		for _, c := range cs {
			err := line("collection", exportCollection{c.Key, c.Title, c.Description, c.FilterValue(), c.PinnedIDs(), c.Sort, c.Version, c.CreatedAt.UTC(), c.UpdatedAt.UTC()})
			if err != nil {
				return err
			}
			res.Collections++
		}
		return nil
	}, snapshot...)
	if err != nil {
		return res, wrap(err, "export")
	}
	return res, wrap(bw.Flush(), "export")
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
