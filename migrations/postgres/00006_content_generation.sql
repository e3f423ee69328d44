-- +goose Up
-- The content generation: a number that every transaction changing what public responses show
-- raises (items, their tags, types, tags, collections, an author's name). A process keeps
-- rendered public responses while it is unchanged; watching it is how a process learns of
-- writes made by another one (an import, a second server on the same database).
CREATE TABLE content_state (
    id         integer PRIMARY KEY CHECK (id = 1),
    generation bigint NOT NULL
);
INSERT INTO content_state (id, generation) VALUES (1, 1);

-- PostgreSQL can tell the other processes instead of letting them poll: each raise is
-- announced on the channel folio_content, with the new generation, when its transaction
-- commits. Channels are per database, not per schema.
-- +goose StatementBegin
CREATE FUNCTION content_state_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('folio_content', NEW.generation::text);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER content_state_notify AFTER UPDATE ON content_state
    FOR EACH ROW EXECUTE FUNCTION content_state_notify();

-- +goose Down
DROP TRIGGER content_state_notify ON content_state;
DROP FUNCTION content_state_notify();
DROP TABLE content_state;
