-- +goose Up
-- The profiling service's tables: profiles and their promotions. IF NOT
-- EXISTS: a database migrated before goose has them already.
CREATE TABLE IF NOT EXISTS profiles (
    customer_id   TEXT    PRIMARY KEY,
    snapshot      BLOB,
    birth_date    TEXT    NOT NULL DEFAULT '',
    age           INTEGER,
    income_minor  INTEGER,
    credit_score  INTEGER,
    first_payment INTEGER NOT NULL DEFAULT 0,
    tier          TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL DEFAULT '',
    evaluation    BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL CHECK (version > 0)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS promotions (
    id               TEXT    PRIMARY KEY,
    customer_id      TEXT    NOT NULL REFERENCES profiles (customer_id),
    code             TEXT    NOT NULL,
    discount_percent INTEGER NOT NULL,
    activated_at     INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    UNIQUE (customer_id, code)
);
