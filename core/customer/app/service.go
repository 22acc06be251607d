// Package app holds the customer service's use cases: onboarding,
// activation, deactivation, first payment, promotion, applying profiling
// recommendations and recording notifications, plus the reads.
package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/core/pii"
	"github.com/fintechlabs/customers/core/tier"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/customers"
)

// Source names the customer service in the events it emits.
const Source = event.SourceCustomer

// DefaultDeactivationReason is used when a deactivation request gives none
// (the original API has no reason field).
const DefaultDeactivationReason = "no reason given"

// DefaultCurrency is the currency of a payment that names none, unless the
// service is given another with WithDefaultCurrency.
const DefaultCurrency = "EUR"

// Service runs the customer use cases.
type Service struct {
	customers       customers.Store
	views           customers.Views
	inbox           ports.Inbox
	tx              ports.Transactor
	forget          ports.Forgetter
	clock           ports.Clock
	events          event.Factory
	log             *slog.Logger
	defaultCurrency string
}

// Option adjusts a Service.
type Option func(*Service)

// WithDefaultCurrency sets the currency of payments that name none (the
// original's clients never do). currency must be an ISO 4217 code.
func WithDefaultCurrency(currency string) Option {
	return func(s *Service) { s.defaultCurrency = currency }
}

// Storage is where the customer service keeps its data.
type Storage struct {
	Customers customers.Store
	Views     customers.Views
	Inbox     ports.Inbox
	Tx        ports.Transactor
	// Forget erases the copies of an erased customer's data that the
	// database keeps beside the customers (outbox, idempotency answers).
	Forget ports.Forgetter
}

