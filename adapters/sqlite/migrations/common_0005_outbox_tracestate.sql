-- The tracestate that came with an event's trace context, kept with it.
ALTER TABLE outbox ADD COLUMN tracestate TEXT NOT NULL DEFAULT '';
