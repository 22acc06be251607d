package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/fintechlabs/customers/ports"
)

// Inbox implements ports.Inbox.
type Inbox struct{ db *DB }

var _ ports.Inbox = (*Inbox)(nil)

// Inbox returns the database's inbox.
func (db *DB) Inbox() *Inbox { return &Inbox{db: db} }

// Claim implements ports.Inbox.
func (in *Inbox) Claim(ctx context.Context, eventID string) error {
	return in.db.Write(ctx, func(t *Tx) error {
		_, err := t.Exec("INSERT INTO inbox (event_id, handled_at) VALUES ($1, $2)", eventID, in.db.clock.Now().UnixNano())
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ports.ErrAlreadyHandled
		}
		return in.db.Error("record handled event", err)
	})
}

// Handled implements ports.Inbox.
func (in *Inbox) Handled(ctx context.Context, eventID string) (bool, error) {
	var n int
	err := in.db.Conn(ctx).QueryRow("SELECT count(*) FROM inbox WHERE event_id = $1", eventID).Scan(&n)
	return n > 0, in.db.Error("read inbox", err)
}

// Outbox is the relay's view of the outbox.
type Outbox struct{ db *DB }

var _ ports.Outbox = (*Outbox)(nil)

// Outbox returns the database's outbox.
func (db *DB) Outbox() *Outbox { return &Outbox{db: db} }

// Pending implements ports.Outbox.
func (o *Outbox) Pending(ctx context.Context, limit int) ([]ports.Pending, error) {
	if leading := o.db.engine.Leading; leading != nil && !leading() {
		return nil, nil // another replica relays
	}
	if o.db.engine.Horizon == "" {
		out, err := pending(o.db.Conn(ctx), limit)
		return out, o.db.Error("read outbox", err)
	}
	var out []ports.Pending
	err := o.db.gorm.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		t := o.db.newTx(g)
		if _, err := t.Exec(o.db.engine.Horizon); err != nil {
			return err
		}
		var err error
		out, err = pending(t.Conn, limit)
		return err
	})
	return out, o.db.Error("read outbox", err)
}

// pending reads up to limit events past the cursor with c.
func pending(c Conn, limit int) ([]ports.Pending, error) {
	rows, err := c.Query(`SELECT seq, event_id, topic, subject, source, occurred_at, schema_version, traceparent, tracestate, actor, payload
		FROM outbox WHERE seq > (SELECT seq FROM outbox_cursor) ORDER BY seq LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ports.Pending
	for rows.Next() {
		var p ports.Pending
		var at int64
		m := &p.Message
		if err := rows.Scan(&p.Seq, &m.ID, &m.Type, &m.Subject, &m.Source, &at, &m.Version, &m.TraceParent, &m.TraceState,
			&m.Actor, &m.Payload); err != nil {
			return nil, err
		}
		m.Time = Time(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// Published implements ports.Outbox: the cursor moves, and no event row is
// written again.
func (o *Outbox) Published(ctx context.Context, through int64) error {
	return o.db.Write(ctx, func(t *Tx) error {
		_, err := t.Exec("UPDATE outbox_cursor SET seq = $1 WHERE id = 1 AND seq < $1", through)
		return o.db.Error("move the outbox cursor", err)
	})
}

// Committed implements ports.Outbox.
func (o *Outbox) Committed() <-chan struct{} { return o.db.committed }

// PendingCount returns how many messages wait to be published; a gauge for
// monitoring.
func (o *Outbox) PendingCount(ctx context.Context) (int64, error) {
	var n int64
	err := o.db.Conn(ctx).QueryRow("SELECT count(*) FROM outbox WHERE seq > (SELECT seq FROM outbox_cursor)").Scan(&n)
	return n, o.db.Error("count outbox", err)
}

// OldestPendingAge returns how long the oldest unpublished event has
// waited since it happened, 0 when none waits; a gauge for monitoring.
func (o *Outbox) OldestPendingAge(ctx context.Context) (time.Duration, error) {
	var oldest *int64
	err := o.db.Conn(ctx).QueryRow("SELECT occurred_at FROM outbox WHERE seq > (SELECT seq FROM outbox_cursor) ORDER BY seq LIMIT 1").Scan(&oldest)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil || oldest == nil {
		return 0, o.db.Error("read the oldest pending event", err)
	}
	return max(o.db.clock.Now().Sub(Time(*oldest)), 0), nil
}
