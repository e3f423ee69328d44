-- +goose Up
-- Accounts: users, their logins (sessions, each a family of rotating refresh tokens), and the
-- failed logins that throttling counts. Kept in the database so that restarts and every
-- process serving it agree.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,               -- UUIDv7
    email         TEXT NOT NULL UNIQUE,                    -- trimmed and lower-cased by the application
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'author')),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    password_hash TEXT NOT NULL,                           -- argon2id, PHC string with its parameters
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);

-- A session is one login. Its id is the sid claim of its access tokens, so revoking it ends
-- them at their next request as well as its refresh tokens.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,                          -- when its newest refresh token expires
    revoked_at DATETIME,
    revoked_because TEXT
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Refresh tokens are stored as SHA-256 hashes only. used_at is set when a token is rotated;
-- presenting a used token again is theft or a replay, and revokes its session.
CREATE TABLE refresh_tokens (
    hash       TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- One row per failed login, keyed by 'account:<email>' or 'address:<ip>'.
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY,
    key       TEXT NOT NULL,
    failed_at DATETIME NOT NULL
);
CREATE INDEX login_failures_key_failed_at ON login_failures (key, failed_at);
CREATE INDEX login_failures_failed_at ON login_failures (failed_at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
