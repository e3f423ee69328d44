// Package dbcopy copies a whole Folio database into an empty one, between SQLite and
// PostgreSQL in either direction (or between two of the same kind), and proves the copy equal
// to its source before committing it.
package dbcopy

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"

	"github.com/foliocms/folio/internal/content"
	"github.com/foliocms/folio/internal/database"
)

// table is a table that a copy carries, with the columns that order its rows.
type table struct {
	name string
	key  []string
	// seeded tables get rows from the migrations (or, for settings, from the first start):
	// they are not what makes a database non-empty, and the source's rows replace them.
	seeded bool
}

// tables are every table of the schema but the derived ones (the search index) and goose's,
// in an order where each row's references are copied before it.
var tables = []table{
	{name: "settings", key: []string{"key"}, seeded: true},
	{name: "content_state", key: []string{"id"}, seeded: true},
	{name: "types", key: []string{"key"}, seeded: true},
	{name: "users", key: []string{"id"}},
	{name: "tags", key: []string{"slug"}},
	{name: "items", key: []string{"seq"}},
	{name: "item_tags", key: []string{"item_id", "tag"}},
	{name: "revisions", key: []string{"item_id", "version"}},
	{name: "collections", key: []string{"key"}},
	{name: "sessions", key: []string{"id"}},
	{name: "refresh_tokens", key: []string{"hash"}},
	{name: "login_failures", key: []string{"id"}},
}

// identities are the PostgreSQL identity columns whose values a copy keeps: their sequences
// must then start after the largest, or the next insert would collide with a copied row.
var identities = [][2]string{{"items", "seq"}, {"login_failures", "id"}}

// Table is what a copy says about one table.
type Table struct {
	Name     string
	Rows     int64
	Checksum string        // SHA-256, hex, over the rows in key order (see checksum)
	Elapsed  time.Duration // copying it
}

// Options are a copy's settings.
type Options struct {
	// Copied, when set, is called after each table has been copied into the destination.
	Copied func(Table)
}

// NotEmptyError is a destination that has rows that migrations do not put there.
type NotEmptyError struct {
	Rows map[string]int64 // by table, the tables that have rows
}

func (e *NotEmptyError) Error() string {
	users, items := e.Rows["users"], e.Rows["items"]
	if users > 0 || items > 0 {
		return fmt.Sprintf("the destination already has %d users and %d items; migrate-data copies into an empty database", users, items)
	}
	var parts []string
	for _, t := range tables {
		if n := e.Rows[t.name]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d rows in %s", n, t.name))
		}
	}
	return "the destination already has " + strings.Join(parts, ", ") + "; migrate-data copies into an empty database"
}

// MismatchError is a table whose copy differs from its source.
type MismatchError struct {
	Source, Destination Table
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("verify %s: the source has %d rows (checksum %s), the destination %d (checksum %s); nothing was copied",
		e.Source.Name, e.Source.Rows, short(e.Source.Checksum), e.Destination.Rows, short(e.Destination.Checksum))
}

// Short returns the first 16 hex digits of a checksum, enough to tell two apart by eye.
func short(sum string) string { return sum[:min(16, len(sum))] }

