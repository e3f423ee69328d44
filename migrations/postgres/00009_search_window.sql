-- +goose Up
-- The public items by their seq, with what a search's filters ask of them, as on SQLite
-- (migrations/sqlite/00009): there searches name it; here the planner may choose it for an
-- index-only scan of the matches, and the schema versions of the two stay one.
CREATE INDEX items_listed_seq ON items (seq) INCLUDE (published_at, unpublish_at, type, id, author_id)
    WHERE status = 'published' AND deleted_at IS NULL;

-- +goose Down
DROP INDEX items_listed_seq;
