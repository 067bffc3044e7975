-- Campaigns: specs with every version, targets with their transitions and
-- daily counts (the burndown), and change requests. Keep in step with the
-- other dialect's file of the same name (TestMigrationsMatch).

-- +goose Up
-- campaigns holds the version in force as a JSON document of
-- paved.Campaign; campaign_versions every applied spec as written.
CREATE TABLE campaigns (
    id            TEXT NOT NULL PRIMARY KEY,
    version       INTEGER NOT NULL,
    recipe_hash   TEXT NOT NULL,
    document      TEXT NOT NULL,
    paused        BOOLEAN NOT NULL DEFAULT FALSE,
    paused_reason TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    updated_by    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE campaign_versions (
    campaign_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    recipe_hash TEXT NOT NULL,
    spec        TEXT NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL,
    applied_by  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (campaign_id, version)
);

-- campaign_targets: one row per service a campaign applies to, in one
-- state; change_id is its current change request.
CREATE TABLE campaign_targets (
    campaign_id  TEXT NOT NULL,
    service      TEXT NOT NULL,
    owner        TEXT NOT NULL DEFAULT '',
    tier         INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL DEFAULT 0,
    attempts     INTEGER NOT NULL DEFAULT 0,
    change_id    BIGINT,
    waived_until TIMESTAMPTZ,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, service)
);
CREATE INDEX campaign_targets_state ON campaign_targets (campaign_id, state);

CREATE TABLE campaign_target_events (
    id          BIGSERIAL PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    service     TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX campaign_target_events_target ON campaign_target_events (campaign_id, service, id);

-- campaign_daily: counts per state at the end of each day a target moved.
CREATE TABLE campaign_daily (
    campaign_id TEXT NOT NULL,
    day         TEXT NOT NULL,
    state       TEXT NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, day, state)
);

-- change_requests: key makes one per target and recipe version (or per
-- reverted change), which is what keeps retries from opening duplicates.
-- document holds the confidence and diff stat; evidence what it was
-- computed from.
CREATE TABLE change_requests (
    id           BIGSERIAL PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    campaign_id  TEXT NOT NULL,
    service      TEXT NOT NULL,
    version      INTEGER NOT NULL,
    recipe_hash  TEXT NOT NULL,
    state        TEXT NOT NULL,
    confidence   INTEGER NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    merged_at    TIMESTAMPTZ,
    document     TEXT NOT NULL,
    evidence     TEXT NOT NULL DEFAULT '',
    diff         TEXT NOT NULL DEFAULT '',
    log          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX change_requests_campaign ON change_requests (campaign_id, recipe_hash, state);
CREATE INDEX change_requests_service ON change_requests (service, id);

-- +goose Down
DROP TABLE change_requests;
DROP TABLE campaign_daily;
DROP TABLE campaign_target_events;
DROP TABLE campaign_targets;
DROP TABLE campaign_versions;
DROP TABLE campaigns;
