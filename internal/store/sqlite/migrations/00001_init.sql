-- The initial paved schema for SQLite. Keep it in step with
-- ../../postgres/migrations/00001_init.sql: the same tables and columns, in a
-- file of the same name (TestMigrationsMatch checks both).
-- Times are TIMESTAMP so the driver reads them back as time.Time; booleans
-- are 0/1; JSON documents are TEXT.

-- +goose Up
CREATE TABLE repositories (
    name           TEXT NOT NULL PRIMARY KEY,
    path           TEXT NOT NULL DEFAULT '',
    source         TEXT NOT NULL DEFAULT '',
    head           TEXT NOT NULL DEFAULT '',
    default_branch TEXT NOT NULL DEFAULT '',
    scanned_at     TIMESTAMP NOT NULL,
    status         TEXT NOT NULL,
    error          TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX repositories_status ON repositories (status, name);

-- entities holds every declaration of an entity, keyed by the repository
-- that declares it and its ref; id is a surrogate key for entity_search.
CREATE TABLE entities (
    id              INTEGER PRIMARY KEY,
    repository      TEXT NOT NULL REFERENCES repositories (name) ON DELETE CASCADE,
    ref             TEXT NOT NULL,
    kind            TEXT NOT NULL,
    namespace       TEXT NOT NULL,
    name            TEXT NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    type            TEXT NOT NULL DEFAULT '',
    lifecycle       TEXT NOT NULL DEFAULT '',
    owner           TEXT NOT NULL DEFAULT '',
    system          TEXT NOT NULL DEFAULT '',
    tier            INTEGER NOT NULL DEFAULT -1,
    language        TEXT NOT NULL DEFAULT '',
    tags            TEXT NOT NULL DEFAULT 'null',
    labels          TEXT NOT NULL DEFAULT 'null',
    annotations     TEXT NOT NULL DEFAULT 'null',
    spec            TEXT NOT NULL DEFAULT 'null',
    field_sources   TEXT NOT NULL DEFAULT 'null',
    location_file   TEXT NOT NULL DEFAULT '',
    location_line   INTEGER NOT NULL DEFAULT 0,
    location_column INTEGER NOT NULL DEFAULT 0,
    inferred        BOOLEAN NOT NULL DEFAULT FALSE,
    -- shadowed marks a declaration that lost a duplicate-name conflict.
    -- Readers only ever see shadowed = FALSE, so the indexes they use are
    -- partial on exactly that predicate, which queries repeat literally.
    shadowed        BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (repository, ref)
);
CREATE INDEX entities_shadowed ON entities (repository, ref) WHERE shadowed = TRUE;
CREATE INDEX entities_ref ON entities (ref) WHERE shadowed = FALSE;
-- Sorting: every order ends in id, which SQLite indexes carry implicitly as
-- the rowid, so that a page is read in index order with no sort.
CREATE INDEX entities_name ON entities (name) WHERE shadowed = FALSE;
CREATE INDEX entities_kind ON entities (kind, name) WHERE shadowed = FALSE;
CREATE INDEX entities_tier ON entities (tier, name) WHERE shadowed = FALSE;
-- Filtering, counting and facets read covering indexes, never the wide
-- rows: one led by owner (which also serves the owner and org filters and
-- sorting by owner) and one led by kind. Type, lifecycle and language have
-- no index of their own: each value is common, so a page filtered by one is
-- found soonest by reading the name index in order, and an index of its own
-- would tempt the planner into a lookup per matching row.
CREATE INDEX entities_owner ON entities (owner, name, kind, type, lifecycle, language, tier) WHERE shadowed = FALSE;
CREATE INDEX entities_facets ON entities (kind, type, lifecycle, language, tier, owner) WHERE shadowed = FALSE;

-- entity_search holds each entity's name, title and description, lower-cased
-- and joined by newlines, for substring search. It is a table of its own so
-- that a search scans these few bytes per entity rather than whole rows.
CREATE TABLE entity_search (
    entity_id INTEGER NOT NULL PRIMARY KEY REFERENCES entities (id) ON DELETE CASCADE,
    search    TEXT NOT NULL
);

CREATE TABLE relations (
    source_ref TEXT NOT NULL,
    type       TEXT NOT NULL,
    target_ref TEXT NOT NULL,
    PRIMARY KEY (source_ref, type, target_ref)
) WITHOUT ROWID;

-- org_ancestors holds, for every group, each group above it: depth 1 is the
-- parent. Filtering by an org node reads it by ancestor_ref.
CREATE TABLE org_ancestors (
    group_ref    TEXT NOT NULL,
    depth        INTEGER NOT NULL,
    ancestor_ref TEXT NOT NULL,
    PRIMARY KEY (group_ref, depth)
) WITHOUT ROWID;
CREATE INDEX org_ancestors_ancestor ON org_ancestors (ancestor_ref, group_ref);

CREATE TABLE problems (
    id              INTEGER PRIMARY KEY,
    origin          TEXT NOT NULL CHECK (origin IN ('scan', 'resolve')),
    repository      TEXT NOT NULL DEFAULT '',
    entity          TEXT NOT NULL DEFAULT '',
    location_file   TEXT NOT NULL DEFAULT '',
    location_line   INTEGER NOT NULL DEFAULT 0,
    location_column INTEGER NOT NULL DEFAULT 0,
    code            TEXT NOT NULL,
    message         TEXT NOT NULL
);
-- Listing reads problems in this order; replacing a repository's scan
-- problems finds them by repository too.
CREATE INDEX problems_repository ON problems (repository, location_file, location_line);
CREATE INDEX problems_entity ON problems (entity);

-- facts holds the whole facts document collected from each repository;
-- scanned_at is the time of the scan that last changed it.
CREATE TABLE facts (
    repository TEXT NOT NULL PRIMARY KEY REFERENCES repositories (name) ON DELETE CASCADE,
    document   TEXT NOT NULL,
    scanned_at TIMESTAMP NOT NULL
);

CREATE TABLE pushed_facts (
    entity       TEXT NOT NULL,
    namespace    TEXT NOT NULL,
    value        TEXT NOT NULL,
    source       TEXT NOT NULL,
    collected_at TIMESTAMP NOT NULL,
    PRIMARY KEY (entity, namespace)
) WITHOUT ROWID;

CREATE TABLE scan_runs (
    id         INTEGER PRIMARY KEY,
    total      INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL
);

CREATE TABLE scan_run_repositories (
    run_id     INTEGER NOT NULL REFERENCES scan_runs (id) ON DELETE CASCADE,
    repository TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    PRIMARY KEY (run_id, repository)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE scan_run_repositories;
DROP TABLE scan_runs;
DROP TABLE pushed_facts;
DROP TABLE facts;
DROP TABLE problems;
DROP TABLE org_ancestors;
DROP TABLE relations;
DROP TABLE entity_search;
DROP TABLE entities;
DROP TABLE repositories;
