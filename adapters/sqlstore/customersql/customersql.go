// Package customersql keeps the customer service's customers, their
// history and their notifications on a SQL database (adapters/sqlstore):
// the customer service's database, with its outbox and inbox.
package customersql

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/money"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/core/pii"
	"github.com/fintechlabs/customers/core/tier"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/customers"
)

//go:embed migrations
var migrations embed.FS

// Schema is the customer service's tables.
var Schema = sqlstore.Schema{Name: "customer", Migrations: migrations}

// Store is the customer service's database: its customers (customers.Store
// and customers.Views), outbox and inbox.
type Store struct{ *sqlstore.DB }

var (
	_ customers.Store = (*Store)(nil)
	_ customers.Views = (*Store)(nil)
)

// Open opens the customer service's database that engine holds, migrating
// it if needed (see sqlstore.Open).
func Open(ctx context.Context, engine sqlstore.Engine, clock ports.Clock, trace sqlstore.Tracer, log *slog.Logger) (*Store, error) {
	db, err := sqlstore.Open(ctx, engine, Schema, clock, trace, log)
	if err != nil {
		return nil, err
	}
	return &Store{db}, nil
}

// columns are a customer row's, in the order scanCustomer reads them.
const columns = `id, name, first_name, last_name, email, phone, document_type, document_number, birth_date, language, status, tier,
	created_at, activated_at, deactivated_at, first_payment_at, promoted_at, deactivation_reason,
	payment_minor, payment_currency, payment_method, payment_description, preferences, version`

