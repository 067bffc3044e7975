-- The feed: events addressed to audiences, each person's, team's and
-- service's feed with read state, subscriptions, webhooks and their
-- deliveries. Keep in step with the other dialect's file of the same name
-- (TestMigrationsMatch).

-- +goose Up
-- feed_events holds each event once; data is a JSON document of what its
-- kind adds. dedupe_key is NULL unless the event must be unique (a
-- deadline reminder); NULLs never conflict.
CREATE TABLE feed_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TIMESTAMP NOT NULL,
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    text       TEXT NOT NULL,
    link       TEXT NOT NULL DEFAULT '',
    service    TEXT NOT NULL DEFAULT '',
    team       TEXT NOT NULL DEFAULT '',
    check_id   TEXT NOT NULL DEFAULT '',
    campaign   TEXT NOT NULL DEFAULT '',
    actor      TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL DEFAULT '',
    dedupe_key TEXT
);
CREATE UNIQUE INDEX feed_events_dedupe_key ON feed_events (dedupe_key);

-- feed_items is the fan-out: one row per feed (a user, group or component
-- ref) an event lands in, with why, and when its reader read it.
CREATE TABLE feed_items (
    audience TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    reason   TEXT NOT NULL DEFAULT '',
    read_at  TIMESTAMP,
    PRIMARY KEY (audience, event_id)
) WITHOUT ROWID;
CREATE INDEX feed_items_unread ON feed_items (audience, event_id) WHERE read_at IS NULL;

CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber TEXT NOT NULL,
    kind       TEXT NOT NULL,
    target     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (subscriber, kind, target)
);
CREATE INDEX subscriptions_target ON subscriptions (kind, target);

-- webhooks keep their secret: signing each payload needs it.
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    owner      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    target     TEXT NOT NULL,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    kinds      TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (owner);

CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id  INTEGER NOT NULL,
    event_id    INTEGER NOT NULL,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_state ON webhook_deliveries (state, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE subscriptions;
DROP TABLE feed_items;
DROP TABLE feed_events;
