-- +goose Up
-- The search index without its own copy of the texts. An FTS5 table keeps, beside its index, a
-- copy of every column it was given, for snippet() and highlight(), which Folio does not use:
-- snippets are cut from the page's items (content/snippet.go), and relevance (folio_bm25)
-- reads the index and the sizes of the columns, which a contentless table keeps. The copy was
-- an eighth of the database (39 of 307 MB on make bench's 20,000 items), and a third of the
-- pages that creates wrote to the search index (7% of all they wrote). contentless_delete lets
-- an entry be deleted by its rowid, as the application does when it writes an item anew.
--
-- The index is built again from the items, as an import builds it: once, at the first start
-- after the upgrade, about a fifth of a millisecond an item.
DROP TABLE items_fts_words;
DROP TABLE items_fts;
CREATE VIRTUAL TABLE items_fts USING fts5(
    title, summary, body, tags,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4',
    content = '',
    contentless_delete = 1
);
INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 0);
INSERT INTO items_fts (rowid, title, summary, body, tags)
SELECT i.seq, i.title, COALESCE(i.summary, ''), i.body,
       COALESCE((SELECT group_concat(t.name, ' ' ORDER BY x.position) FROM item_tags x JOIN tags t ON t.slug = x.tag WHERE x.item_id = i.id), '')
  FROM items i;
INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 8);
INSERT INTO items_fts (items_fts) VALUES ('optimize');
CREATE VIRTUAL TABLE items_fts_words USING fts5vocab(items_fts, row);

-- +goose Down
DROP TABLE items_fts_words;
DROP TABLE items_fts;
CREATE VIRTUAL TABLE items_fts USING fts5(
    title, summary, body, tags,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);
INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 0);
INSERT INTO items_fts (rowid, title, summary, body, tags)
SELECT i.seq, i.title, COALESCE(i.summary, ''), i.body,
       COALESCE((SELECT group_concat(t.name, ' ' ORDER BY x.position) FROM item_tags x JOIN tags t ON t.slug = x.tag WHERE x.item_id = i.id), '')
  FROM items i;
INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 8);
INSERT INTO items_fts (items_fts) VALUES ('optimize');
CREATE VIRTUAL TABLE items_fts_words USING fts5vocab(items_fts, row);
