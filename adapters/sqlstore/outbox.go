package sqlstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/trace"
	"github.com/fintechlabs/customers/ports"
)

type outboxRow struct {
	Seq           int64  `gorm:"column:seq;primaryKey;autoIncrement"`
	EventID       string `gorm:"column:event_id"`
	Topic         string `gorm:"column:topic"`
	Subject       string `gorm:"column:subject"`
	Source        string `gorm:"column:source"`
	OccurredAt    int64  `gorm:"column:occurred_at"`
	SchemaVersion int    `gorm:"column:schema_version"`
	TraceParent   string `gorm:"column:traceparent"`
	TraceState    string `gorm:"column:tracestate"`
	Actor         string `gorm:"column:actor"`
	Payload       []byte `gorm:"column:payload"`
	PublishedAt   *int64 `gorm:"column:published_at"`
}

func (outboxRow) TableName() string { return "outbox" }

type inboxRow struct {
	EventID   string `gorm:"column:event_id;primaryKey"`
	HandledAt int64  `gorm:"column:handled_at"`
}

func (inboxRow) TableName() string { return "inbox" }

// addEvents encodes events and appends them to the outbox in the
// transaction.
func (t *tx) addEvents(events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	for _, e := range events {
		m, err := event.Encode(e)
		if err != nil {
			return err
		}
		err = t.insert(&outboxRow{EventID: m.ID, Topic: m.Type, Subject: m.Subject, Source: m.Source, OccurredAt: nanos(m.Time),
			SchemaVersion: m.Version, TraceParent: string(m.TraceParent), TraceState: string(m.TraceState), Actor: m.Actor, Payload: m.Payload})
		if err != nil {
			return t.db.storageError("append to outbox", err)
		}
		t.events++
	}
	return nil
}

// Inbox implements ports.Inbox.
type Inbox struct{ db *DB }

var _ ports.Inbox = (*Inbox)(nil)

// Inbox returns the database's inbox.
func (db *DB) Inbox() *Inbox { return &Inbox{db: db} }

// Claim implements ports.Inbox.
func (in *Inbox) Claim(ctx context.Context, eventID string) error {
	return in.db.write(ctx, func(t *tx) error {
		err := t.insert(&inboxRow{EventID: eventID, HandledAt: in.db.clock.Now().UnixNano()})
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ports.ErrAlreadyHandled
		}
		return in.db.storageError("record handled event", err)
	})
}

// Handled implements ports.Inbox.
func (in *Inbox) Handled(ctx context.Context, eventID string) (bool, error) {
	_, found, err := take[inboxRow](in.db.source(ctx), "WHERE event_id = ?", eventID)
	return found, in.db.storageError("read inbox", err)
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
	rows, err := find[outboxRow](o.db.source(ctx), "WHERE published_at IS NULL ORDER BY seq LIMIT ?", limit)
	if err != nil {
		return nil, o.db.storageError("read outbox", err)
	}
	out := make([]ports.Pending, len(rows))
	for i, r := range rows {
		out[i] = ports.Pending{Seq: r.Seq, Message: event.Message{
			Metadata: event.Metadata{
				ID: r.EventID, Type: r.Topic, Source: r.Source, Subject: r.Subject, Time: fromNanos(r.OccurredAt),
				Version: r.SchemaVersion, TraceParent: trace.Parent(r.TraceParent), TraceState: trace.State(r.TraceState), Actor: r.Actor,
			},
			Payload: r.Payload,
		}}
	}
	return out, nil
}

// MarkPublished implements ports.Outbox.
func (o *Outbox) MarkPublished(ctx context.Context, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	args := make([]any, 0, 1+len(seqs))
	args = append(args, o.db.clock.Now().UnixNano())
	for _, seq := range seqs {
		args = append(args, seq)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(seqs)), ", ")
	return o.db.write(ctx, func(t *tx) error {
		err := t.exec("UPDATE outbox SET published_at = ? WHERE seq IN ("+marks+")", args...)
		return o.db.storageError("mark outbox published", err)
	})
}

// Committed implements ports.Outbox.
func (o *Outbox) Committed() <-chan struct{} { return o.db.committed }

// PendingCount returns how many messages wait to be published; a gauge for
// monitoring.
func (o *Outbox) PendingCount(ctx context.Context) (int64, error) {
	var n int64
	err := o.db.read(ctx).Model(&outboxRow{}).Where("published_at IS NULL").Count(&n).Error
	return n, o.db.storageError("count outbox", err)
}

// OldestPendingAge returns how long the oldest unpublished event has
// waited since it happened, 0 when none waits; a gauge for monitoring.
func (o *Outbox) OldestPendingAge(ctx context.Context) (time.Duration, error) {
	var oldest *int64
	err := o.db.read(ctx).Model(&outboxRow{}).Where("published_at IS NULL").Select("MIN(occurred_at)").Scan(&oldest).Error
	if err != nil || oldest == nil {
		return 0, o.db.storageError("read the oldest pending event", err)
	}
	return max(o.db.clock.Now().Sub(fromNanos(*oldest)), 0), nil
}
