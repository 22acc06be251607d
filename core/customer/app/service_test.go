package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/customer/app"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/core/tier"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/mocks"
)

var now = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

type fixture struct {
	svc       *app.Service
	customers *mocks.MockCustomerStore
	views     *mocks.MockCustomerViews
	inbox     *mocks.MockInbox
	forget    *mocks.MockForgetter
}

func setup(t *testing.T) fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	f := fixture{customers: mocks.NewMockCustomerStore(ctrl), views: mocks.NewMockCustomerViews(ctrl), inbox: mocks.NewMockInbox(ctrl),
		forget: mocks.NewMockForgetter(ctrl)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := app.Storage{Customers: f.customers, Views: f.views, Inbox: f.inbox, Tx: inline(t), Forget: f.forget}
	f.svc = app.New(store, clockAt(t, now), ids(t), log)
	return f
}

// inline is a unit of work that runs its function as it is: what commits
// together is the stores' contract (adapters/storetest), not the use
// cases'.
func inline(t *testing.T) *mocks.MockTransactor {
	t.Helper()
	tx := mocks.NewMockTransactor(gomock.NewController(t))
	tx.EXPECT().Transact(gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }).AnyTimes()
	return tx
}

// claims expects the event to be claimed in the inbox, with result err.
func (f fixture) claims(eventID string, err error) {
	f.inbox.EXPECT().Claim(gomock.Any(), eventID).Return(err)
}

// clockAt is a clock stopped at at.
func clockAt(t *testing.T, at time.Time) *mocks.MockClock {
	t.Helper()
	clock := mocks.NewMockClock(gomock.NewController(t))
	clock.EXPECT().Now().Return(at).AnyTimes()
	return clock
}

// ids hands out id-1, id-2...
func ids(t *testing.T) *mocks.MockIDGenerator {
	t.Helper()
	gen := mocks.NewMockIDGenerator(gomock.NewController(t))
	n := 0
	gen.EXPECT().NewID().DoAndReturn(func() string { n++; return fmt.Sprintf("id-%d", n) }).AnyTimes()
	return gen
}

// existing returns a customer in status with tier, as loaded from storage.
func existing(t *testing.T, status customer.Status, tier tier.Tier) *customer.Customer {
	t.Helper()
	c, _, err := customer.New("c1", customer.Registration{Name: "Ana", Email: "ana@example.es", Phone: "+34600111222"}, now)
	if err != nil {
		t.Fatal(err)
	}
	c.Status, c.Tier, c.Version = status, tier, 5
	return c
}

// update makes Customers.Update run the change against c, as a repository
// would, and captures the events it would commit.
func (f fixture) update(c *customer.Customer, committed *[]event.Event) {
	f.customers.EXPECT().Update(gomock.Any(), c.ID, gomock.Any()).DoAndReturn(
		func(_ context.Context, _ string, change func(*customer.Customer) ([]event.Event, error)) (customer.Customer, error) {
			copy := *c
			events, err := change(&copy)
			if err != nil {
				return customer.Customer{}, err
			}
			*committed = events
			*c = copy
			return copy, nil
		})
}

func TestOnboardingStoresTheCustomerWithItsEventsInOneCall(t *testing.T) {
	f := setup(t)
	var stored *customer.Customer
	var events []event.Event
	f.customers.EXPECT().Create(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, c *customer.Customer, e []event.Event) error {
			stored, events = c, e
			return nil
		})
	c, err := f.svc.Onboard(context.Background(), customer.Registration{
		FirstName: "John", LastName: "Doe", Email: "john.doe@example.com", Phone: "+1234567890"})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "id-1" || stored.ID != c.ID || c.Name != "John Doe" {
		t.Fatalf("customer = %+v", c)
	}
	if len(events) != 2 || events[0].Type != event.TopicRegistered || events[1].Type != event.TopicOnboarded {
		t.Fatalf("events = %+v", events)
	}
	for _, e := range events {
		if e.Source != app.Source || e.Subject != c.ID || !e.Time.Equal(now) || e.ID == c.ID {
			t.Fatalf("metadata = %+v", e.Metadata)
		}
	}
}

