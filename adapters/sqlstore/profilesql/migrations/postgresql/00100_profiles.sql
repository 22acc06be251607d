-- +goose Up
-- The profiling service's tables: profiles and their promotions. IF NOT
-- EXISTS: a database migrated before goose has them already.
CREATE TABLE IF NOT EXISTS profiles (
    customer_id   TEXT    PRIMARY KEY,
    snapshot      BYTEA,
    birth_date    TEXT    NOT NULL DEFAULT '',
    age           INTEGER,
    income_minor  BIGINT,
    credit_score  INTEGER,
    first_payment BOOLEAN NOT NULL DEFAULT false,
    tier          TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL DEFAULT '',
    evaluation    BYTEA   NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    version       BIGINT  NOT NULL CHECK (version > 0)
);

CREATE TABLE IF NOT EXISTS promotions (
    id               TEXT    PRIMARY KEY,
    customer_id      TEXT    NOT NULL REFERENCES profiles (customer_id),
    code             TEXT    NOT NULL,
    discount_percent INTEGER NOT NULL,
    activated_at     BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL,
    UNIQUE (customer_id, code)
);
CREATE INDEX IF NOT EXISTS promotions_customer ON promotions (customer_id, activated_at);
