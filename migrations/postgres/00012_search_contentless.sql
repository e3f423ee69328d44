-- +goose Up
-- On SQLite this version drops the search index's copy of the texts (migrations/sqlite/00012).
-- PostgreSQL's index keeps none; the version is here so that the schema versions of the two
-- stay one, as a copy between them requires.
SELECT 1;

-- +goose Down
SELECT 1;
