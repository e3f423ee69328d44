-- +goose Up
-- The content generation: a number that every transaction changing what public responses show
-- raises (items, their tags, types, tags, collections, an author's name). A process keeps
-- rendered public responses while it is unchanged; watching it is how a process learns of
-- writes made by another one (an import, a second server on the same database).
CREATE TABLE content_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO content_state (id, generation) VALUES (1, 1);

-- +goose Down
DROP TABLE content_state;
