-- +goose Up
-- The customer service's tables: customers, their history and their
-- notifications. IF NOT EXISTS: a database migrated before goose has them
-- already.
CREATE TABLE IF NOT EXISTS customers (
    id                  TEXT    PRIMARY KEY,
    name                TEXT    NOT NULL,
    first_name          TEXT    NOT NULL DEFAULT '',
    last_name           TEXT    NOT NULL DEFAULT '',
    email               TEXT    NOT NULL,
    phone               TEXT    NOT NULL,
    document_type       TEXT    NOT NULL DEFAULT '',
    document_number     TEXT    NOT NULL DEFAULT '',
    birth_date          TEXT    NOT NULL DEFAULT '',
    language            TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('onboarded', 'active', 'inactive')),
    tier                TEXT    NOT NULL CHECK (tier IN ('basic', 'premium', 'vip')),
    created_at          INTEGER NOT NULL,
    activated_at        INTEGER,
    deactivated_at      INTEGER,
    first_payment_at    INTEGER,
    promoted_at         INTEGER,
    deactivation_reason TEXT    NOT NULL DEFAULT '',
    payment_minor       INTEGER,
    payment_currency    TEXT,
    payment_method      TEXT,
    payment_description TEXT,
    version             INTEGER NOT NULL CHECK (version > 0)
);
CREATE UNIQUE INDEX IF NOT EXISTS customers_email ON customers (lower(email));
CREATE INDEX IF NOT EXISTS customers_status_tier ON customers (status, tier, id);
CREATE INDEX IF NOT EXISTS customers_tier ON customers (tier, id);

CREATE TABLE IF NOT EXISTS customer_history (
    customer_id TEXT    NOT NULL REFERENCES customers (id),
    version     INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    from_value  TEXT    NOT NULL,
    to_value    TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (customer_id, version)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS customer_notifications (
    id          TEXT    PRIMARY KEY,
    customer_id TEXT    NOT NULL REFERENCES customers (id),
    event_id    TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    template    TEXT    NOT NULL,
    recipient   TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    sent_at     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS customer_notifications_customer ON customer_notifications (customer_id, sent_at);
