-- Who caused an event: the API key's name of the request it came from.
ALTER TABLE outbox ADD COLUMN actor TEXT NOT NULL DEFAULT '';
