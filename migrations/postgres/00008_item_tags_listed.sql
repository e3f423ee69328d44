-- +goose Up
-- A list by tag tells, from item_tags alone, which of a tag's items are public and of which type.
--
-- Lists by tag read a tag's items in publication order (00007), but then read each candidate's
-- row in items to learn whether it is public (status, trash, unpublish_at) and, with a type
-- filter, its type; a tag whose items seldom pass the other filters read thousands of rows for
-- one page. With the item's type and unpublish_at beside each tag, and published_at kept there
-- only while the item is listed (published, not in the trash), the candidates are read from the
-- index and only the page's items from items.
--
-- The copies are kept by triggers, as 00007's was, so every writer keeps them.
ALTER TABLE item_tags ADD COLUMN type text COLLATE "C";
ALTER TABLE item_tags ADD COLUMN unpublish_at timestamptz;
UPDATE item_tags x SET type = i.type,
       published_at = CASE WHEN i.status = 'published' AND i.deleted_at IS NULL THEN i.published_at END,
       unpublish_at = i.unpublish_at
  FROM items i WHERE i.id = x.item_id;
DROP INDEX item_tags_published;
CREATE INDEX item_tags_published ON item_tags (tag, published_at DESC, item_id DESC) INCLUDE (type, unpublish_at) WHERE published_at IS NOT NULL;

DROP TRIGGER item_tags_published_insert ON item_tags;
DROP FUNCTION item_tags_published_insert();
DROP TRIGGER item_tags_published_update ON items;
DROP FUNCTION item_tags_published_update();

-- +goose StatementBegin
CREATE FUNCTION item_tags_listed_insert() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    SELECT i.type, CASE WHEN i.status = 'published' AND i.deleted_at IS NULL THEN i.published_at END, i.unpublish_at
      INTO NEW.type, NEW.published_at, NEW.unpublish_at
      FROM items i WHERE i.id = NEW.item_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER item_tags_listed_insert BEFORE INSERT ON item_tags
    FOR EACH ROW WHEN (NEW.type IS NULL) -- an import writes the copies itself
    EXECUTE FUNCTION item_tags_listed_insert();

-- +goose StatementBegin
CREATE FUNCTION item_tags_listed_update() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE item_tags SET published_at = CASE WHEN NEW.status = 'published' AND NEW.deleted_at IS NULL THEN NEW.published_at END,
                         unpublish_at = NEW.unpublish_at
     WHERE item_id = NEW.id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER item_tags_listed_update AFTER UPDATE OF status, published_at, unpublish_at, deleted_at ON items
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.published_at IS DISTINCT FROM NEW.published_at
                    OR OLD.unpublish_at IS DISTINCT FROM NEW.unpublish_at OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION item_tags_listed_update();

-- +goose Down
DROP TRIGGER item_tags_listed_update ON items;
DROP FUNCTION item_tags_listed_update();
DROP TRIGGER item_tags_listed_insert ON item_tags;
DROP FUNCTION item_tags_listed_insert();
DROP INDEX item_tags_published;
UPDATE item_tags x SET published_at = i.published_at FROM items i WHERE i.id = x.item_id;
ALTER TABLE item_tags DROP COLUMN unpublish_at;
ALTER TABLE item_tags DROP COLUMN type;
CREATE INDEX item_tags_published ON item_tags (tag, published_at DESC, item_id DESC) WHERE published_at IS NOT NULL;

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
