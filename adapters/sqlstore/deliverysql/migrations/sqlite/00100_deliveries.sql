-- +goose Up
-- The notifications service's tables: the delivery log, and the customer
-- versions whose facts were announced. IF NOT EXISTS: a database migrated
-- before goose has them already.
CREATE TABLE IF NOT EXISTS deliveries (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    customer_id      TEXT    NOT NULL DEFAULT '',
    channel          TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient        TEXT    NOT NULL,
    template         TEXT    NOT NULL DEFAULT '',
    language         TEXT    NOT NULL,
    subject          TEXT    NOT NULL DEFAULT '',
    body             TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'unknown', 'skipped')),
    error            TEXT    NOT NULL DEFAULT '',
    provider_id      TEXT    NOT NULL DEFAULT '',
    cause_event_id   TEXT    NOT NULL DEFAULT '',
    cause_event_type TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_customer ON deliveries (customer_id, seq);
CREATE INDEX IF NOT EXISTS deliveries_channel ON deliveries (channel, seq);

CREATE TABLE IF NOT EXISTS customer_versions (
    customer_id TEXT    NOT NULL,
    fact        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (customer_id, fact)
) WITHOUT ROWID;
