-- +goose Up
-- A customer may be erased at their request: the status of the tombstone.
-- SQLite changes a CHECK only by building the table again; the history and
-- the notifications refer to it by name, so their references hold again
-- once the new table has the name, before the commit checks them.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE customers_new (
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
    status              TEXT    NOT NULL CHECK (status IN ('onboarded', 'active', 'inactive', 'erased')),
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
INSERT INTO customers_new SELECT id, name, first_name, last_name, email, phone, document_type, document_number, birth_date,
    language, status, tier, created_at, activated_at, deactivated_at, first_payment_at, promoted_at, deactivation_reason,
    payment_minor, payment_currency, payment_method, payment_description, version FROM customers;
DROP TABLE customers;
ALTER TABLE customers_new RENAME TO customers;
CREATE UNIQUE INDEX customers_email ON customers (lower(email));
CREATE INDEX customers_status_tier ON customers (status, tier, id);
CREATE INDEX customers_tier ON customers (tier, id);
