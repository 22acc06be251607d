-- +goose Up
-- The relay keeps how far it published in one row, rather than marking
-- every event it published: an event is written once, into the outbox's
-- one index, its sequence. (Event ids are UUIDv7s the services make; the
-- consumers' inboxes, not an index here, keep an event from acting twice.)
-- Sequence numbers follow commit order: a transaction takes the outbox's
-- advisory lock before it adds events, and holds it to its commit.
-- Replicas of the release before this one still mark published events:
-- stop them before this migration runs.
CREATE TABLE outbox_cursor (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT  NOT NULL
);
INSERT INTO outbox_cursor (id, seq) VALUES (1, COALESCE(
    (SELECT min(seq) - 1 FROM outbox WHERE published_at IS NULL),
    (SELECT max(seq) FROM outbox),
    0));
DROP INDEX IF EXISTS outbox_pending;
DROP INDEX IF EXISTS outbox_published;
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_event_id_key;
ALTER TABLE outbox DROP COLUMN published_at;
