// Package deliverysql keeps the notifications service's delivery log and
// the customer versions it announced on a SQL database
// (adapters/sqlstore): the notifications service's database, with its
// outbox and inbox.
package deliverysql

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"log/slog"

	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/deliveries"
)

//go:embed migrations
var migrations embed.FS

// Schema is the notifications service's tables.
var Schema = sqlstore.Schema{Name: "notifications", Migrations: migrations}

// Store is the notifications service's database: its delivery log
// (deliveries.Store), outbox and inbox.
type Store struct{ *sqlstore.DB }

var _ deliveries.Store = (*Store)(nil)

// Open opens the notifications service's database that engine holds,
// migrating it if needed (see sqlstore.Open).
func Open(ctx context.Context, engine sqlstore.Engine, clock ports.Clock, trace sqlstore.Tracer, log *slog.Logger) (*Store, error) {
	db, err := sqlstore.Open(ctx, engine, Schema, clock, trace, log)
	if err != nil {
		return nil, err
	}
	return &Store{db}, nil
}

// columns are a delivery row's, in the order scanDelivery reads them.
const columns = `seq, id, customer_id, channel, recipient, template, language, subject, body, status, error, provider_id,
	cause_event_id, cause_event_type, created_at`

// Get implements deliveries.Store.
func (s *Store) Get(ctx context.Context, id string) (notification.Delivery, error) {
	_, d, err := scanDelivery(s.Conn(ctx).QueryRow("SELECT "+columns+" FROM deliveries WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return notification.Delivery{}, notification.ErrNotFound.With(id, nil)
	}
	return d, s.Error("read delivery", err)
}

// Record implements deliveries.Store. A delivery with the same id replaces
// the stored one (a failed attempt being retried) and keeps its position.
func (s *Store) Record(ctx context.Context, d notification.Delivery, events []event.Event) error {
	return s.Write(ctx, func(t *sqlstore.Tx) error {
		var causeID, causeType string
		if d.Cause != nil {
			causeID, causeType = d.Cause.EventID, d.Cause.EventType
		}
		_, err := t.Exec(`INSERT INTO deliveries (id, customer_id, channel, recipient, template, language, subject, body, status, error,
				provider_id, cause_event_id, cause_event_type, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, channel = excluded.channel,
				recipient = excluded.recipient, template = excluded.template, language = excluded.language,
				subject = excluded.subject, body = excluded.body, status = excluded.status, error = excluded.error,
				provider_id = excluded.provider_id, cause_event_id = excluded.cause_event_id,
				cause_event_type = excluded.cause_event_type, created_at = excluded.created_at`,
			d.ID, d.CustomerID, string(d.Channel), d.Recipient, d.Template, string(d.Language), d.Subject, d.Body,
			string(d.Status), d.Error, d.ProviderID, causeID, causeType, sqlstore.Nanos(d.CreatedAt))
		if err != nil {
			return s.Error("record delivery", err)
		}
		return t.AddEvents(events)
	})
}

// Intend implements deliveries.Store.
func (s *Store) Intend(ctx context.Context, d notification.Delivery) error {
	d.Status = notification.Pending
	return s.Record(ctx, d, nil)
}

// List implements deliveries.Store.
func (s *Store) List(ctx context.Context, q notification.Query, w page.Window) (notification.Page, error) {
	after, ok, err := w.AfterNumber()
	if err != nil {
		return notification.Page{}, err
	}
	if !ok {
		after = 1<<63 - 1
	}
	// An unset filter matches all.
	rows, err := s.Conn(ctx).Query(`SELECT `+columns+` FROM deliveries
		WHERE ($1 = '' OR customer_id = $1) AND ($2 = '' OR channel = $2) AND seq < $3
		ORDER BY seq DESC LIMIT $4`, q.CustomerID, string(q.Channel), after, w.Limit+1)
	if err != nil {
		return notification.Page{}, s.Error("list deliveries", err)
	}
	defer rows.Close()
	type row struct {
		seq int64
		d   notification.Delivery
	}
	var found []row
	for rows.Next() {
		seq, d, err := scanDelivery(rows)
		if err != nil {
			return notification.Page{}, s.Error("list deliveries", err)
		}
		found = append(found, row{seq, d})
	}
	if err := rows.Err(); err != nil {
		return notification.Page{}, s.Error("list deliveries", err)
	}
	found, next := page.Next(found, w, func(r row) string { return page.NumberKey(r.seq) })
	out := notification.Page{Deliveries: make([]notification.Delivery, len(found)), Next: next}
	for i, r := range found {
		out.Deliveries[i] = r.d
	}
	return out, nil
}

// scanDelivery reads a row of columns.
func scanDelivery(row interface{ Scan(...any) error }) (int64, notification.Delivery, error) {
	var (
		seq, created                                  int64
		d                                             notification.Delivery
		channel, language, status, causeID, causeType string
	)
	err := row.Scan(&seq, &d.ID, &d.CustomerID, &channel, &d.Recipient, &d.Template, &language, &d.Subject, &d.Body, &status,
		&d.Error, &d.ProviderID, &causeID, &causeType, &created)
	if err != nil {
		return 0, notification.Delivery{}, err
	}
	d.Channel, d.Language, d.Status = notification.Channel(channel), locale.Language(language), notification.Status(status)
	d.CreatedAt = sqlstore.Time(created)
	if causeID != "" {
		d.Cause = &notification.Cause{EventID: causeID, EventType: causeType}
	}
	return seq, d, nil
}

// Reserve implements deliveries.Store. The upsert locks the row (SQLite
// has one writer; PostgreSQL holds the row lock to the commit), so the
// version read after it is the newest any writer claimed.
func (s *Store) Reserve(ctx context.Context, customerID string, fact notification.Fact, version int64) (int64, error) {
	var newest int64
	err := s.Write(ctx, func(t *sqlstore.Tx) error {
		_, err := t.Exec(`INSERT INTO customer_versions (customer_id, fact, version) VALUES ($1, $2, $3)
			ON CONFLICT (customer_id, fact) DO UPDATE SET version = excluded.version
			WHERE excluded.version > customer_versions.version`, customerID, string(fact), version)
		if err != nil {
			return s.Error("reserve customer version", err)
		}
		err = t.QueryRow("SELECT version FROM customer_versions WHERE customer_id = $1 AND fact = $2", customerID, string(fact)).Scan(&newest)
		return s.Error("read customer version", err)
	})
	return newest, err
}

// erasedFact marks, in customer_versions, a customer erased at their
// request: the table already holds what the service keeps per customer.
const erasedFact = "erased"

// Erase implements deliveries.Store.
func (s *Store) Erase(ctx context.Context, customerID string) ([]string, error) {
	var recipients []string
	if err := s.DB.Forget(ctx, customerID); err != nil {
		return nil, err
	}
	err := s.Write(ctx, func(t *sqlstore.Tx) error {
		rows, err := t.Query("SELECT DISTINCT recipient FROM deliveries WHERE customer_id = $1 AND recipient <> ''", customerID)
		if err != nil {
			return s.Error("read the customer's recipients", err)
		}
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				rows.Close()
				return s.Error("read the customer's recipients", err)
			}
			recipients = append(recipients, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.Error("read the customer's recipients", err)
		}
		if _, err := t.Exec(`UPDATE deliveries SET recipient = '', subject = '', body = '',
			status = CASE WHEN status = 'pending' THEN 'skipped' ELSE status END,
			error = CASE WHEN status = 'pending' THEN 'the customer was erased at their request' ELSE '' END
			WHERE customer_id = $1`, customerID); err != nil {
			return s.Error("forget the customer's deliveries", err)
		}
		_, err = t.Exec(`INSERT INTO customer_versions (customer_id, fact, version) VALUES ($1, $2, 1)
			ON CONFLICT (customer_id, fact) DO NOTHING`, customerID, erasedFact)
		return s.Error("keep the customer's tombstone", err)
	})
	return recipients, err
}

