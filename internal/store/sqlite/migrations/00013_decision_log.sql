-- Gate decisions are kept in blocks: the recorder writes one row per batch
-- (thousands of decisions a second cost a few rows), and an index from
-- service to block, in buckets, so that each batch touches only the few
-- pages of its bucket instead of a page per service. Keep in step with the
-- other dialect's file of the same name (TestMigrationsMatch).

-- +goose Up
-- A block's records are JSON lines, one decision each (id, at, service,
-- version, environment, allow, actor, requester, document: the hash of its
-- decision_documents row), compressed with zstd unless encoding says
-- 'jsonl'. first_id and last_id bound the ids in it, so that an id finds
-- its block.
CREATE TABLE decision_blocks (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    first_id TEXT NOT NULL,
    last_id  TEXT NOT NULL,
    count    INTEGER NOT NULL,
    encoding TEXT NOT NULL,
    records  BLOB NOT NULL
);
CREATE INDEX decision_blocks_first_id ON decision_blocks (first_id);
-- A bucket is named by its first block and knows its last; a recorder
-- starts a new one after some thousands of index rows. Replicas fill
-- buckets of their own at once, so finding a service's newest decisions
-- seeks it in buckets by their last block, newest first, until no bucket
-- left can hold a newer block than those found.
CREATE TABLE decision_buckets (
    id         INTEGER NOT NULL PRIMARY KEY,
    last_block INTEGER NOT NULL
);
CREATE INDEX decision_buckets_last_block ON decision_buckets (last_block);
CREATE TABLE decision_services (
    bucket  INTEGER NOT NULL,
    service TEXT NOT NULL,
    block   INTEGER NOT NULL,
    PRIMARY KEY (bucket, service, block)
) WITHOUT ROWID;

-- Decisions recorded one row each move into blocks of one, uncompressed,
-- oldest first, all in one bucket.
INSERT INTO decision_blocks (first_id, last_id, count, encoding, records)
    SELECT id, id, 1, 'jsonl', CAST(json_object('id', id, 'at', replace(at, ' ', 'T'), 'service', service, 'version', version,
        'environment', environment, 'allow', CASE WHEN allow THEN json('true') ELSE json('false') END,
        'actor', actor, 'requester', requester, 'document', document) AS BLOB)
    FROM gate_decisions ORDER BY at, id;
INSERT INTO decision_buckets (id, last_block) SELECT MIN(id), MAX(id) FROM decision_blocks HAVING COUNT(*) > 0;
INSERT INTO decision_services (bucket, service, block)
    SELECT (SELECT MIN(id) FROM decision_blocks), d.service, b.id
    FROM decision_blocks b JOIN gate_decisions d ON d.id = b.first_id;
DROP TABLE gate_decisions;

-- +goose Down
-- Only the blocks this migration made (one uncompressed decision each) go
-- back to rows: SQL cannot read a compressed block.
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
INSERT INTO gate_decisions (id, at, service, version, environment, allow, actor, requester, document)
    SELECT json_extract(r, '$.id'), replace(json_extract(r, '$.at'), 'T', ' '), json_extract(r, '$.service'), json_extract(r, '$.version'),
        json_extract(r, '$.environment'), json_extract(r, '$.allow'), json_extract(r, '$.actor'), json_extract(r, '$.requester'),
        json_extract(r, '$.document')
    FROM (SELECT CAST(records AS TEXT) AS r FROM decision_blocks WHERE encoding = 'jsonl' AND count = 1);
DROP TABLE decision_services;
DROP TABLE decision_buckets;
DROP TABLE decision_blocks;
