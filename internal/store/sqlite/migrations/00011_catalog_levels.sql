-- Entity links, and indexes for the catalog's level facet and filter and
-- for campaign progress per owner on the org page. Keep in step with the other dialect's
-- file of the same name (TestMigrationsMatch).

-- +goose Up
-- links holds metadata.links (JSON, as tags and annotations are).
ALTER TABLE entities ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
-- The catalog filters by level (level, service) and counts its matches by
-- level; the wide scorecard rows are never read for it.
CREATE INDEX scorecards_level ON scorecards (level, service);
-- The org page counts every active campaign's targets per owner and state
-- from this index alone.
CREATE INDEX campaign_targets_owner ON campaign_targets (campaign_id, owner, state);

-- +goose Down
DROP INDEX campaign_targets_owner;
DROP INDEX scorecards_level;
ALTER TABLE entities DROP COLUMN links;
