-- +goose Up
-- settings holds instance-wide values that every process serving this database must agree on,
-- such as a signing key generated on first start. One row per key; values are opaque text.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE settings;
