-- +goose Up
-- catalog_version counts committed catalog writes (scan batches and
-- resolutions), so readers can tell whether a cached facet count is current
-- without recomputing it.
CREATE TABLE catalog_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO catalog_version (id, version) VALUES (1, 0);

-- +goose Down
DROP TABLE catalog_version;
