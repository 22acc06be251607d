-- +goose Up
-- The tables every service has: the transactional outbox, the inbox of
-- handled event ids and the answers to requests made with an
-- Idempotency-Key. Times are Unix nanoseconds, as in the SQLite schema.
-- IF NOT EXISTS: a database migrated before goose has them already.
CREATE TABLE IF NOT EXISTS outbox (
    seq            BIGINT   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       TEXT     NOT NULL UNIQUE,
    topic          TEXT     NOT NULL,
    subject        TEXT     NOT NULL,
    source         TEXT     NOT NULL,
    occurred_at    BIGINT   NOT NULL,
    schema_version INTEGER  NOT NULL,
    traceparent    TEXT     NOT NULL DEFAULT '',
    tracestate     TEXT     NOT NULL DEFAULT '',
    actor          TEXT     NOT NULL DEFAULT '',
    payload        BYTEA    NOT NULL,
    published_at   BIGINT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (seq) WHERE published_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS inbox (
    event_id   TEXT   PRIMARY KEY,
    handled_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_handled ON inbox (handled_at);

-- One row per caller, route and key; done while the first request is under
-- way. Pruned with the outbox, by claimed_at.
CREATE TABLE IF NOT EXISTS idempotency (
    id           TEXT    PRIMARY KEY,
    fingerprint  TEXT    NOT NULL,
    claimed_at   BIGINT  NOT NULL,
    done         BOOLEAN NOT NULL DEFAULT false,
    status       INTEGER NOT NULL DEFAULT 0,
    content_type TEXT    NOT NULL DEFAULT '',
    location     TEXT    NOT NULL DEFAULT '',
    body         BYTEA
);
CREATE INDEX IF NOT EXISTS idempotency_claimed ON idempotency (claimed_at);

-- The migrations' own table before goose.
DROP TABLE IF EXISTS schema_migrations;