// Create implements customers.Store.
func (s *Store) Create(ctx context.Context, c *customer.Customer, events []event.Event) error {
	return s.Write(ctx, func(t *sqlstore.Tx) error {
		_, err := t.Exec(`INSERT INTO customers (`+columns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`, values(c)...)
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return customer.ErrEmailTaken
		}
		if err != nil {
			return s.Error("insert customer", err)
		}
		return s.saveChanges(t, c, events)
	})
}

// Update implements customers.Store.
func (s *Store) Update(ctx context.Context, id string, change func(*customer.Customer) ([]event.Event, error)) (customer.Customer, error) {
	var out customer.Customer
	err := s.Write(ctx, func(t *sqlstore.Tx) error {
		c, err := s.get(t.ForUpdate(), id) // concurrent updates take turns
		if err != nil {
			return err
		}
		before := c.Version
		events, err := change(&c)
		if err != nil {
			return err
		}
		out = c.Saved()
		if c.Version == before {
			return nil
		}
		// The key last, and unchanged: a column set is rewritten in every
		// index that holds it, whatever its value.
		n, err := t.Exec(`UPDATE customers SET name = $1, first_name = $2, last_name = $3, email = $4, phone = $5, document_type = $6,
			document_number = $7, birth_date = $8, language = $9, status = $10, tier = $11, created_at = $12, activated_at = $13,
			deactivated_at = $14, first_payment_at = $15, promoted_at = $16, deactivation_reason = $17, payment_minor = $18,
			payment_currency = $19, payment_method = $20, payment_description = $21, preferences = $22, version = $23
			WHERE id = $24 AND version = $25`, append(values(&c)[1:], c.ID, before)...)
		switch {
		case errors.Is(err, gorm.ErrDuplicatedKey):
			return customer.ErrEmailTaken
		case err != nil:
			return s.Error("update customer", err)
		case n == 0:
			return fault.Conflictf("customer %s was changed concurrently; retry", id)
		}
		return s.saveChanges(t, &c, events)
	})
	if err != nil {
		return customer.Customer{}, err
	}
	return out, nil
}

// saveChanges appends the customer's new history entries and events.
func (s *Store) saveChanges(t *sqlstore.Tx, c *customer.Customer, events []event.Event) error {
	for _, ch := range c.Changes() {
		_, err := t.Exec(`INSERT INTO customer_history (customer_id, version, action, from_value, to_value, reason, source, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			c.ID, ch.Version, string(ch.Action), ch.From, ch.To, ch.Reason, string(ch.Source), sqlstore.Nanos(ch.At))
		if err != nil {
			return s.Error("append customer history", err)
		}
	}
	return t.AddEvents(events)
}

// Get implements customers.Store.
func (s *Store) Get(ctx context.Context, id string) (customer.Customer, error) {
	return s.get(s.Conn(ctx), id)
}

func (s *Store) get(conn sqlstore.Conn, id string) (customer.Customer, error) {
	c, err := scanCustomer(conn.QueryRow("SELECT "+columns+" FROM customers WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return customer.Customer{}, customer.ErrNotFound.With(id, nil)
	}
	return c, s.Error("read customer", err)
}

// List implements customers.Views.
func (s *Store) List(ctx context.Context, f customer.Filter, w page.Window) (customer.Page, error) {
	// An unset filter matches all; lower(email) is the unique index's
	// expression.
	rows, err := s.Conn(ctx).Query(`SELECT `+columns+` FROM customers
		WHERE ($1 = '' OR status = $1) AND ($2 = '' OR tier = $2) AND ($3 = '' OR lower(email) = lower($3)) AND id > $4
		ORDER BY id LIMIT $5`, string(f.Status), string(f.Tier), string(f.Email), w.After, w.Limit+1)
	if err != nil {
		return customer.Page{}, s.Error("list customers", err)
	}
	defer rows.Close()
	var found []customer.Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return customer.Page{}, s.Error("list customers", err)
		}
		found = append(found, c)
	}
	if err := rows.Err(); err != nil {
		return customer.Page{}, s.Error("list customers", err)
	}
	found, next := page.Next(found, w, func(c customer.Customer) string { return c.ID })
	return customer.Page{Customers: found, Next: next}, nil
}

// History implements customers.Views.
func (s *Store) History(ctx context.Context, id string) ([]customer.Change, error) {
	if _, err := s.get(s.Conn(ctx), id); err != nil {
		return nil, err
	}
	rows, err := s.Conn(ctx).Query(`SELECT version, action, from_value, to_value, reason, source, at FROM customer_history
		WHERE customer_id = $1 ORDER BY version`, id)
	if err != nil {
		return nil, s.Error("read customer history", err)
	}
	defer rows.Close()
	out := []customer.Change{}
	for rows.Next() {
		var ch customer.Change
		var at int64
		if err := rows.Scan(&ch.Version, &ch.Action, &ch.From, &ch.To, &ch.Reason, &ch.Source, &at); err != nil {
			return nil, s.Error("read customer history", err)
		}
		ch.At = sqlstore.Time(at)
		out = append(out, ch)
	}
	return out, s.Error("read customer history", rows.Err())
}

// AddNotification implements customers.Views.
func (s *Store) AddNotification(ctx context.Context, customerID string, n customer.Notification) error {
	return s.Write(ctx, func(t *sqlstore.Tx) error {
		// The same notification reported by two events is kept once.
		_, err := t.Exec(`INSERT INTO customer_notifications (id, customer_id, event_id, channel, template, recipient, subject, status, sent_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
			n.ID, customerID, n.EventID, n.Channel, n.Template, n.Recipient, n.Subject, n.Status, sqlstore.Nanos(n.SentAt))
		if errors.Is(err, gorm.ErrForeignKeyViolated) {
			return customer.ErrNotFound.With(customerID, nil)
		}
		return s.Error("record notification", err)
	})
}

// Notifications implements customers.Views.
func (s *Store) Notifications(ctx context.Context, customerID string) ([]customer.Notification, error) {
	if _, err := s.get(s.Conn(ctx), customerID); err != nil {
		return nil, err
	}
	rows, err := s.Conn(ctx).Query(`SELECT id, event_id, channel, template, recipient, subject, status, sent_at FROM customer_notifications
		WHERE customer_id = $1 ORDER BY sent_at DESC, id DESC`, customerID)
	if err != nil {
		return nil, s.Error("read notifications", err)
	}
	defer rows.Close()
	out := []customer.Notification{}
	for rows.Next() {
		var n customer.Notification
		var at int64
		if err := rows.Scan(&n.ID, &n.EventID, &n.Channel, &n.Template, &n.Recipient, &n.Subject, &n.Status, &at); err != nil {
			return nil, s.Error("read notifications", err)
		}
		n.SentAt = sqlstore.Time(at)
		out = append(out, n)
	}
	return out, s.Error("read notifications", rows.Err())
}

// values are c's columns, in the order of columns.
func values(c *customer.Customer) []any {
	birth := ""
	if !c.BirthDate.IsZero() {
		birth = c.BirthDate.Format(time.DateOnly)
	}
	var minor *int64
	var currency, method, description *string
	if p := c.FirstPayment; p != nil {
		m := string(p.Method)
		minor, currency, method, description = &p.Amount.Minor, &p.Amount.Currency, &m, &p.Description
	}
	return []any{c.ID, c.Name, c.FirstName, c.LastName, string(c.Email), string(c.Phone), c.Document.Type, string(c.Document.Number),
		birth, string(c.Language), string(c.Status), string(c.Tier), sqlstore.Nanos(c.CreatedAt), sqlstore.OptNanos(c.ActivatedAt),
		sqlstore.OptNanos(c.DeactivatedAt), sqlstore.OptNanos(c.FirstPaymentAt), sqlstore.OptNanos(c.PromotedAt), c.DeactivationReason,
		minor, currency, method, description, encodePreferences(c.Preferences), c.Version}
}

// consentRow is a consent as the preferences column holds it.
type consentRow struct {
	Given bool   `json:"given"`
	At    int64  `json:"at"`
	Via   string `json:"via"`
}

// preferencesRow is the preferences column: JSON, one object per consent.
type preferencesRow struct {
	Email     consentRow `json:"email"`
	SMS       consentRow `json:"sms"`
	Marketing consentRow `json:"marketing"`
}

func encodePreferences(p customer.Preferences) string {
	row := func(c customer.Consent) consentRow { return consentRow{c.Given, sqlstore.Nanos(c.At), c.Via} }
	b, _ := json.Marshal(preferencesRow{row(p.Email), row(p.SMS), row(p.Marketing)}) // plain values: cannot fail
	return string(b)
}

// decodePreferences reads the column; empty (a customer stored before it
// existed) is today's behaviour, never asked, since created.
func decodePreferences(s string, created time.Time) (customer.Preferences, error) {
	if s == "" {
		given := customer.Consent{Given: true, At: created, Via: customer.ViaDefault}
		return customer.Preferences{Email: given, SMS: given, Marketing: given}, nil
	}
	var r preferencesRow
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return customer.Preferences{}, fmt.Errorf("read preferences: %w", err)
	}
	c := func(r consentRow) customer.Consent {
		return customer.Consent{Given: r.Given, At: sqlstore.Time(r.At), Via: r.Via}
	}
	return customer.Preferences{Email: c(r.Email), SMS: c(r.SMS), Marketing: c(r.Marketing)}, nil
}

// scanCustomer reads a row of columns.
func scanCustomer(row interface{ Scan(...any) error }) (customer.Customer, error) {
	var (
		c                                                  customer.Customer
		email, phone, docNumber, birth, language, status   string
		level                                              string
		created                                            int64
		activated, deactivated, firstPaid, promoted, minor *int64
		currency, method, description                      *string
		preferences                                        string
	)
	err := row.Scan(&c.ID, &c.Name, &c.FirstName, &c.LastName, &email, &phone, &c.Document.Type, &docNumber, &birth, &language,
		&status, &level, &created, &activated, &deactivated, &firstPaid, &promoted, &c.DeactivationReason,
		&minor, &currency, &method, &description, &preferences, &c.Version)
	if err != nil {
		return customer.Customer{}, err
	}
	if c.Preferences, err = decodePreferences(preferences, sqlstore.Time(created)); err != nil {
		return customer.Customer{}, err
	}
	c.Email, c.Phone, c.Document.Number = pii.Email(email), pii.Phone(phone), pii.DocumentNumber(docNumber)
	c.Language, c.Status, c.Tier = locale.Language(language), customer.Status(status), tier.Tier(level)
	c.CreatedAt, c.ActivatedAt, c.DeactivatedAt = sqlstore.Time(created), sqlstore.OptTime(activated), sqlstore.OptTime(deactivated)
	c.FirstPaymentAt, c.PromotedAt = sqlstore.OptTime(firstPaid), sqlstore.OptTime(promoted)
	if birth != "" {
		c.BirthDate, _ = time.Parse(time.DateOnly, birth) // written by values in this layout
	}
	if minor != nil {
		c.FirstPayment = &customer.Payment{Amount: money.Amount{Minor: *minor, Currency: deref(currency)},
			Method: customer.PaymentMethod(deref(method)), Description: deref(description), PaidAt: c.FirstPaymentAt}
	}
	return c, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Forget implements ports.Forgetter: beside the outbox and the idempotency
// answers, the free text of the customer's history (reasons an operator
// typed) and their notifications' recipients and subjects.
func (s *Store) Forget(ctx context.Context, customerID string) error {
	if err := s.DB.Forget(ctx, customerID); err != nil {
		return err
	}
	return s.Write(ctx, func(t *sqlstore.Tx) error {
		if _, err := t.Exec("UPDATE customer_history SET reason = '' WHERE customer_id = $1", customerID); err != nil {
			return s.Error("forget the customer's history", err)
		}
		if _, err := t.Exec("UPDATE customer_notifications SET recipient = '', subject = '' WHERE customer_id = $1", customerID); err != nil {
			return s.Error("forget the customer's notifications", err)
		}
		return nil
	})
}
