-- +goose Up
-- A tag's items in publication order. A public list filtered by a tag walked the published-items
-- index and looked up each item's tags until it had a page: cheap for a common tag, but for a
-- rare one (or two tags that seldom meet) it read much of the site to fill a page. With the
-- item's published_at beside each of its tags, a tag's items come in order from one index.
--
-- The copy is kept by triggers, so every writer keeps it (the API, an import, a migration).
ALTER TABLE item_tags ADD COLUMN published_at timestamptz;
UPDATE item_tags SET published_at = (SELECT i.published_at FROM items i WHERE i.id = item_tags.item_id);
CREATE INDEX item_tags_published ON item_tags (tag, published_at DESC, item_id DESC) WHERE published_at IS NOT NULL;

-- The functions name tables unqualified: they keep the search_path of this migration, so that
-- a writer whose search_path differs still finds this schema's tables.
--
-- BEFORE rather than SQLite's AFTER with an UPDATE: the row is written once, with its copy.
-- +goose StatementBegin
CREATE FUNCTION item_tags_published_insert() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    NEW.published_at := (SELECT i.published_at FROM items i WHERE i.id = NEW.item_id);
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER item_tags_published_insert BEFORE INSERT ON item_tags
    FOR EACH ROW WHEN (NEW.published_at IS NULL) -- an import writes it itself
    EXECUTE FUNCTION item_tags_published_insert();

-- +goose StatementBegin
CREATE FUNCTION item_tags_published_update() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE item_tags SET published_at = NEW.published_at WHERE item_id = NEW.id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER item_tags_published_update AFTER UPDATE OF published_at ON items
    FOR EACH ROW WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at)
    EXECUTE FUNCTION item_tags_published_update();

-- +goose Down
DROP TRIGGER item_tags_published_update ON items;
DROP FUNCTION item_tags_published_update();
DROP TRIGGER item_tags_published_insert ON item_tags;
DROP FUNCTION item_tags_published_insert();
DROP INDEX item_tags_published;
ALTER TABLE item_tags DROP COLUMN published_at;
