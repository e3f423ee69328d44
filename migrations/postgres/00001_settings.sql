-- +goose Up
-- settings holds instance-wide values that every process serving this database must agree on,
-- such as a signing key generated on first start. One row per key; values are opaque text.
--
-- Text keys and ids throughout this schema are COLLATE "C": Folio compares and sorts them as
-- bytes (keyset cursors, slug ranges), as SQLite does, whatever the database's locale.
CREATE TABLE settings (
    key        text COLLATE "C" PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE settings;
