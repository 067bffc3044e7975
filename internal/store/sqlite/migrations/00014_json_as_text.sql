-- PostgreSQL's JSON documents become text, as they are here (see the other
-- dialect's file of the same name). Nothing to change on SQLite.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
