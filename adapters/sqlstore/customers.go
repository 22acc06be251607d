package sqlstore

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/money"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/core/pii"
	"github.com/fintechlabs/customers/ports"
)

// Customers implements ports.Customers.
type Customers struct{ db *DB }

var (
	_ ports.Customers     = (*Customers)(nil)
	_ ports.CustomerViews = (*Customers)(nil)
)

// CustomerStore is the customer service's database: its customers, outbox and
// inbox. Nothing else can be had from it.
type CustomerStore struct{ *DB }

// OpenCustomers opens (creating and migrating if needed) the customer service's
// database that engine holds.
func OpenCustomers(ctx context.Context, engine Engine, clock ports.Clock, log *slog.Logger) (*CustomerStore, error) {
	return openStore(ctx, engine, CustomerSchema, clock, log, func(db *DB) *CustomerStore { return &CustomerStore{db} })
}

// Customers returns the store's customers.
func (s *CustomerStore) Customers() *Customers { return &Customers{db: s.DB} }

type customerRow struct {
	ID                 string  `gorm:"column:id;primaryKey"`
	Name               string  `gorm:"column:name"`
	FirstName          string  `gorm:"column:first_name"`
	LastName           string  `gorm:"column:last_name"`
	Email              string  `gorm:"column:email"`
	Phone              string  `gorm:"column:phone"`
	DocumentType       string  `gorm:"column:document_type"`
	DocumentNumber     string  `gorm:"column:document_number"`
	BirthDate          string  `gorm:"column:birth_date"`
	Language           string  `gorm:"column:language"`
	Status             string  `gorm:"column:status"`
	Tier               string  `gorm:"column:tier"`
	CreatedAt          int64   `gorm:"column:created_at;autoCreateTime:false"`
	ActivatedAt        *int64  `gorm:"column:activated_at"`
	DeactivatedAt      *int64  `gorm:"column:deactivated_at"`
	FirstPaymentAt     *int64  `gorm:"column:first_payment_at"`
	PromotedAt         *int64  `gorm:"column:promoted_at"`
	DeactivationReason string  `gorm:"column:deactivation_reason"`
	PaymentMinor       *int64  `gorm:"column:payment_minor"`
	PaymentCurrency    *string `gorm:"column:payment_currency"`
	PaymentMethod      *string `gorm:"column:payment_method"`
	PaymentDescription *string `gorm:"column:payment_description"`
	Version            int64   `gorm:"column:version"`
}

func (customerRow) TableName() string { return "customers" }

type historyRow struct {
	CustomerID string `gorm:"column:customer_id;primaryKey"`
	Version    int64  `gorm:"column:version;primaryKey"`
	Action     string `gorm:"column:action"`
	From       string `gorm:"column:from_value"`
	To         string `gorm:"column:to_value"`
	Reason     string `gorm:"column:reason"`
	Source     string `gorm:"column:source"`
	At         int64  `gorm:"column:at"`
}

func (historyRow) TableName() string { return "customer_history" }

type notificationRow struct {
	ID         string `gorm:"column:id;primaryKey"`
	CustomerID string `gorm:"column:customer_id"`
	EventID    string `gorm:"column:event_id"`
	Channel    string `gorm:"column:channel"`
	Template   string `gorm:"column:template"`
	Recipient  string `gorm:"column:recipient"`
	Subject    string `gorm:"column:subject"`
	Status     string `gorm:"column:status"`
	SentAt     int64  `gorm:"column:sent_at"`
}

func (notificationRow) TableName() string { return "customer_notifications" }

// Create implements ports.Customers.
func (s *Customers) Create(ctx context.Context, c *customer.Customer, events []event.Event) error {
	return s.db.write(ctx, func(t *tx) error {
		err := t.insert(toCustomerRow(c))
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return customer.ErrEmailTaken
		}
		if err != nil {
			return s.db.storageError("insert customer", err)
		}
		return s.saveChanges(t, c, events)
	})
}

