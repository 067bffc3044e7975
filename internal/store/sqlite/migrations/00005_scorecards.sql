-- Scorecards: the standards in force, each service's graded state, the
-- history of transitions and a daily level per service. Keep in step with
-- the other dialect's file of the same name (TestMigrationsMatch).
-- Documents are TEXT in both dialects: they are read and written whole,
-- never queried inside (a scorecard's is lines of text; see sqlstore).

-- +goose Up
-- standards is the one standards version in force: its checks as JSON,
-- where it came from, and when the fleet was last graded against it (so a
-- scheduled check that took effect since is noticed).
CREATE TABLE standards (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    hash         TEXT NOT NULL,
    source       TEXT NOT NULL,
    document     TEXT NOT NULL,
    loaded_at    TIMESTAMP NOT NULL,
    evaluated_at TIMESTAMP NOT NULL
);

-- scorecards holds each graded service's results, keyed by entity ref;
-- standards is the version under which they last changed.
CREATE TABLE scorecards (
    service      TEXT NOT NULL PRIMARY KEY,
    level        TEXT NOT NULL,
    standards    TEXT NOT NULL,
    document     TEXT NOT NULL,
    evaluated_at TIMESTAMP NOT NULL
) WITHOUT ROWID;

-- score_events is the history: every transition with its cause in words.
-- service is '' for events about the standards themselves.
CREATE TABLE score_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TIMESTAMP NOT NULL,
    kind       TEXT NOT NULL,
    service    TEXT NOT NULL DEFAULT '',
    check_id   TEXT NOT NULL DEFAULT '',
    from_value TEXT NOT NULL DEFAULT '',
    to_value   TEXT NOT NULL DEFAULT '',
    cause      TEXT NOT NULL
);
CREATE INDEX score_events_service ON score_events (service, id);

-- level_snapshots is each service's level per day (YYYY-MM-DD, UTC), for
-- level-over-time charts of a service, a team or any org node.
CREATE TABLE level_snapshots (
    service TEXT NOT NULL,
    day     TEXT NOT NULL,
    level   TEXT NOT NULL,
    PRIMARY KEY (service, day)
) WITHOUT ROWID;
CREATE INDEX level_snapshots_day ON level_snapshots (day, level);

-- +goose Down
DROP TABLE level_snapshots;
DROP TABLE score_events;
DROP TABLE scorecards;
DROP TABLE standards;