func TestOnboardingRefusesInvalidInputWithoutTouchingStorage(t *testing.T) {
	f := setup(t) // no Create expected: a call fails the test
	_, err := f.svc.Onboard(context.Background(), customer.Registration{Email: "nope"})
	if fault.KindOf(err) != fault.Invalid {
		t.Fatalf("error = %v", err)
	}
}

func TestOnboardingADuplicateEmailIsAConflict(t *testing.T) {
	f := setup(t)
	f.customers.EXPECT().Create(gomock.Any(), gomock.Any(), gomock.Any()).Return(customer.ErrEmailTaken)
	_, err := f.svc.Onboard(context.Background(), customer.Registration{Name: "Ana", Email: "ana@example.es", Phone: "+34600111222"})
	if !errors.Is(err, customer.ErrEmailTaken) {
		t.Fatalf("error = %v", err)
	}
}

// transition runs an API request against a stored customer in status and
// tier, and returns its answer, the events it committed and its error.
func transition(t *testing.T, status customer.Status, tier tier.Tier,
	request func(context.Context, *app.Service) (customer.Customer, error)) (customer.Customer, []event.Event, error) {
	t.Helper()
	f := setup(t)
	c := existing(t, status, tier)
	var committed []event.Event
	f.update(c, &committed)
	got, err := request(context.Background(), f.svc)
	if err != nil && (committed != nil || c.Version != 5) {
		t.Fatal("a refused transition committed something")
	}
	if err == nil && (len(committed) != 1 || committed[0].Subject != "c1" || got.Version != 6) {
		t.Fatalf("committed %+v, version %d", committed, got.Version)
	}
	return got, committed, err
}

func TestTransitionsRequestedOverTheAPI(t *testing.T) {
	t.Run("activation of an onboarded customer emits customer.activated", func(t *testing.T) {
		_, committed, err := transition(t, customer.Onboarded, tier.Basic, func(ctx context.Context, s *app.Service) (customer.Customer, error) {
			return s.Activate(ctx, "c1", " kyc ")
		})
		if err != nil || committed[0].Type != event.TopicActivated || committed[0].Data.(event.Activated).Reason != "kyc" {
			t.Fatalf("committed %+v, %v (the reason must be trimmed)", committed, err)
		}
	})
	t.Run("deactivation without a reason uses the default reason", func(t *testing.T) {
		got, committed, err := transition(t, customer.Active, tier.Basic, func(ctx context.Context, s *app.Service) (customer.Customer, error) {
			return s.Deactivate(ctx, "c1", "  ")
		})
		if err != nil || committed[0].Type != event.TopicDeactivated || got.DeactivationReason != app.DefaultDeactivationReason {
			t.Fatalf("reason %q, committed %+v, %v", got.DeactivationReason, committed, err)
		}
	})
	t.Run("a first payment of an active customer emits customer.firstPayment", func(t *testing.T) {
		_, committed, err := transition(t, customer.Active, tier.Basic, func(ctx context.Context, s *app.Service) (customer.Customer, error) {
			return s.RecordFirstPayment(ctx, "c1", customer.PaymentRequest{Amount: "1500.50", Currency: "EUR"})
		})
		if err != nil || committed[0].Type != event.TopicFirstPayment || committed[0].Data.(event.FirstPayment).Payment.AmountMinor != 150050 {
			t.Fatalf("committed %+v, %v", committed, err)
		}
	})
	t.Run("a promotion without tier goes to the next tier", func(t *testing.T) {
		got, committed, err := transition(t, customer.Active, tier.Basic, func(ctx context.Context, s *app.Service) (customer.Customer, error) {
			return s.Promote(ctx, "c1", "", "")
		})
		if err != nil || got.Tier != tier.Premium || committed[0].Data.(event.Promoted).Source != "manual" {
			t.Fatalf("tier %s, committed %+v, %v", got.Tier, committed, err)
		}
	})
	t.Run("a promotion to a named tier", func(t *testing.T) {
		got, committed, err := transition(t, customer.Active, tier.Basic, func(ctx context.Context, s *app.Service) (customer.Customer, error) {
			return s.Promote(ctx, "c1", "VIP", "loyal")
		})
		if err != nil || got.Tier != tier.VIP || committed[0].Data.(event.Promoted).Reason != "loyal" {
			t.Fatalf("tier %s, committed %+v, %v", got.Tier, committed, err)
		}
	})
}

