-- +goose Up
-- On SQLite this version changes how often FTS5 merges its index (migrations/sqlite/00010).
-- PostgreSQL's GIN index has nothing like it; the version is here so that the schema versions
-- of the two stay one, as a copy between them requires.
SELECT 1;

-- +goose Down
SELECT 1;
