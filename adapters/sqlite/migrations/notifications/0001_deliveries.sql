CREATE TABLE deliveries (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT    NOT NULL UNIQUE,
    customer_id      TEXT    NOT NULL DEFAULT '',
    channel          TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient        TEXT    NOT NULL,
    template         TEXT    NOT NULL DEFAULT '',
    language         TEXT    NOT NULL,
    subject          TEXT    NOT NULL DEFAULT '',
    body             TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('sent', 'failed')),
    error            TEXT    NOT NULL DEFAULT '',
    provider_id      TEXT    NOT NULL DEFAULT '',
    cause_event_id   TEXT    NOT NULL DEFAULT '',
    cause_event_type TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL
);
CREATE INDEX deliveries_customer ON deliveries (customer_id, seq);
CREATE INDEX deliveries_channel ON deliveries (channel, seq);

-- What the development email and SMS provider accepted, keyed by the
-- idempotency key it was given: a resend with the same key is not
-- delivered twice.
CREATE TABLE mailbox (
    idempotency_key TEXT    PRIMARY KEY,
    provider_id     TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL,
    accepted_at     INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
