-- +goose Up
-- facet_counts holds how many unshadowed entities of each kind have each
-- value of each facet field (tiers as decimal strings). The facets people
-- open most, the whole catalog's and one kind's, add up these few rows
-- instead of counting every entity, so that the first read after a write is
-- as fast in every process as the next one. The transactions that change
-- entities or their shadowed flags keep it exact. Keep it in step with
-- ../../sqlite/migrations/00004_facet_counts.sql.
CREATE TABLE facet_counts (
    kind     TEXT COLLATE "C" NOT NULL,
    field    TEXT COLLATE "C" NOT NULL,
    value    TEXT COLLATE "C" NOT NULL,
    entities INTEGER NOT NULL,
    PRIMARY KEY (kind, field, value)
);
INSERT INTO facet_counts (kind, field, value, entities)
SELECT kind, 'kind', kind, COUNT(*) FROM entities WHERE shadowed = FALSE GROUP BY kind
UNION ALL SELECT kind, 'type', type, COUNT(*) FROM entities WHERE shadowed = FALSE GROUP BY kind, type
UNION ALL SELECT kind, 'lifecycle', lifecycle, COUNT(*) FROM entities WHERE shadowed = FALSE GROUP BY kind, lifecycle
UNION ALL SELECT kind, 'owner', owner, COUNT(*) FROM entities WHERE shadowed = FALSE GROUP BY kind, owner
UNION ALL SELECT kind, 'language', language, COUNT(*) FROM entities WHERE shadowed = FALSE GROUP BY kind, language
UNION ALL SELECT kind, 'tier', CAST(tier AS TEXT), COUNT(*) FROM entities WHERE shadowed = FALSE GROUP BY kind, tier;

-- +goose Down
DROP TABLE facet_counts;
