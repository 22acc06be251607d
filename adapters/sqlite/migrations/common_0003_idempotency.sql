-- Answers to requests made with an Idempotency-Key (core/idempotency): one
-- row per caller, route and key; done = 0 while the first request is under
-- way. Pruned with the outbox, by claimed_at.
CREATE TABLE idempotency (
    id           TEXT    PRIMARY KEY,
    fingerprint  TEXT    NOT NULL,
    claimed_at   INTEGER NOT NULL,
    done         INTEGER NOT NULL DEFAULT 0,
    status       INTEGER NOT NULL DEFAULT 0,
    content_type TEXT    NOT NULL DEFAULT '',
    location     TEXT    NOT NULL DEFAULT '',
    body         BLOB
) WITHOUT ROWID;
CREATE INDEX idempotency_claimed ON idempotency (claimed_at);
