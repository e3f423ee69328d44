-- +goose Up
-- The public items by their seq, with what a search's filters ask of them.
--
-- A search ranks the newest matches that pass its filters (content.rankedMatches, 1,000): FTS5
-- gives their seqs and each is checked against the filters. From items, that is one row of a
-- few kilobytes per match, its visibility columns stored after the body, often on an overflow
-- page: 1,000 scattered reads. From this index, it is a walk down neighbouring entries, since
-- matches come newest first (measured with sqlite3 on 100,000 items: 3-4 ms against 1 ms for
-- a common word's window). Searches read it by name (INDEXED BY, dialect.listedItems): for a
-- lookup by seq SQLite would otherwise choose the table.
CREATE INDEX items_listed_seq ON items (seq, published_at, unpublish_at, type, id, author_id, status, deleted_at)
    WHERE status = 'published' AND deleted_at IS NULL;

-- The words of the search index, one row a word with the number of items that hold it, in
-- order: a search-as-you-type's last word is looked up here (content/prefix.go), since FTS5
-- answers a prefix longer than its prefix indexes by reading every item of every word that
-- starts with it, newest match or not (20 ms for a common word in a million items).
CREATE VIRTUAL TABLE items_fts_words USING fts5vocab(items_fts, row);

-- +goose Down
DROP TABLE items_fts_words;
DROP INDEX items_listed_seq;
