-- +goose Up
-- The built-in types' fields, the rendered HTML of items' Markdown fields, and collections.

UPDATE types SET fields = '[{"name":"series","kind":"text","max_length":100,"description":"A series the item belongs to, such as ILO COOP 100"},{"name":"source_url","kind":"url","description":"Where the item was first published"}]'
 WHERE key IN ('article', 'news');
UPDATE types SET fields = '[{"name":"starts_at","kind":"datetime","description":"When it starts"},{"name":"ends_at","kind":"datetime","description":"When it ends"},{"name":"location","kind":"text","max_length":200,"description":"Where it takes place"},{"name":"online","kind":"boolean","description":"Whether it takes place online"},{"name":"registration_url","kind":"url","description":"Where to register"},{"name":"series","kind":"text","max_length":100,"description":"A series the item belongs to, such as ILO COOP 100"},{"name":"source_url","kind":"url","description":"Where the item was first published"}]'
 WHERE key = 'event';
UPDATE types SET fields = '[{"name":"interviewee","kind":"text","max_length":200,"description":"Who is interviewed"},{"name":"interviewee_role","kind":"text","max_length":200,"description":"Their role or organisation"},{"name":"series","kind":"text","max_length":100,"description":"A series the item belongs to, such as ILO COOP 100"},{"name":"source_url","kind":"url","description":"Where the item was first published"}]'
 WHERE key = 'interview';

-- The sanitized HTML of each markdown field, by field name (JSON object).
ALTER TABLE items ADD COLUMN fields_html text NOT NULL DEFAULT '{}';

-- A collection is a curated listing page: its pinned items (in order, public ones only), then
-- every other public item that matches its filter, in its sort order.
CREATE TABLE collections (
    key         text COLLATE "C" PRIMARY KEY,
    title       text NOT NULL,
    description text NOT NULL DEFAULT '',
    filter      text NOT NULL DEFAULT '{}',               -- JSON: {types, tags, tags_any}
    pinned      text NOT NULL DEFAULT '[]',               -- JSON: item ids, in order
    sort        text NOT NULL DEFAULT '-published_at',
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE collections;
ALTER TABLE items DROP COLUMN fields_html;
UPDATE types SET fields = '[]' WHERE key IN ('article', 'news', 'event', 'interview');
