-- +goose Up
-- The development provider's mailbox: a message per idempotency key, and how
-- many times it was sent. IF NOT EXISTS: a mailbox made before goose has it.
CREATE TABLE IF NOT EXISTS mailbox (
    idempotency_key TEXT    PRIMARY KEY,
    provider_id     TEXT    NOT NULL UNIQUE,
    channel         TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL,
    accepted_at     INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS mailbox_recipient ON mailbox (recipient, accepted_at);
