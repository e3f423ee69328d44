-- +goose Up
-- Content: types (the four built-in ones; defining their fields and adding more comes later),
-- tags, items, their tags, and one revision per saved version of an item.

CREATE TABLE types (
    key         TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    fields      TEXT NOT NULL DEFAULT '[]',                -- JSON: the field definitions
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
INSERT INTO types (key, name, description, created_at, updated_at) VALUES
    ('article',   'Article',   'A longer piece: analysis, policy, background.', datetime('now'), datetime('now')),
    ('news',      'News',      'A short report of something that happened.',   datetime('now'), datetime('now')),
    ('event',     'Event',     'Something that takes place at a given time.',   datetime('now'), datetime('now')),
    ('interview', 'Interview', 'A conversation with one person.',               datetime('now'), datetime('now'));

CREATE TABLE tags (
    slug       TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    "group"    TEXT,                                       -- free text: topic, region, country, series
    version    INTEGER NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

-- seq is the internal row id (stable, for indexes that refer to rows); id is the public UUIDv7.
CREATE TABLE items (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL REFERENCES types (key),
    slug         TEXT NOT NULL,
    title        TEXT NOT NULL,
    summary      TEXT,
    body         TEXT NOT NULL DEFAULT '',
    body_html    TEXT NOT NULL DEFAULT '',
    fields       TEXT NOT NULL DEFAULT '{}',               -- JSON object
    status       TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    published_at DATETIME,
    unpublish_at DATETIME,
    author_id    TEXT NOT NULL REFERENCES users (id),      -- no cascade: a user with content is not deleted
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    deleted_at   DATETIME,                                 -- in the trash
    CHECK (status = 'draft' OR published_at IS NOT NULL),
    UNIQUE (type, slug)                                    -- trashed items keep their slugs
);
-- The public list paths: newest first, by visibility, optionally by type. Partial, so they hold
-- only what public lists can show; the id is the tiebreak of keyset paging; unpublish_at lets a
-- count of public items read the index alone.
CREATE INDEX items_published ON items (published_at DESC, id DESC, unpublish_at) WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX items_type_published ON items (type, published_at DESC, id DESC, unpublish_at) WHERE status = 'published' AND deleted_at IS NULL;
-- When public answers next change by the clock: the next unpublication.
CREATE INDEX items_unpublish ON items (unpublish_at) WHERE unpublish_at IS NOT NULL AND status = 'published' AND deleted_at IS NULL;
-- Editors' lists and an author's own items: lists that hold drafts sort them, which have no
-- published_at, by their creation time.
CREATE INDEX items_updated ON items (updated_at DESC, id DESC);
CREATE INDEX items_recent ON items (COALESCE(published_at, created_at) DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX items_author ON items (author_id, updated_at DESC);

CREATE TABLE item_tags (
    item_id  TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL REFERENCES tags (slug) ON UPDATE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (item_id, tag)
);
CREATE INDEX item_tags_tag ON item_tags (tag, item_id);

CREATE TABLE revisions (
    item_id    TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    snapshot   TEXT NOT NULL,                              -- JSON: the item as saved
    author_id  TEXT NOT NULL REFERENCES users (id),       -- who saved it
    created_at DATETIME NOT NULL,
    PRIMARY KEY (item_id, version)
);
-- Deleting a user checks that no revision names them.
CREATE INDEX revisions_author_id ON revisions (author_id);

-- +goose Down
DROP TABLE revisions;
DROP TABLE item_tags;
DROP TABLE items;
DROP TABLE tags;
DROP TABLE types;
