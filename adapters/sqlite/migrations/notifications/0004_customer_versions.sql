-- The newest customer snapshot version handled per customer and per fact a
-- message announces (status, tier): an announcement caused by an older
-- snapshot than one already announced for that fact is stale.
CREATE TABLE customer_versions (
    customer_id TEXT    NOT NULL,
    fact        TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (customer_id, fact)
) WITHOUT ROWID;
