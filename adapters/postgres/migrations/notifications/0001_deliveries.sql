-- A delivery is recorded as pending (an intent) before the provider is
-- called, and may end unknown (a pending intent found after a crash) or
-- skipped (stale).
CREATE TABLE deliveries (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT   NOT NULL UNIQUE,
    customer_id      TEXT   NOT NULL DEFAULT '',
    channel          TEXT   NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient        TEXT   NOT NULL,
    template         TEXT   NOT NULL DEFAULT '',
    language         TEXT   NOT NULL,
    subject          TEXT   NOT NULL DEFAULT '',
    body             TEXT   NOT NULL,
    status           TEXT   NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'unknown', 'skipped')),
    error            TEXT   NOT NULL DEFAULT '',
    provider_id      TEXT   NOT NULL DEFAULT '',
    cause_event_id   TEXT   NOT NULL DEFAULT '',
    cause_event_type TEXT   NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL
);
CREATE INDEX deliveries_customer ON deliveries (customer_id, seq);
CREATE INDEX deliveries_channel ON deliveries (channel, seq);

-- The newest customer snapshot version handled per customer and per fact a
-- message announces (status, tier): an announcement caused by an older
-- snapshot than one already announced for that fact is stale.
CREATE TABLE customer_versions (
    customer_id TEXT   NOT NULL,
    fact        TEXT   NOT NULL,
    version     BIGINT NOT NULL,
    PRIMARY KEY (customer_id, fact)
);
