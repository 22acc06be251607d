-- A delivery is recorded as pending (an intent) before the provider is
-- called, and may end unknown (a pending intent found after a crash, for a
-- provider that cannot tell whether it sent it) or skipped (stale). SQLite
-- cannot change a CHECK constraint: the table is rebuilt.
CREATE TABLE deliveries_new (
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
INSERT INTO deliveries_new SELECT * FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_customer ON deliveries (customer_id, seq);
CREATE INDEX deliveries_channel ON deliveries (channel, seq);
