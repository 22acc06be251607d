-- +goose Up
-- The messages each customer accepts, as of the newest customer snapshot
-- seen: a projection of the customer service's events, read at each send.
CREATE TABLE customer_preferences (
    customer_id TEXT    PRIMARY KEY,
    email       BOOLEAN NOT NULL,
    sms         BOOLEAN NOT NULL,
    marketing   BOOLEAN NOT NULL,
    language    TEXT    NOT NULL,
    version     BIGINT  NOT NULL
);
