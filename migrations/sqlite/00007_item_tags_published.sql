-- +goose Up
-- A tag's items in publication order. A public list filtered by a tag walked the published-items
-- index and looked up each item's tags until it had a page: cheap for a common tag, but for a
-- rare one (or two tags that seldom meet) it read much of the site to fill a page. With the
-- item's published_at beside each of its tags, a tag's items come in order from one index.
--
-- The copy is kept by triggers, so every writer keeps it (the API, an import, a migration).
ALTER TABLE item_tags ADD COLUMN published_at DATETIME;
UPDATE item_tags SET published_at = (SELECT i.published_at FROM items i WHERE i.id = item_tags.item_id);
CREATE INDEX item_tags_published ON item_tags (tag, published_at DESC, item_id DESC) WHERE published_at IS NOT NULL;

-- +goose StatementBegin
CREATE TRIGGER item_tags_published_insert AFTER INSERT ON item_tags
WHEN NEW.published_at IS NULL -- an import writes it itself
BEGIN
    UPDATE item_tags SET published_at = (SELECT i.published_at FROM items i WHERE i.id = NEW.item_id)
     WHERE item_id = NEW.item_id AND tag = NEW.tag;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER item_tags_published_update AFTER UPDATE OF published_at ON items
WHEN OLD.published_at IS NOT NEW.published_at
BEGIN
    UPDATE item_tags SET published_at = NEW.published_at WHERE item_id = NEW.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER item_tags_published_update;
DROP TRIGGER item_tags_published_insert;
DROP INDEX item_tags_published;
ALTER TABLE item_tags DROP COLUMN published_at;
