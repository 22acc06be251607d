-- Tables every service has: the transactional outbox and the inbox of
-- handled event ids. Applied before each service's own migrations.
CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT    NOT NULL UNIQUE,
    topic          TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    occurred_at    INTEGER NOT NULL,
    schema_version INTEGER NOT NULL,
    traceparent    TEXT    NOT NULL DEFAULT '',
    payload        BLOB    NOT NULL,
    published_at   INTEGER
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;

CREATE TABLE inbox (
    event_id   TEXT    PRIMARY KEY,
    handled_at INTEGER NOT NULL
) WITHOUT ROWID;
