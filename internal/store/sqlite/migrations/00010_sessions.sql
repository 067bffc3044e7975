-- Sessions of the web pages. Keep in step with the other dialect's file of
-- the same name (TestMigrationsMatch).

-- +goose Up
-- hash is the SHA-256 of the cookie's secret: the secret itself is never
-- stored. expires_at bounds a session; seen_at serves the idle timeout.
CREATE TABLE sessions (
    hash       TEXT NOT NULL PRIMARY KEY,
    subject    TEXT NOT NULL,
    method     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    seen_at    TIMESTAMP NOT NULL,
    remote     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- +goose Down
DROP TABLE sessions;