// Update implements ports.Customers.
func (s *Customers) Update(ctx context.Context, id string, change func(*customer.Customer) ([]event.Event, error)) (customer.Customer, error) {
	var out customer.Customer
	err := s.db.write(ctx, func(t *tx) error {
		c, err := s.get(t.forUpdate(), id) // concurrent updates take turns
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
		n, err := t.update(toCustomerRow(&c), "id = ? AND version = ?", id, before)
		switch {
		case errors.Is(err, gorm.ErrDuplicatedKey):
			return customer.ErrEmailTaken
		case err != nil:
			return s.db.storageError("update customer", err)
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
func (s *Customers) saveChanges(t *tx, c *customer.Customer, events []event.Event) error {
	for _, ch := range c.Changes() {
		err := t.insert(&historyRow{CustomerID: c.ID, Version: ch.Version, Action: string(ch.Action), From: ch.From, To: ch.To,
			Reason: ch.Reason, Source: string(ch.Source), At: nanos(ch.At)})
		if err != nil {
			return s.db.storageError("append customer history", err)
		}
	}
	return t.addEvents(events)
}

// Get implements ports.Customers.
func (s *Customers) Get(ctx context.Context, id string) (customer.Customer, error) {
	return s.get(s.db.source(ctx), id)
}

func (s *Customers) get(src source, id string) (customer.Customer, error) {
	row, found, err := take[customerRow](src, "WHERE id = ?", id)
	if err != nil {
		return customer.Customer{}, s.db.storageError("read customer", err)
	}
	if !found {
		return customer.Customer{}, customer.ErrNotFound.With(id, nil)
	}
	return row.toCustomer(), nil
}

// List implements ports.CustomerViews.
func (s *Customers) List(ctx context.Context, f customer.Filter, w page.Window) (customer.Page, error) {
	q := s.db.read(ctx).Model(&customerRow{})
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.Tier != "" {
		q = q.Where("tier = ?", string(f.Tier))
	}
	if f.Email != "" {
		q = q.Where("lower(email) = lower(?)", string(f.Email)) // the unique index's expression
	}
	if w.After != "" {
		q = q.Where("id > ?", w.After)
	}
	var rows []customerRow
	if err := q.Order("id").Limit(w.Limit + 1).Find(&rows).Error; err != nil {
		return customer.Page{}, s.db.storageError("list customers", err)
	}
	rows, next := page.Next(rows, w, func(r customerRow) string { return r.ID })
	out := customer.Page{Customers: make([]customer.Customer, len(rows)), Next: next}
	for i, r := range rows {
		out.Customers[i] = r.toCustomer()
	}
	return out, nil
}

// History implements ports.CustomerViews.
func (s *Customers) History(ctx context.Context, id string) ([]customer.Change, error) {
	if err := s.exists(ctx, id); err != nil {
		return nil, err
	}
	var rows []historyRow
	if err := s.db.read(ctx).Where("customer_id = ?", id).Order("version").Find(&rows).Error; err != nil {
		return nil, s.db.storageError("read customer history", err)
	}
	out := make([]customer.Change, len(rows))
	for i, r := range rows {
		out[i] = customer.Change{Action: customer.Action(r.Action), From: r.From, To: r.To, Reason: r.Reason,
			Source: customer.Source(r.Source), At: fromNanos(r.At), Version: r.Version}
	}
	return out, nil
}

// AddNotification implements ports.CustomerViews.
func (s *Customers) AddNotification(ctx context.Context, customerID string, n customer.Notification) error {
	return s.db.write(ctx, func(t *tx) error {
		// The same notification reported by two events is kept once.
		_, err := t.insertNew(&notificationRow{ID: n.ID, CustomerID: customerID, EventID: n.EventID, Channel: n.Channel,
			Template: n.Template, Recipient: n.Recipient, Subject: n.Subject, Status: n.Status, SentAt: nanos(n.SentAt)})
		if errors.Is(err, gorm.ErrForeignKeyViolated) {
			return customer.ErrNotFound.With(customerID, nil)
		}
		return s.db.storageError("record notification", err)
	})
}

// Notifications implements ports.CustomerViews.
func (s *Customers) Notifications(ctx context.Context, customerID string) ([]customer.Notification, error) {
	if err := s.exists(ctx, customerID); err != nil {
		return nil, err
	}
	var rows []notificationRow
	err := s.db.read(ctx).Where("customer_id = ?", customerID).Order("sent_at DESC, id DESC").Find(&rows).Error
	if err != nil {
		return nil, s.db.storageError("read notifications", err)
	}
	out := make([]customer.Notification, len(rows))
	for i, r := range rows {
		out[i] = customer.Notification{ID: r.ID, EventID: r.EventID, Channel: r.Channel, Template: r.Template,
			Recipient: r.Recipient, Subject: r.Subject, Status: r.Status, SentAt: fromNanos(r.SentAt)}
	}
	return out, nil
}

func (s *Customers) exists(ctx context.Context, id string) error {
	_, err := s.get(s.db.source(ctx), id)
	return err
}

func toCustomerRow(c *customer.Customer) *customerRow {
	r := &customerRow{
		ID: c.ID, Name: c.Name, FirstName: c.FirstName, LastName: c.LastName, Email: string(c.Email),
		Phone: string(c.Phone), DocumentType: c.Document.Type, DocumentNumber: string(c.Document.Number),
		Language: string(c.Language), Status: string(c.Status), Tier: string(c.Tier),
		CreatedAt: nanos(c.CreatedAt), ActivatedAt: optNanos(c.ActivatedAt), DeactivatedAt: optNanos(c.DeactivatedAt),
		FirstPaymentAt: optNanos(c.FirstPaymentAt), PromotedAt: optNanos(c.PromotedAt),
		DeactivationReason: c.DeactivationReason, Version: c.Version,
	}
	if !c.BirthDate.IsZero() {
		r.BirthDate = c.BirthDate.Format(customer.DateLayout)
	}
	if p := c.FirstPayment; p != nil {
		method := string(p.Method)
		r.PaymentMinor, r.PaymentCurrency, r.PaymentMethod, r.PaymentDescription = &p.Amount.Minor, &p.Amount.Currency, &method, &p.Description
	}
	return r
}

func (r customerRow) toCustomer() customer.Customer {
	c := customer.Customer{
		ID: r.ID, Name: r.Name, FirstName: r.FirstName, LastName: r.LastName, Email: pii.Email(r.Email),
		Phone: pii.Phone(r.Phone), Document: customer.Document{Type: r.DocumentType, Number: pii.DocumentNumber(r.DocumentNumber)},
		Language: locale.Language(r.Language), Status: customer.Status(r.Status), Tier: customer.Tier(r.Tier),
		CreatedAt: fromNanos(r.CreatedAt), ActivatedAt: fromOptNanos(r.ActivatedAt), DeactivatedAt: fromOptNanos(r.DeactivatedAt),
		FirstPaymentAt: fromOptNanos(r.FirstPaymentAt), PromotedAt: fromOptNanos(r.PromotedAt),
		DeactivationReason: r.DeactivationReason, Version: r.Version,
	}
	if r.BirthDate != "" {
		c.BirthDate, _ = time.Parse(customer.DateLayout, r.BirthDate) // written by toCustomerRow in this layout
	}
	if r.PaymentMinor != nil {
		c.FirstPayment = &customer.Payment{
			Amount: money.Amount{Minor: *r.PaymentMinor, Currency: deref(r.PaymentCurrency)},
			Method: customer.PaymentMethod(deref(r.PaymentMethod)), Description: deref(r.PaymentDescription),
			PaidAt: c.FirstPaymentAt,
		}
	}
	return c
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