// Copy copies every row of src into dst and returns each table's rows and checksum.
//
// Both databases are first migrated to the latest schema. dst must be empty: it may have only
// the rows that migrations put there, which the source's replace. src is read in one read
// transaction, one snapshot, so a server may keep running on it; dst is written in one write
// transaction, which commits only when every table has the source's number of rows and
// checksum, read back from dst. The search index is not copied but rebuilt from the copied
// items, in dst's own form.
func Copy(ctx context.Context, src, dst *gorm.DB, opts Options) ([]Table, error) {
	if err := sameSchema(ctx, src, dst); err != nil {
		return nil, err
	}
	var snapshot []*sql.TxOptions
	if database.IsPostgres(src) {
		snapshot = append(snapshot, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	var out []Table
	err := src.WithContext(ctx).Clauses(dbresolver.Read).Transaction(func(stx *gorm.DB) error {
		return database.Write(ctx, dst, func(dtx *gorm.DB) error {
			var err error
			out, err = copyAll(ctx, stx, dtx, opts)
			return err
		})
	}, snapshot...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sameSchema migrates both databases and checks that they ended at the same version: a
// database migrated by a newer Folio has tables or columns this one does not know.
func sameSchema(ctx context.Context, src, dst *gorm.DB) error {
	versions := [2]int64{}
	for i, db := range []*gorm.DB{src, dst} {
		which := [2]string{"source", "destination"}[i]
		if _, err := database.Migrate(ctx, db); err != nil {
			return fmt.Errorf("migrate the %s: %w", which, err)
		}
		p, err := database.Migrations(db)
		if err != nil {
			return err
		}
		current, target, err := p.GetVersions(ctx)
		if err != nil {
			return fmt.Errorf("schema version of the %s: %w", which, err)
		}
		if current != target {
			return fmt.Errorf("the %s is at schema version %d and this folio knows up to %d; use the folio that migrated it", which, current, target)
		}
		versions[i] = current
	}
	if versions[0] != versions[1] {
		return fmt.Errorf("the source is at schema version %d, the destination at %d", versions[0], versions[1])
	}
	return nil
}

func copyAll(ctx context.Context, stx, dtx *gorm.DB, opts Options) ([]Table, error) {
	src, dst := stx.Statement.ConnPool, dtx.Statement.ConnPool
	srcPG, dstPG := database.IsPostgres(stx), database.IsPostgres(dtx)
	if err := requireEmpty(ctx, dst); err != nil {
		return nil, err
	}
	var sums []Table
	cols := map[string][]column{}
	for _, t := range tables {
		c, err := columns(ctx, src, srcPG, dst, dstPG, t.name)
		if err != nil {
			return nil, err
		}
		cols[t.name] = c
		if t.seeded {
			if _, err := dst.ExecContext(ctx, "DELETE FROM "+t.name); err != nil {
				return nil, fmt.Errorf("clear %s: %w", t.name, err)
			}
		}
		start := time.Now()
		sum, err := copyTable(ctx, src, dst, dstPG, t, c)
		if err != nil {
			return nil, err
		}
		sum.Elapsed = time.Since(start)
		if opts.Copied != nil {
			opts.Copied(sum)
		}
		sums = append(sums, sum)
	}
	if dstPG {
		for _, id := range identities {
			q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 0) + 1, false) FROM %s", id[0], id[1], id[1], id[0])
			if _, err := dst.ExecContext(ctx, q); err != nil {
				return nil, fmt.Errorf("restart the sequence of %s.%s: %w", id[0], id[1], err)
			}
		}
	}
	if err := content.RebuildSearchIndex(ctx, dtx); err != nil {
		return nil, err
	}
	for i, t := range tables {
		got, err := eachRow(ctx, dst, t, cols[t.name], nil)
		if err != nil {
			return nil, fmt.Errorf("verify %s: %w", t.name, err)
		}
		if got.Rows != sums[i].Rows || got.Checksum != sums[i].Checksum {
			return nil, &MismatchError{Source: sums[i], Destination: got}
		}
	}
	return sums, nil
}

// requireEmpty fails with a NotEmptyError when a table that migrations leave empty has rows.
func requireEmpty(ctx context.Context, db gorm.ConnPool) error {
	rows := map[string]int64{}
	for _, t := range tables {
		if t.seeded {
			continue
		}
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+t.name).Scan(&n); err != nil {
			return fmt.Errorf("count %s: %w", t.name, err)
		}
		if n > 0 {
			rows[t.name] = n
		}
	}
	if len(rows) > 0 {
		return &NotEmptyError{Rows: rows}
	}
	return nil
}

// copyTable copies a table's rows in key order, a batch per statement, and returns their
// count and checksum as read from the source.
func copyTable(ctx context.Context, src, dst gorm.ConnPool, dstPG bool, t table, cols []column) (Table, error) {
	names := columnList(cols)
	// Statements stay well below SQLite's 32,766 parameters and PostgreSQL's 65,535.
	perBatch := max(1, 8000/len(cols))
	batch := make([]any, 0, perBatch*len(cols))
	insert := func() error {
		var b strings.Builder
		b.WriteString("INSERT INTO " + t.name + " (" + names + ") VALUES ")
		for i := range batch {
			switch {
			case i == 0:
				b.WriteByte('(')
			case i%len(cols) == 0:
				b.WriteString("), (")
			default:
				b.WriteString(", ")
			}
			if dstPG {
				b.WriteString("$" + strconv.Itoa(i+1))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
		if _, err := dst.ExecContext(ctx, b.String(), batch...); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		batch = batch[:0]
		return nil
	}
	sum, err := eachRow(ctx, src, t, cols, func(values []any) error {
		batch = append(batch, values...)
		if len(batch) == cap(batch) {
			return insert()
		}
		return nil
	})
	if err != nil {
		return Table{}, fmt.Errorf("copy %s: %w", t.name, err)
	}
	if len(batch) > 0 {
		if err := insert(); err != nil {
			return Table{}, fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	return sum, nil
}

// eachRow reads a table's rows in key order, gives each one's values, normalized, to fn, and
// returns their count and checksum: a SHA-256 over every value (see writeValue), so that the
// same rows give the same checksum on SQLite and on PostgreSQL.
func eachRow(ctx context.Context, db gorm.ConnPool, t table, cols []column, fn func([]any) error) (Table, error) {
	rows, err := db.QueryContext(ctx, "SELECT "+columnList(cols)+" FROM "+t.name+" ORDER BY "+orderBy(t))
	if err != nil {
		return Table{}, err
	}
	defer rows.Close()
	h := sha256.New()
	var n int64
	raw := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	values := make([]any, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return Table{}, err
		}
		for i, c := range cols {
			v, err := normalize(c.kind, raw[i])
			if err != nil {
				return Table{}, fmt.Errorf("%s: %w", c.name, err)
			}
			writeValue(h, v)
			values[i] = v
		}
		if fn != nil {
			if err := fn(values); err != nil {
				return Table{}, err
			}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return Table{}, err
	}
	return Table{Name: t.name, Rows: n, Checksum: hex.EncodeToString(h.Sum(nil))}, nil
}

func columnList(cols []column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quote(c.name)
	}
	return strings.Join(names, ", ")
}

func orderBy(t table) string {
	keys := make([]string, len(t.key))
	for i, k := range t.key {
		keys[i] = quote(k)
	}
	return strings.Join(keys, ", ")
}

// quote makes a column name an identifier on both databases ("group", "key").
func quote(name string) string { return `"` + name + `"` }

// kind is what a column holds, whatever each database calls it.
type kind int

const (
	kindText kind = iota
	kindInteger
	kindBoolean
	kindTime
)

type column struct {
	name string
	kind kind
}

// columns returns a table's columns in the destination's order, each with the kind that both
// ends agree on: PostgreSQL's boolean is SQLite's INTEGER 0 or 1, and its timestamptz is
// SQLite's DATETIME, which SQLite keeps as text.
func columns(ctx context.Context, src gorm.ConnPool, srcPG bool, dst gorm.ConnPool, dstPG bool, tbl string) ([]column, error) {
	s, err := columnKinds(ctx, src, srcPG, tbl)
	if err != nil {
		return nil, fmt.Errorf("columns of %s in the source: %w", tbl, err)
	}
	d, err := columnKinds(ctx, dst, dstPG, tbl)
	if err != nil {
		return nil, fmt.Errorf("columns of %s in the destination: %w", tbl, err)
	}
	if len(s) != len(d) {
		return nil, fmt.Errorf("%s has %d columns in the source and %d in the destination", tbl, len(s), len(d))
	}
	byName := map[string]kind{}
	for _, c := range s {
		byName[c.name] = c.kind
	}
	for i, c := range d {
		sk, ok := byName[c.name]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s.%s is in the destination but not in the source", tbl, c.name)
		case sk == c.kind:
		case sk == kindBoolean && c.kind == kindInteger, sk == kindInteger && c.kind == kindBoolean:
			d[i].kind = kindBoolean
		case sk == kindTime && c.kind == kindText, sk == kindText && c.kind == kindTime:
			d[i].kind = kindTime
		default:
			return nil, fmt.Errorf("%s.%s holds different kinds of values in the source and the destination", tbl, c.name)
		}
	}
	return d, nil
}

// columnKinds reads a table's columns from the database's catalog, in their order.
func columnKinds(ctx context.Context, db gorm.ConnPool, pg bool, tbl string) ([]column, error) {
	q := "SELECT name, type FROM pragma_table_info(?) ORDER BY cid"
	if pg {
		q = "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
	}
	rows, err := db.QueryContext(ctx, q, tbl)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []column
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		k, ok := kinds[strings.ToLower(typ)]
		if !ok {
			return nil, fmt.Errorf("column %s has type %s, which a copy does not know", name, typ)
		}
		out = append(out, column{name: name, kind: k})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no such table")
	}
	return out, nil
}

// kinds are the column types of both schemas: SQLite's declared types, PostgreSQL's data_type.
var kinds = map[string]kind{
	"text":                     kindText,
	"integer":                  kindInteger,
	"bigint":                   kindInteger,
	"boolean":                  kindBoolean,
	"datetime":                 kindTime,
	"timestamp with time zone": kindTime,
}

// normalize turns a value as a driver scanned it into one Go value per kind, which both
// drivers write and which the checksum reads alike: string, int64, bool, time.Time in UTC, or
// nil for NULL.
func normalize(k kind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch k {
	case kindText:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case kindInteger:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case kindBoolean:
		switch b := v.(type) {
		case bool:
			return b, nil
		case int64:
			if b == 0 || b == 1 {
				return b == 1, nil
			}
		}
	case kindTime:
		switch t := v.(type) {
		case time.Time:
			return t.UTC(), nil
		case string:
			// The SQLite driver gives a DATETIME column's text as a time only when it parses.
			for _, f := range sqlite3.SQLiteTimestampFormats {
				if p, err := time.Parse(f, strings.TrimSuffix(t, "Z")); err == nil {
					return p.UTC(), nil
				}
			}
		}
	}
	return nil, fmt.Errorf("unexpected value %v (%T)", v, v)
}

// timeFormat is how the checksum writes a time: UTC, to the microsecond that both databases
// keep.
const timeFormat = "2006-01-02T15:04:05.000000Z07:00"

// writeValue writes a normalized value to the checksum, tagged with its kind and, for text,
// its length, so that NULL and "" differ and no two rows run together.
func writeValue(h hash.Hash, v any) {
	switch v := v.(type) {
	case nil:
		h.Write([]byte("N;"))
	case string:
		h.Write([]byte("S" + strconv.Itoa(len(v)) + ":" + v))
	case int64:
		h.Write([]byte("I" + strconv.FormatInt(v, 10) + ";"))
	case bool:
		h.Write([]byte("B" + strconv.FormatBool(v) + ";"))
	case time.Time:
		h.Write([]byte("T" + v.UTC().Format(timeFormat) + ";"))
	}
}
