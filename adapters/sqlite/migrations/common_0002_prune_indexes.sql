-- Pruning finds old rows by these columns; without the indexes it scanned
-- whole tables while holding the write lock.
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX inbox_handled ON inbox (handled_at);
