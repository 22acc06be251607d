package sqlstore

import (
	"context"
	"log/slog"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/ports"
)

// Deliveries implements ports.Deliveries.
type Deliveries struct{ db *DB }

var _ ports.Deliveries = (*Deliveries)(nil)

// DeliveryStore is the notifications service's database: its deliveries, outbox and
// inbox. Nothing else can be had from it.
type DeliveryStore struct{ *DB }

// OpenDeliveries opens (creating and migrating if needed) the notifications service's
// database that engine holds.
func OpenDeliveries(ctx context.Context, engine Engine, clock ports.Clock, log *slog.Logger) (*DeliveryStore, error) {
	return openStore(ctx, engine, NotificationsSchema, clock, log, func(db *DB) *DeliveryStore { return &DeliveryStore{db} })
}

// Deliveries returns the store's deliveries.
func (s *DeliveryStore) Deliveries() *Deliveries { return &Deliveries{db: s.DB} }

type deliveryRow struct {
	Seq            int64  `gorm:"column:seq;primaryKey;autoIncrement"`
	ID             string `gorm:"column:id"`
	CustomerID     string `gorm:"column:customer_id"`
	Channel        string `gorm:"column:channel"`
	Recipient      string `gorm:"column:recipient"`
	Template       string `gorm:"column:template"`
	Language       string `gorm:"column:language"`
	Subject        string `gorm:"column:subject"`
	Body           string `gorm:"column:body"`
	Status         string `gorm:"column:status"`
	Error          string `gorm:"column:error"`
	ProviderID     string `gorm:"column:provider_id"`
	CauseEventID   string `gorm:"column:cause_event_id"`
	CauseEventType string `gorm:"column:cause_event_type"`
	CreatedAt      int64  `gorm:"column:created_at;autoCreateTime:false"`
}

func (deliveryRow) TableName() string { return "deliveries" }

// customerVersionRow is the newest version of a customer fact seen.
type customerVersionRow struct {
	CustomerID string `gorm:"column:customer_id;primaryKey"`
	Fact       string `gorm:"column:fact;primaryKey"`
	Version    int64  `gorm:"column:version"`
}

func (customerVersionRow) TableName() string { return "customer_versions" }

// Get implements ports.Deliveries.
func (s *Deliveries) Get(ctx context.Context, id string) (notification.Delivery, error) {
	row, found, err := take[deliveryRow](s.db.source(ctx), "WHERE id = ?", id)
	if err != nil {
		return notification.Delivery{}, s.db.storageError("read delivery", err)
	}
	if !found {
		return notification.Delivery{}, notification.ErrNotFound.With(id, nil)
	}
	return row.toDelivery(), nil
}

// Record implements ports.Deliveries. A delivery with the same id replaces
// the stored one (a failed attempt being retried) and keeps its position.
func (s *Deliveries) Record(ctx context.Context, d notification.Delivery, events []event.Event) error {
	return s.db.write(ctx, func(t *tx) error {
		r := toDeliveryRow(d)
		err := t.exec(`INSERT INTO deliveries (id, customer_id, channel, recipient, template, language, subject, body, status, error,
				provider_id, cause_event_id, cause_event_type, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, channel = excluded.channel,
				recipient = excluded.recipient, template = excluded.template, language = excluded.language,
				subject = excluded.subject, body = excluded.body, status = excluded.status, error = excluded.error,
				provider_id = excluded.provider_id, cause_event_id = excluded.cause_event_id,
				cause_event_type = excluded.cause_event_type, created_at = excluded.created_at`,
			r.ID, r.CustomerID, r.Channel, r.Recipient, r.Template, r.Language, r.Subject, r.Body, r.Status, r.Error,
			r.ProviderID, r.CauseEventID, r.CauseEventType, r.CreatedAt)
		if err != nil {
			return s.db.storageError("record delivery", err)
		}
		return t.addEvents(events)
	})
}

// Intend implements ports.Deliveries.
func (s *Deliveries) Intend(ctx context.Context, d notification.Delivery) error {
	d.Status = notification.Pending
	return s.Record(ctx, d, nil)
}

// List implements ports.Deliveries.
func (s *Deliveries) List(ctx context.Context, q notification.Query, w page.Window) (notification.Page, error) {
	db := s.db.read(ctx).Model(&deliveryRow{})
	if q.CustomerID != "" {
		db = db.Where("customer_id = ?", q.CustomerID)
	}
	if q.Channel != "" {
		db = db.Where("channel = ?", string(q.Channel))
	}
	seq, ok, err := w.AfterNumber()
	if err != nil {
		return notification.Page{}, err
	}
	if ok {
		db = db.Where("seq < ?", seq)
	}
	var rows []deliveryRow
	if err := db.Order("seq DESC").Limit(w.Limit + 1).Find(&rows).Error; err != nil {
		return notification.Page{}, s.db.storageError("list deliveries", err)
	}
	rows, next := page.Next(rows, w, func(r deliveryRow) string { return page.NumberKey(r.Seq) })
	out := notification.Page{Deliveries: make([]notification.Delivery, len(rows)), Next: next}
	for i, r := range rows {
		out.Deliveries[i] = r.toDelivery()
	}
	return out, nil
}

func toDeliveryRow(d notification.Delivery) deliveryRow {
	r := deliveryRow{
		ID: d.ID, CustomerID: d.CustomerID, Channel: string(d.Channel), Recipient: d.Recipient, Template: d.Template,
		Language: string(d.Language), Subject: d.Subject, Body: d.Body, Status: string(d.Status), Error: d.Error,
		ProviderID: d.ProviderID, CreatedAt: nanos(d.CreatedAt),
	}
	if d.Cause != nil {
		r.CauseEventID, r.CauseEventType = d.Cause.EventID, d.Cause.EventType
	}
	return r
}

func (r deliveryRow) toDelivery() notification.Delivery {
	d := notification.Delivery{
		ID: r.ID, CustomerID: r.CustomerID, Channel: notification.Channel(r.Channel), Recipient: r.Recipient,
		Template: r.Template, Language: locale.Language(r.Language),
		Content: notification.Content{Subject: r.Subject, Body: r.Body},
		Status:  notification.Status(r.Status), Error: r.Error, ProviderID: r.ProviderID, CreatedAt: fromNanos(r.CreatedAt),
	}
	if r.CauseEventID != "" {
		d.Cause = &notification.Cause{EventID: r.CauseEventID, EventType: r.CauseEventType}
	}
	return d
}

// Reserve implements ports.Deliveries. The upsert locks the row (SQLite
// has one writer; PostgreSQL holds the row lock to the commit), so the
// version read after it is the newest any writer claimed.
func (s *Deliveries) Reserve(ctx context.Context, customerID string, fact notification.Fact, version int64) (int64, error) {
	var newest int64
	err := s.db.write(ctx, func(t *tx) error {
		err := t.exec(`INSERT INTO customer_versions (customer_id, fact, version) VALUES (?, ?, ?)
			ON CONFLICT (customer_id, fact) DO UPDATE SET version = excluded.version
			WHERE excluded.version > customer_versions.version`, customerID, string(fact), version)
		if err != nil {
			return s.db.storageError("reserve customer version", err)
		}
		row, _, err := take[customerVersionRow](t.source(), "WHERE customer_id = ? AND fact = ?", customerID, string(fact))
		newest = row.Version
		return s.db.storageError("read customer version", err)
	})
	return newest, err
}
