package changes_test

import (
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/foliocms/folio/internal/changes"
	"github.com/foliocms/folio/internal/database"
	"github.com/foliocms/folio/internal/database/dbtest"
)

// TestGeneration: two processes on one database. A write by one raises its generation at once
// (once) and the other's when its watch next looks; a failed transaction raises nothing.
func TestGeneration(t *testing.T) {
	db := openMigrated(t, dbtest.Location(t))
	here, err := changes.New(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	there, err := changes.New(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	go here.Watch(t.Context(), time.Millisecond, logger)
	go there.Watch(t.Context(), time.Millisecond, logger)

	write := func(fail bool) {
		t.Helper()
		var n int64
		err := db.Transaction(func(tx *gorm.DB) error {
			var err error
			if n, err = changes.Record(tx); err != nil {
				return err
			}
			if fail {
				return gorm.ErrInvalidData
			}
			return nil
		})
		if err == nil {
			here.Committed(n)
		}
	}
	h0, t0 := here.Current(), there.Current()
	write(false)
	if got := here.Current(); got != h0+1 {
		t.Fatalf("here after its write = %d, want %d", got, h0+1)
	}
	waitFor(t, func() bool { return there.Current() == t0+1 })
	time.Sleep(20 * time.Millisecond) // many polls of here's own watch
	if got := here.Current(); got != h0+1 {
		t.Errorf("here after watching its own write = %d, want %d (told twice)", got, h0+1)
	}

	write(true)
	time.Sleep(20 * time.Millisecond)
	if here.Current() != h0+1 || there.Current() != t0+1 {
		t.Errorf("after a rolled back write: here %d, there %d; want %d, %d", here.Current(), there.Current(), h0+1, t0+1)
	}
}

// TestGenerationWhenTheDatabaseGoesBack: a database replaced under a running process (a backup
// restored) holds a lower generation than the process has seen. The watch takes it as a change,
// to a value the process never had, and the process's own writes count again from there.
func TestGenerationWhenTheDatabaseGoesBack(t *testing.T) {
	db := openMigrated(t, dbtest.Location(t))
	g, err := changes.New(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	write := func() {
		t.Helper()
		var n int64
		if err := db.Transaction(func(tx *gorm.DB) (err error) { n, err = changes.Record(tx); return err }); err != nil {
			t.Fatal(err)
		}
		g.Committed(n)
	}
	had := map[uint64]bool{g.Current(): true}
	for range 3 {
		write()
		had[g.Current()] = true
	}
	go g.Watch(t.Context(), time.Millisecond, slog.New(slog.DiscardHandler))
	before := g.Current()
	if err := db.Exec("UPDATE content_state SET generation = 1").Error; err != nil { // the restored copy's
		t.Fatal(err)
	}
	waitFor(t, func() bool { return g.Current() != before })
	if had[g.Current()] {
		t.Fatalf("after the database went back, the generation is %d again", g.Current())
	}
	time.Sleep(20 * time.Millisecond) // many looks, which find nothing new
	back := g.Current()
	if back == before || had[back] {
		t.Fatalf("generation %d after the database went back, had %v", back, had)
	}
	write()
	if g.Current() == back || had[g.Current()] {
		t.Errorf("a write after the database went back left the generation %d (before it %d, had %v)", g.Current(), back, had)
	}
}

// openMigrated opens the database at path (a file or a postgres:// URL), migrated.
func openMigrated(t *testing.T, path string) *gorm.DB {
	t.Helper()
	db, err := database.Open(t.Context(), database.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { database.Close(db) })
	if _, err := database.Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWatchIsNotifiedOnPostgres: with a poll that would take an hour, another process's write is
// seen here through PostgreSQL's notification, within milliseconds, and a write in another
// schema of the same database (another Folio) does not count as a change here.
func TestWatchIsNotifiedOnPostgres(t *testing.T) {
	url := dbtest.PostgresURL(t)
	here, there, elsewhere := openMigrated(t, url), openMigrated(t, url), openMigrated(t, dbtest.PostgresURL(t))
	gen, err := changes.New(t.Context(), here)
	if err != nil {
		t.Fatal(err)
	}
	go gen.Watch(t.Context(), time.Hour, slog.New(slog.DiscardHandler))
	time.Sleep(200 * time.Millisecond) // the listener's first look, which raises nothing
	raise := func(db *gorm.DB) {
		t.Helper()
		if err := database.Write(t.Context(), db, func(tx *gorm.DB) error { _, err := changes.Record(tx); return err }); err != nil {
			t.Fatal(err)
		}
	}
	before := gen.Current()
	raise(elsewhere)
	time.Sleep(100 * time.Millisecond)
	if gen.Current() != before {
		t.Fatal("a write in another schema raised this one's generation")
	}
	start := time.Now()
	raise(there)
	for gen.Current() == before {
		if time.Since(start) > 5*time.Second {
			t.Fatal("another process's write was not noticed within 5 s (the poll was an hour)")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("noticed another process's write %v after its commit", time.Since(start).Round(100*time.Microsecond))
}
