-- +goose Up
-- entity_search carries each entity's facet values and shadowed flag, so
-- that facets under a search are counted in this narrow table alone, in
-- one pass over the matches, with no lookup of entity rows. The scan's
-- writes and catalog resolution's shadow and unshadow statements keep the
-- copies current. Keep it in step with
-- ../../postgres/migrations/00008_search_facets.sql.
ALTER TABLE entity_search ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE entity_search ADD COLUMN type TEXT NOT NULL DEFAULT '';
ALTER TABLE entity_search ADD COLUMN lifecycle TEXT NOT NULL DEFAULT '';
ALTER TABLE entity_search ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE entity_search ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE entity_search ADD COLUMN tier INTEGER NOT NULL DEFAULT -1;
ALTER TABLE entity_search ADD COLUMN shadowed BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE entity_search SET kind = e.kind, type = e.type, lifecycle = e.lifecycle, owner = e.owner,
    language = e.language, tier = e.tier, shadowed = e.shadowed
FROM entities e WHERE e.id = entity_search.entity_id;
-- Facets under a search read this covering index in the order of their
-- groups, testing the search text in it: one pass, and no sort. (PostgreSQL
-- finds the matches with its trigram index and groups them by hash.)
CREATE INDEX entity_search_facets ON entity_search (kind, type, lifecycle, language, tier, owner, search)
    WHERE shadowed = FALSE;

-- +goose Down
DROP INDEX entity_search_facets;
ALTER TABLE entity_search DROP COLUMN shadowed;
ALTER TABLE entity_search DROP COLUMN tier;
ALTER TABLE entity_search DROP COLUMN language;
ALTER TABLE entity_search DROP COLUMN owner;
ALTER TABLE entity_search DROP COLUMN lifecycle;
ALTER TABLE entity_search DROP COLUMN type;
ALTER TABLE entity_search DROP COLUMN kind;
