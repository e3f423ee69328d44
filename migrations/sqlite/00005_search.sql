-- +goose Up
-- Full-text search over items: title, summary, the body as text, and the names of the item's
-- tags, kept up to date by the application in the transaction of every write. The rowid is
-- items.seq, which never changes. unicode61 with remove_diacritics 2 folds accents, so that
-- "coopératives" finds "cooperatives"; prefix indexes make the last term's prefix query cheap.
CREATE VIRTUAL TABLE items_fts USING fts5(
    title, summary, body, tags,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);

-- The items there already.
INSERT INTO items_fts (rowid, title, summary, body, tags)
SELECT i.seq, i.title, COALESCE(i.summary, ''), i.body,
       COALESCE((SELECT group_concat(t.name, ' ') FROM item_tags x JOIN tags t ON t.slug = x.tag WHERE x.item_id = i.id), '')
  FROM items i;

-- +goose Down
DROP TABLE items_fts;
