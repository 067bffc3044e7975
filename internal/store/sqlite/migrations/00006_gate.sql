-- The deploy gate: decisions, waivers, approvals, the audit log, and the
-- change log replicas follow. Keep in step with the other dialect's file of
-- the same name (TestMigrationsMatch).

-- +goose Up
-- Tokens of CI pipelines name the services they may act for.
ALTER TABLE tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '';

-- gate_decisions keeps every decision; its reasons and inputs are a JSON
-- document stored once per distinct content (a pipeline asking again and
-- again gets the same answer), so that it can be explained later. Ids are
-- time-ordered, so the primary key also serves "newest first".
CREATE TABLE decision_documents (
    hash     TEXT NOT NULL PRIMARY KEY,
    document TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE gate_decisions (
    id          TEXT NOT NULL PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    service     TEXT NOT NULL,
    version     TEXT NOT NULL,
    environment TEXT NOT NULL,
    allow       BOOLEAN NOT NULL,
    actor       TEXT NOT NULL,
    requester   TEXT NOT NULL,
    document    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX gate_decisions_service ON gate_decisions (service, id);

CREATE TABLE waivers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    service      TEXT NOT NULL,
    check_id     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    state        TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    decided_by   TEXT NOT NULL DEFAULT '',
    decided_at   TIMESTAMP,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX waivers_service ON waivers (service, check_id);
CREATE INDEX waivers_state ON waivers (state, expires_at);

CREATE TABLE approvals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    service      TEXT NOT NULL,
    version      TEXT NOT NULL,
    environment  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    state        TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    decided_by   TEXT NOT NULL DEFAULT '',
    decided_at   TIMESTAMP,
    valid_until  TIMESTAMP,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_deploy ON approvals (service, version, environment);
CREATE INDEX approvals_state ON approvals (state);

-- audit_log records every write: who, what, when, from where.
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TIMESTAMP NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    remote TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- changes is the log replicas follow to keep their in-memory gate state
-- current: a kind (scorecards, waiver, approval, standards) and a key.
CREATE TABLE changes (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    at   TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    key  TEXT NOT NULL
);

-- +goose Down
DROP TABLE changes;
DROP TABLE audit_log;
DROP TABLE approvals;
DROP TABLE waivers;
DROP TABLE gate_decisions;
DROP TABLE decision_documents;
ALTER TABLE tokens DROP COLUMN scopes;
