-- +goose Up
-- FTS5 merges its index's segments a little on every write, once a level holds 'automerge'
-- segments; at 8 rather than its default of 4, an entry is merged through two thirds as many
-- levels. A write to the index then costs a third less, and a search reads more segments.
-- Measured on a copy of make bench's database of 20,000 items, 4,000 items indexed one a
-- transaction: 0.81-0.83 ms an item at 4 against 0.53 at 8; a search's ranked window 1.50 ms
-- against 1.57-1.69 ms, a three-letter prefix's 0.45-0.46 ms against 0.49. Over HTTP, scenario
-- (d) on copies of that database after 4,000 creates at each setting: the same within noise
-- (250-309 searches/s against 244-301). Scenario (e), creates over HTTP: 442-469 items/s against
-- 547-608, in three alternating pairs. An import and a rebuild of the index set it again when
-- they end (internal/content/dialect.go, bulkLoadEnd).
INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 8);

-- +goose Down
INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 4);
