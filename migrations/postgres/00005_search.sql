-- +goose Up
-- Full-text search over items: title, summary, the body as text, and the names of the item's
-- tags, kept up to date by the application in the transaction of every write. SQLite's FTS5
-- table becomes a tsvector per item, keyed by items.seq, which never changes; the columns
-- become weights (title A, summary B, tags C, body D) so that ranking can favour the title.

-- unaccent folds accents, so that "coopératives" finds "cooperatives". The extension belongs
-- to the database, not to this schema: it goes in public, where every schema can name it, and
-- Down leaves it to others that may use it.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;

-- Like FTS5's unicode61 (but not the default parser, which keeps e-mail addresses, URLs, "3.5"
-- and "co-operative" whole), every run of characters that are neither letters nor digits
-- separates words. The ICU collation makes [:alnum:] Unicode-aware whatever the argument's
-- collation or the database's locale (under "C" it is ASCII only, and "Kōbe" would split). It
-- differs from FTS5 only on numbers that are not decimal digits ("²", "½") and private-use
-- characters, which FTS5 keeps in words. The application and the backfill below build
-- documents and queries through it, so that they split alike.
CREATE FUNCTION folio_search_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN regexp_replace(COALESCE(t, '') COLLATE "und-x-icu", '[^[:alnum:]]+', ' ', 'g');

-- simple lower-cases and keeps every word (no stemming, no stop words, as FTS5 here); unaccent
-- first folds the words that have letters outside ASCII.
CREATE TEXT SEARCH CONFIGURATION folio (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION folio
    ALTER MAPPING FOR word, numword, hword, hword_part, numhword, hword_numpart WITH public.unaccent, simple;

CREATE TABLE items_search (
    seq bigint PRIMARY KEY REFERENCES items (seq) ON DELETE CASCADE,
    doc tsvector NOT NULL
);
CREATE INDEX items_search_doc ON items_search USING gin (doc);

-- The items there already.
INSERT INTO items_search (seq, doc)
SELECT i.seq,
       setweight(to_tsvector('folio', folio_search_text(i.title)), 'A') ||
       setweight(to_tsvector('folio', folio_search_text(i.summary)), 'B') ||
       setweight(to_tsvector('folio', folio_search_text(
           (SELECT string_agg(t.name, ' ' ORDER BY x.position) FROM item_tags x JOIN tags t ON t.slug = x.tag WHERE x.item_id = i.id))), 'C') ||
       setweight(to_tsvector('folio', folio_search_text(i.body)), 'D')
  FROM items i;

-- +goose Down
DROP TABLE items_search;
DROP TEXT SEARCH CONFIGURATION folio;
DROP FUNCTION folio_search_text(text);