func TestImpossibleTransitionsAreRefusedAndCommitNothing(t *testing.T) {
	tests := []struct {
		name   string
		status customer.Status
		action string
		want   error
	}{
		{name: "activating an active customer", status: customer.Active, action: "activate", want: customer.ErrAlreadyActive},
		{name: "a first payment of an onboarded customer", status: customer.Onboarded, action: "first payment", want: customer.ErrNotActive},
		{name: "promoting an inactive customer", status: customer.Inactive, action: "promote", want: customer.ErrNotActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := transition(t, tt.status, tier.Basic, func(ctx context.Context, s *app.Service) (customer.Customer, error) {
				switch tt.action {
				case "activate":
					return s.Activate(ctx, "c1", "")
				case "first payment":
					return s.RecordFirstPayment(ctx, "c1", customer.PaymentRequest{Amount: "1", Currency: "EUR"})
				}
				return s.Promote(ctx, "c1", "", "")
			})
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAPaymentWithoutCurrencyIsInTheDefaultCurrency(t *testing.T) {
	tests := []struct {
		name string
		opts []app.Option
		want string
	}{
		{"the built-in default", nil, app.DefaultCurrency},
		{"a configured default", []app.Option{app.WithDefaultCurrency("ARS")}, "ARS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			store := app.Storage{Customers: f.customers, Views: f.views, Inbox: f.inbox, Tx: inline(t)}
			f.svc = app.New(store, clockAt(t, now), ids(t), slog.New(slog.NewTextHandler(io.Discard, nil)), tt.opts...)
			var committed []event.Event
			f.update(existing(t, customer.Active, tier.Basic), &committed)
			c, err := f.svc.RecordFirstPayment(context.Background(), "c1", customer.PaymentRequest{Amount: "100"})
			if err != nil {
				t.Fatal(err)
			}
			p := committed[0].Data.(event.FirstPayment).Payment
			if c.FirstPayment.Amount.Currency != tt.want || p.Currency != tt.want || p.Exact() != "100.00" || p.Amount != "100.00" {
				t.Fatalf("customer payment %+v, event payment %+v", c.FirstPayment, p)
			}
		})
	}
}

func TestInvalidRequestsNeverReachStorage(t *testing.T) {
	f := setup(t) // no Update expected
	tests := []struct {
		name string
		call func() error
	}{
		{"a payment in a malformed currency", func() error {
			_, err := f.svc.RecordFirstPayment(context.Background(), "c1", customer.PaymentRequest{Amount: "1", Currency: "EURO"})
			return err
		}},
		{"a promotion to an unknown tier", func() error {
			_, err := f.svc.Promote(context.Background(), "c1", "gold", "")
			return err
		}},
		{"a list filtered by an unknown status, tier, a bad email and limit", func() error {
			_, err := f.svc.List(context.Background(), "zombie", "gold", "not-an-email", page.Request{Limit: 1000})
			if e, _ := fault.As(err); len(e.Fields) != 4 {
				return fmt.Errorf("want four field errors: %w", err)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); fault.KindOf(err) != fault.Invalid {
				t.Fatalf("error = %v, want invalid", err)
			}
		})
	}
}

func TestReadsComeFromStorage(t *testing.T) {
	f := setup(t)
	c := existing(t, customer.Active, tier.Basic)
	f.customers.EXPECT().Get(gomock.Any(), "c1").Return(*c, nil)
	f.views.EXPECT().List(gomock.Any(), customer.Filter{Status: customer.Active, Tier: tier.VIP, Email: "ana@example.es"}, page.Window{Limit: 5}).
		Return(customer.Page{Customers: []customer.Customer{*c}}, nil)
	f.views.EXPECT().History(gomock.Any(), "c1").Return(c.Changes(), nil)
	f.views.EXPECT().Notifications(gomock.Any(), "c9").Return(nil, customer.ErrNotFound)

	if got, err := f.svc.Get(context.Background(), "c1"); err != nil || got.ID != "c1" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if p, err := f.svc.List(context.Background(), "active", "vip", "ana@example.es", page.Request{Limit: 5}); err != nil || len(p.Customers) != 1 {
		t.Fatalf("List = %+v, %v", p, err)
	}
	if h, err := f.svc.History(context.Background(), "c1"); err != nil || len(h) != 1 {
		t.Fatalf("History = %+v, %v", h, err)
	}
	if _, err := f.svc.Notifications(context.Background(), "c9"); !errors.Is(err, customer.ErrNotFound) {
		t.Fatalf("Notifications error = %v", err)
	}
}

func consumed(d event.Data) event.Event {
	return event.Event{Metadata: event.Metadata{ID: "evt-1", Type: d.Topic(), Subject: d.Key()}, Data: d}
}

func profiled(promote bool, tier string) event.Event {
	return consumed(event.Profiled{CustomerID: "c1", Promote: promote, Timestamp: now,
		Profile: event.Profile{Score: 85, RecommendedTier: tier}})
}

func TestApplyingProfilesFromProfiling(t *testing.T) {
	tests := []struct {
		name   string
		status customer.Status
		tier   tier.Tier
		event  event.Event
		want   tier.Tier
		topics int
	}{
		{"a recommended higher tier promotes an active customer", customer.Active, tier.Basic, profiled(true, "vip"), tier.VIP, 1},
		{"a recommendation for an inactive customer changes nothing", customer.Inactive, tier.Basic, profiled(true, "vip"), tier.Basic, 0},
		{"a recommendation for an onboarded customer changes nothing", customer.Onboarded, tier.Basic, profiled(true, "premium"), tier.Basic, 0},
		{"a recommendation not above the tier changes nothing", customer.Active, tier.VIP, profiled(true, "premium"), tier.VIP, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			c := existing(t, tt.status, tt.tier)
			var committed []event.Event
			f.claims("evt-1", nil)
			f.update(c, &committed)
			if err := f.svc.Handle(context.Background(), tt.event); err != nil {
				t.Fatal(err)
			}
			if c.Tier != tt.want || len(committed) != tt.topics {
				t.Fatalf("tier %s, committed %+v", c.Tier, committed)
			}
			if tt.topics == 1 {
				p := committed[0].Data.(event.Promoted)
				if p.Source != "profiling" || p.Reason != "profiling recommends vip" {
					t.Fatalf("promoted = %+v", p)
				}
			}
		})
	}
}

func TestProfilesThatAskForNothingTouchNothing(t *testing.T) {
	f := setup(t) // no storage call expected: a call fails the test
	if err := f.svc.Handle(context.Background(), profiled(false, "basic")); err != nil {
		t.Fatal(err)
	}
}

func TestAProfileForAnUnknownCustomerIsMarkedHandled(t *testing.T) {
	f := setup(t)
	f.claims("evt-1", nil)
	f.customers.EXPECT().Update(gomock.Any(), "c1", gomock.Any()).Return(customer.Customer{}, customer.ErrNotFound)
	if err := f.svc.Handle(context.Background(), profiled(true, "vip")); err != nil {
		t.Fatal(err)
	}
}

func TestARedeliveredEventHasNoSecondEffect(t *testing.T) {
	f := setup(t)
	f.claims("evt-1", ports.ErrAlreadyHandled) // and no Update
	if err := f.svc.Handle(context.Background(), profiled(true, "vip")); err != nil {
		t.Fatalf("a duplicate should be skipped quietly, got %v", err)
	}
}

func TestPoisonAndFailuresWhileHandling(t *testing.T) {
	t.Run("a recommended tier that does not exist is poison", func(t *testing.T) {
		f := setup(t)
		if err := f.svc.Handle(context.Background(), profiled(true, "gold")); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("an event the service does not consume is poison", func(t *testing.T) {
		f := setup(t)
		err := f.svc.Handle(context.Background(), consumed(event.Onboarded{}))
		if fault.KindOf(err) != fault.Invalid {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a storage failure is returned for retry", func(t *testing.T) {
		f := setup(t)
		boom := errors.New("disk")
		f.claims("evt-1", nil)
		f.customers.EXPECT().Update(gomock.Any(), "c1", gomock.Any()).Return(customer.Customer{}, boom)
		if err := f.svc.Handle(context.Background(), profiled(true, "vip")); !errors.Is(err, boom) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a transition error other than not-active is returned", func(t *testing.T) {
		f := setup(t)
		c := existing(t, customer.Active, tier.Basic)
		var committed []event.Event
		f.claims("evt-1", nil)
		f.update(c, &committed)
		e := profiled(true, "vip")
		p := e.Data.(event.Profiled)
		p.Reason = "bad\x00reason"
		e.Data = p
		if err := f.svc.Handle(context.Background(), e); fault.KindOf(err) != fault.Invalid || committed != nil {
			t.Fatalf("error = %v", err)
		}
	})
}

func sent(customerID string) event.Event {
	return consumed(event.NotificationSent{NotificationID: "n1", CustomerID: customerID, Channel: "email",
		Template: "welcome", Recipient: "ana@example.es", Subject: "Hola", Status: "sent", Timestamp: now})
}

// The store keeps a notification once by its id (the contract in
// sqlstoretest), so handling one claims no inbox row: the strict inbox mock
// fails the test on any Claim.
func TestNotificationsAreRecordedInTheCustomersHistory(t *testing.T) {
	f := setup(t)
	f.customers.EXPECT().Get(gomock.Any(), "c1").Return(*existing(t, customer.Active, tier.Basic), nil)
	f.views.EXPECT().AddNotification(gomock.Any(), "c1", customer.Notification{
		ID: "n1", EventID: "evt-1", Channel: "email", Template: "welcome", Recipient: "ana@example.es",
		Subject: "Hola", Status: "sent", SentAt: now,
	}).Return(nil)
	if err := f.svc.Handle(context.Background(), sent("c1")); err != nil {
		t.Fatal(err)
	}
}

func TestNotificationsForUnknownRecipientsAreNotRecorded(t *testing.T) {
	t.Run("no customer id", func(t *testing.T) {
		f := setup(t)
		if err := f.svc.Handle(context.Background(), sent("")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a customer id nobody issued", func(t *testing.T) {
		f := setup(t)
		f.customers.EXPECT().Get(gomock.Any(), "customer_1234567890").Return(customer.Customer{}, customer.ErrNotFound)
		if err := f.svc.Handle(context.Background(), sent("customer_1234567890")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a failing lookup is returned for retry", func(t *testing.T) {
		f := setup(t)
		boom := errors.New("disk")
		f.customers.EXPECT().Get(gomock.Any(), "c1").Return(customer.Customer{}, boom)
		if err := f.svc.Handle(context.Background(), sent("c1")); !errors.Is(err, boom) {
			t.Fatalf("error = %v", err)
		}
	})
}