// New returns a Service.
func New(store Storage, clock ports.Clock, ids ports.IDGenerator, log *slog.Logger, opts ...Option) *Service {
	s := &Service{
		customers: store.Customers, views: store.Views, inbox: store.Inbox, tx: store.Tx, forget: store.Forget,
		clock: clock, log: log, defaultCurrency: DefaultCurrency,
		events: event.Factory{Source: Source, NewID: ids.NewID},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Onboard registers a new customer. Errors: fault.Invalid with every bad
// field; customer.ErrEmailTaken.
func (s *Service) Onboard(ctx context.Context, r customer.Registration) (customer.Customer, error) {
	now := s.clock.Now()
	c, happened, err := customer.New(s.events.NewID(), r, now)
	if err != nil {
		return customer.Customer{}, err
	}
	if err := s.customers.Create(ctx, c, s.events.New(ctx, now, payloads(c, now, happened)...)); err != nil {
		return customer.Customer{}, err
	}
	s.log.InfoContext(ctx, "customer onboarded", "customerId", c.ID, "email", c.Email)
	return *c, nil
}

// Activate activates or reactivates a customer. Errors: customer.ErrNotFound,
// customer.ErrAlreadyActive, fault.Invalid for a bad reason.
func (s *Service) Activate(ctx context.Context, id, reason string) (customer.Customer, error) {
	return s.change(ctx, id, func(c *customer.Customer, now time.Time) ([]customer.Event, error) {
		return c.Activate(now, strings.TrimSpace(reason))
	})
}

// Deactivate deactivates a customer. An empty reason becomes
// DefaultDeactivationReason. Errors: customer.ErrNotFound,
// customer.ErrAlreadyInactive, fault.Invalid for a bad reason.
func (s *Service) Deactivate(ctx context.Context, id, reason string) (customer.Customer, error) {
	if reason = strings.TrimSpace(reason); reason == "" {
		reason = DefaultDeactivationReason
	}
	return s.change(ctx, id, func(c *customer.Customer, now time.Time) ([]customer.Event, error) {
		return c.Deactivate(now, reason)
	})
}

// RecordFirstPayment records an active customer's first payment, in the
// default currency when r names none. Errors: fault.Invalid for a bad
// payment (checked before the customer is looked up); customer.ErrNotFound,
// ErrNotActive, ErrFirstPaymentTaken.
func (s *Service) RecordFirstPayment(ctx context.Context, id string, r customer.PaymentRequest) (customer.Customer, error) {
	if strings.TrimSpace(r.Currency) == "" {
		r.Currency = s.defaultCurrency
	}
	p, err := customer.ParsePayment(r)
	if err != nil {
		return customer.Customer{}, err
	}
	return s.change(ctx, id, func(c *customer.Customer, now time.Time) ([]customer.Event, error) {
		return c.RecordFirstPayment(now, p)
	})
}

// Promote moves an active customer to tier, or to the next tier when tier is
// empty. Errors: fault.Invalid for an unknown tier or bad reason;
// customer.ErrNotFound, ErrNotActive, ErrTopTier, ErrTierNotHigher.
func (s *Service) Promote(ctx context.Context, id, newTier, reason string) (customer.Customer, error) {
	var target tier.Tier
	if strings.TrimSpace(newTier) != "" {
		t, err := tier.Parse(newTier)
		if err != nil {
			var bad fault.Fields
			bad.Add("newTier", err.Error())
			return customer.Customer{}, bad.Err("invalid promotion")
		}
		target = t
	}
	return s.change(ctx, id, func(c *customer.Customer, now time.Time) ([]customer.Event, error) {
		return c.Promote(now, target, strings.TrimSpace(reason), customer.Manual)
	})
}

// SetPreferences changes which messages a customer accepts, and their
// language. Errors: customer.ErrNotFound, customer.ErrErased, fault.Invalid
// for a bad channel or language.
func (s *Service) SetPreferences(ctx context.Context, id string, r customer.PreferencesRequest) (customer.Customer, error) {
	return s.change(ctx, id, func(c *customer.Customer, now time.Time) ([]customer.Event, error) {
		return c.SetPreferences(now, r)
	})
}

// Erase forgets a customer at their request (customer.Erase): the
// tombstone, its customer.erased event and the erasure of the copies the
// database keeps commit together, then the database's files are rewritten
// without the deleted rows. Erasing an erased customer again returns it
// unchanged. Errors: customer.ErrNotFound.
func (s *Service) Erase(ctx context.Context, id string) (customer.Customer, error) {
	var c customer.Customer
	erased := false
	err := s.tx.Transact(ctx, func(ctx context.Context) (err error) {
		c, err = s.customers.Update(ctx, id, func(c *customer.Customer) ([]event.Event, error) {
			now := s.clock.Now()
			happened, err := c.Erase(now)
			if err != nil || len(happened) == 0 {
				return nil, err
			}
			erased = true
			// The copies go before the event is added: it is the one
			// record about the customer left to publish.
			if err := s.forget.Forget(ctx, id); err != nil {
				return nil, err
			}
			return s.events.New(ctx, now, payloads(c, now, happened)...), nil
		})
		return err
	})
	if err != nil || !erased {
		return c, err
	}
	if err := s.forget.Purge(ctx); err != nil {
		s.log.WarnContext(ctx, "erased rows may stay in the database's files until its next checkpoint", "customerId", id, "error", err)
	}
	s.log.InfoContext(ctx, "customer erased", "customerId", id)
	return c, nil
}

// change runs a transition requested over the API and logs its events.
func (s *Service) change(ctx context.Context, id string, transition func(*customer.Customer, time.Time) ([]customer.Event, error)) (customer.Customer, error) {
	c, err := s.customers.Update(ctx, id, func(c *customer.Customer) ([]event.Event, error) {
		now := s.clock.Now()
		happened, err := transition(c, now)
		if err != nil {
			return nil, err
		}
		return s.events.New(ctx, now, payloads(c, now, happened)...), nil
	})
	if err != nil {
		return customer.Customer{}, err
	}
	s.log.InfoContext(ctx, "customer changed", "customerId", c.ID, "status", c.Status, "tier", c.Tier, "version", c.Version)
	return c, nil
}

// Get returns a customer. Errors: customer.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (customer.Customer, error) {
	return s.customers.Get(ctx, id)
}

// List returns a page of customers, optionally filtered by status, tier and
// email. Errors: fault.Invalid for an unknown status or tier, an email that
// is not one, or a bad page request.
func (s *Service) List(ctx context.Context, status, level, email string, p page.Request) (customer.Page, error) {
	var f customer.Filter
	var bad fault.Fields
	var err error
	if status != "" {
		f.Status, err = customer.ParseStatus(status)
		bad.Check("status", err)
	}
	if level != "" {
		f.Tier, err = tier.Parse(level)
		bad.Check("tier", err)
	}
	if email != "" {
		f.Email, err = pii.ParseEmail(email)
		bad.Check("email", err)
	}
	w, err := p.Parse()
	if e, ok := fault.As(err); ok {
		bad = append(bad, e.Fields...)
	}
	if err := bad.Err("invalid customer query"); err != nil {
		return customer.Page{}, err
	}
	return s.views.List(ctx, f, w)
}

// History returns a customer's status history. Errors: customer.ErrNotFound.
func (s *Service) History(ctx context.Context, id string) ([]customer.Change, error) {
	return s.views.History(ctx, id)
}

// Notifications returns the messages sent to a customer. Errors:
// customer.ErrNotFound.
func (s *Service) Notifications(ctx context.Context, id string) ([]customer.Notification, error) {
	return s.views.Notifications(ctx, id)
}
