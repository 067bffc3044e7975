-- JSON documents are stored as text, as on SQLite. No query reads inside
-- them, so JSONB only cost parsing every document on its way in (a scan
-- writes ten thousand facts documents) and printing it again on its way
-- out (grading reads them all). Keep in step with the other dialect's
-- file of the same name (TestMigrationsMatch); SQLite stores text already.

-- +goose Up
ALTER TABLE facts ALTER COLUMN document TYPE TEXT;
ALTER TABLE pushed_facts ALTER COLUMN value TYPE TEXT;
ALTER TABLE entities ALTER COLUMN tags TYPE TEXT, ALTER COLUMN labels TYPE TEXT, ALTER COLUMN annotations TYPE TEXT,
    ALTER COLUMN spec TYPE TEXT, ALTER COLUMN field_sources TYPE TEXT;

-- +goose Down
ALTER TABLE entities ALTER COLUMN tags TYPE JSONB USING tags::jsonb, ALTER COLUMN labels TYPE JSONB USING labels::jsonb,
    ALTER COLUMN annotations TYPE JSONB USING annotations::jsonb, ALTER COLUMN spec TYPE JSONB USING spec::jsonb,
    ALTER COLUMN field_sources TYPE JSONB USING field_sources::jsonb;
ALTER TABLE pushed_facts ALTER COLUMN value TYPE JSONB USING value::jsonb;
ALTER TABLE facts ALTER COLUMN document TYPE JSONB USING document::jsonb;
