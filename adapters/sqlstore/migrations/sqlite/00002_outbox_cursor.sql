-- +goose Up
-- The relay keeps how far it published in one row, rather than marking
-- every event it published: an event is written once, into the outbox's
-- one b-tree, its sequence. (Event ids are UUIDv7s the services make; the
-- consumers' inboxes, not an index here, keep an event from acting twice.)
-- The cursor starts before the first event not yet published.
CREATE TABLE outbox_cursor (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO outbox_cursor (id, seq) VALUES (1, COALESCE(
    (SELECT min(seq) - 1 FROM outbox WHERE published_at IS NULL),
    (SELECT max(seq) FROM outbox),
    (SELECT seq FROM sqlite_sequence WHERE name = 'outbox'),
    0));

-- The table again, without the published mark and its indexes, and
-- without the unique index on event ids. Its sequence goes on from where
-- it was: a sequence number must never come twice.
CREATE TEMP TABLE outbox_sequence AS SELECT seq FROM sqlite_sequence WHERE name = 'outbox';
CREATE TABLE outbox_new (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT    NOT NULL,
    topic          TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    occurred_at    INTEGER NOT NULL,
    schema_version INTEGER NOT NULL,
    traceparent    TEXT    NOT NULL DEFAULT '',
    tracestate     TEXT    NOT NULL DEFAULT '',
    actor          TEXT    NOT NULL DEFAULT '',
    payload        BLOB    NOT NULL
);
INSERT INTO outbox_new (seq, event_id, topic, subject, source, occurred_at, schema_version, traceparent, tracestate, actor, payload)
    SELECT seq, event_id, topic, subject, source, occurred_at, schema_version, traceparent, tracestate, actor, payload FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
DELETE FROM sqlite_sequence WHERE name IN ('outbox', 'outbox_new');
INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', max(
    COALESCE((SELECT seq FROM outbox_sequence), 0),
    COALESCE((SELECT max(seq) FROM outbox), 0),
    (SELECT seq FROM outbox_cursor)));
DROP TABLE outbox_sequence;
