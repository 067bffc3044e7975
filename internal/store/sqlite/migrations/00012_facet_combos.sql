-- A dictionary of the combinations of facet values the catalog holds, so
-- that counting a search's matches by facet groups one small integer per
-- row rather than six strings. Keep in step with the other dialect's file
-- of the same name (TestMigrationsMatch).

-- +goose Up
-- A combination's id never changes and its row is never deleted: a
-- process may keep what it has read.
CREATE TABLE facet_combos (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    type      TEXT NOT NULL,
    lifecycle TEXT NOT NULL,
    owner     TEXT NOT NULL,
    language  TEXT NOT NULL,
    tier      INTEGER NOT NULL,
    UNIQUE (kind, type, lifecycle, owner, language, tier)
);
INSERT INTO facet_combos (kind, type, lifecycle, owner, language, tier)
    SELECT DISTINCT kind, type, lifecycle, owner, language, tier FROM entity_search;
ALTER TABLE entity_search ADD COLUMN facet_combo INTEGER NOT NULL DEFAULT 0;
UPDATE entity_search SET facet_combo = (SELECT c.id FROM facet_combos c
    WHERE c.kind = entity_search.kind AND c.type = entity_search.type AND c.lifecycle = entity_search.lifecycle
      AND c.owner = entity_search.owner AND c.language = entity_search.language AND c.tier = entity_search.tier);

-- +goose Down
ALTER TABLE entity_search DROP COLUMN facet_combo;
DROP TABLE facet_combos;