// Erased implements deliveries.Store.
func (s *Store) Erased(ctx context.Context, customerID string) (bool, error) {
	var n int
	err := s.Conn(ctx).QueryRow("SELECT count(*) FROM customer_versions WHERE customer_id = $1 AND fact = $2", customerID, erasedFact).Scan(&n)
	return n > 0, s.Error("read the customer's tombstone", err)
}

// SavePreferences implements deliveries.Store.
func (s *Store) SavePreferences(ctx context.Context, customerID string, p notification.Preferences) error {
	return s.Write(ctx, func(t *sqlstore.Tx) error {
		_, err := t.Exec(`INSERT INTO customer_preferences (customer_id, email, sms, marketing, language, version)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (customer_id) DO UPDATE SET email = excluded.email, sms = excluded.sms, marketing = excluded.marketing,
				language = excluded.language, version = excluded.version
			WHERE excluded.version > customer_preferences.version`,
			customerID, p.Email, p.SMS, p.Marketing, string(p.Language), p.Version)
		return s.Error("keep the customer's preferences", err)
	})
}

// Preferences implements deliveries.Store.
func (s *Store) Preferences(ctx context.Context, customerID string) (notification.Preferences, bool, error) {
	var p notification.Preferences
	var language string
	err := s.Conn(ctx).QueryRow("SELECT email, sms, marketing, language, version FROM customer_preferences WHERE customer_id = $1", customerID).
		Scan(&p.Email, &p.SMS, &p.Marketing, &language, &p.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return notification.Preferences{}, false, nil
	}
	p.Language = locale.Language(language)
	return p, err == nil, s.Error("read the customer's preferences", err)
}
