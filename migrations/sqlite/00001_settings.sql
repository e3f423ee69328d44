-- +goose Up
-- settings holds instance-wide values that every process serving this database must agree on,
-- such as a signing key generated on first start. One row per key; values are opaque text.
--
-- Timestamps are DATETIME columns holding UTC times as text ("2006-01-02 15:04:05.999999999+00:00",
-- the driver's format), which sort correctly as text because they are all UTC.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at DATETIME NOT NULL
);

-- +goose Down
DROP TABLE settings;
