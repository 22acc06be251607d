package sqlstoretest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/core/tier"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/customers"
)

// CustomerStore is what the customer contract needs from an implementation.
type CustomerStore struct {
	Customers customers.Store
	Views     customers.Views
	Outbox    ports.Outbox
	Units
}

func onboarded(id string) event.Data {
	return event.Onboarded{Envelope: event.Envelope{CustomerID: id, Timestamp: now,
		Customer: event.Customer{ID: id, Version: 1}}}
}

// published stands in for the events the customer service publishes for
// what happened to c: one per domain event, which is all the outbox
// contract needs.
func published(c *customer.Customer, happened []customer.Event) []event.Data {
	out := make([]event.Data, len(happened))
	for i := range happened {
		out[i] = onboarded(c.ID)
	}
	return out
}

// newCustomer returns a valid customer with id and a unique email.
func newCustomer(t *testing.T, id string) (*customer.Customer, []event.Data) {
	t.Helper()
	c, happened, err := customer.New(id, customer.Registration{
		FirstName: "Ana", LastName: "López " + id, Email: "ana." + id + "@Example.es", Phone: "+34600111222",
		DocumentType: "DNI", DocumentNumber: "12345678Z", BirthDate: "1990-05-17", Language: "en",
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	return c, published(c, happened)
}

func create(t *testing.T, s CustomerStore, f event.Factory, id string) *customer.Customer {
	t.Helper()
	c, data := newCustomer(t, id)
	mustNot(t, s.Customers.Create(ctx(t), c, f.New(ctx(t), now, data...)), "Create")
	return c
}

// activate changes a stored customer through Update.
func activate(t *testing.T, s CustomerStore, f event.Factory, id string) (customer.Customer, error) {
	t.Helper()
	return s.Customers.Update(ctx(t), id, func(c *customer.Customer) ([]event.Event, error) {
		happened, err := c.Activate(now.Add(time.Minute), "kyc")
		return f.New(ctx(t), now, published(c, happened)...), err
	})
}

// TestCustomers runs the customers.Store contract. open returns an empty store.
func TestCustomers(t *testing.T, open func(t *testing.T) CustomerStore) {
	t.Run("a created customer reads back whole, with its history and events", func(t *testing.T) {
		s, f := open(t), factory("service-customer")
		c := create(t, s, f, "c1")
		got, err := s.Customers.Get(ctx(t), "c1")
		mustNot(t, err, "Get")
		want := c.Saved()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("read back\n%+v\nwant\n%+v", got, want)
		}
		h, err := s.Views.History(ctx(t), "c1")
		mustNot(t, err, "History")
		if len(h) != 1 || h[0].Action != customer.ActionOnboard || !h[0].At.Equal(now) {
			t.Fatalf("history = %+v", h)
		}
		if ids := PendingIDs(t, s.Outbox); len(ids) != 2 {
			t.Fatalf("outbox = %v, want registered and onboarded", ids)
		}
	})

	t.Run("an email is taken whatever its letter case, and the refusal stores nothing", func(t *testing.T) {
		s, f := open(t), factory("service-customer")
		create(t, s, f, "c1")
		dup, data := newCustomer(t, "c2")
		dup.Email = "ANA.C1@example.es"
		err := s.Customers.Create(ctx(t), dup, f.New(ctx(t), now, data...))
		wantErr(t, err, customer.ErrEmailTaken, "duplicate email")
		if fault.KindOf(err) != fault.Conflict {
			t.Fatalf("kind = %v", fault.KindOf(err))
		}
		if _, err := s.Customers.Get(ctx(t), "c2"); !errors.Is(err, customer.ErrNotFound) {
			t.Fatalf("the refused customer was stored: %v", err)
		}
		if ids := PendingIDs(t, s.Outbox); len(ids) != 2 {
			t.Fatalf("the refused customer's events were stored: %v", ids)
		}
	})

	t.Run("an unknown customer is not found", func(t *testing.T) {
		s := open(t)
		_, err := s.Customers.Get(ctx(t), "nobody")
		wantErr(t, err, customer.ErrNotFound, "Get")
		_, err = s.Views.History(ctx(t), "nobody")
		wantErr(t, err, customer.ErrNotFound, "History")
		_, err = s.Views.Notifications(ctx(t), "nobody")
		wantErr(t, err, customer.ErrNotFound, "Notifications")
		_, err = s.Customers.Update(ctx(t), "nobody", func(*customer.Customer) ([]event.Event, error) {
			t.Fatal("change called for an unknown customer")
			return nil, nil
		})
		wantErr(t, err, customer.ErrNotFound, "Update")
	})

	t.Run("an update commits the change, its history and its events together", func(t *testing.T) {
		s, f := open(t), factory("service-customer")
		create(t, s, f, "c1")
		got, err := activate(t, s, f, "c1")
		mustNot(t, err, "Update")
		if got.Status != customer.Active || got.Version != 2 || len(got.Changes()) != 0 {
			t.Fatalf("returned %+v", got)
		}
		stored, _ := s.Customers.Get(ctx(t), "c1")
		if stored.Status != customer.Active || !stored.ActivatedAt.Equal(now.Add(time.Minute)) || stored.Version != 2 {
			t.Fatalf("stored %+v", stored)
		}
		h, _ := s.Views.History(ctx(t), "c1")
		if len(h) != 2 || h[1].To != "active" || h[1].Reason != "kyc" || h[1].Version != 2 {
			t.Fatalf("history = %+v", h)
		}
		if ids := PendingIDs(t, s.Outbox); len(ids) != 3 {
			t.Fatalf("outbox = %v", ids)
		}
	})

	t.Run("a payment survives the round trip", func(t *testing.T) {
		s, f := open(t), factory("service-customer")
		create(t, s, f, "c1")
		_, err := activate(t, s, f, "c1")
		mustNot(t, err, "activate")
		p, err := customer.ParsePayment(customer.PaymentRequest{Amount: "1500.50", Currency: "EUR", Method: "bank_transfer", Description: "top-up"})
		mustNot(t, err, "ParsePayment")
		_, err = s.Customers.Update(ctx(t), "c1", func(c *customer.Customer) ([]event.Event, error) {
			happened, err := c.RecordFirstPayment(now, p)
			return f.New(ctx(t), now, published(c, happened)...), err
		})
		mustNot(t, err, "pay")
		got, _ := s.Customers.Get(ctx(t), "c1")
		fp := got.FirstPayment
		if fp == nil || fp.Amount.Minor != 150050 || fp.Amount.Currency != "EUR" || fp.Method != customer.BankTransfer ||
			fp.Description != "top-up" || !fp.PaidAt.Equal(now) || !got.FirstPaymentAt.Equal(now) {
			t.Fatalf("payment = %+v", fp)
		}
	})

	t.Run("a refused change saves nothing", func(t *testing.T) {
		s, f := open(t), factory("service-customer")
		create(t, s, f, "c1")
		_, err := s.Customers.Update(ctx(t), "c1", func(c *customer.Customer) ([]event.Event, error) {
			happened, err := c.Promote(now, "", "", customer.Manual) // onboarded: refused
			return f.New(ctx(t), now, published(c, happened)...), err
		})
		wantErr(t, err, customer.ErrNotActive, "promote an onboarded customer")
		got, _ := s.Customers.Get(ctx(t), "c1")
		if got.Version != 1 || got.Tier != tier.Basic || len(PendingIDs(t, s.Outbox)) != 2 {
			t.Fatalf("a refused change left traces: %+v", got)
		}
	})

	t.Run("a change that changes nothing saves nothing", func(t *testing.T) {
		s, f := open(t), factory("service-customer")
		create(t, s, f, "c1")
		got, err := s.Customers.Update(ctx(t), "c1", func(*customer.Customer) ([]event.Event, error) { return nil, nil })
		mustNot(t, err, "Update")
		h, _ := s.Views.History(ctx(t), "c1")
		if got.Version != 1 || len(h) != 1 || len(PendingIDs(t, s.Outbox)) != 2 {
			t.Fatalf("a no-op change left traces: version %d, history %d", got.Version, len(h))
		}
	})

	t.Run("a change and its claim commit together", func(t *testing.T) {
		TestUnitsOfWork(t, func(t *testing.T) Units {
			s, f := open(t), factory("service-customer")
			create(t, s, f, "c1")
			u := s.Units
			u.Write = func(c context.Context, n int) error {
				_, err := s.Customers.Update(c, "c1", func(cu *customer.Customer) ([]event.Event, error) {
					happened, err := cu.Promote(now, "", fmt.Sprint("write ", n), customer.Manual)
					if errors.Is(err, customer.ErrNotActive) {
						happened, err = cu.Activate(now, fmt.Sprint("write ", n))
					}
					return f.New(c, now, published(cu, happened)...), err
				})
				return err
			}
			u.Written = func(c context.Context) int {
				got, err := s.Customers.Get(c, "c1")
				mustNot(t, err, "Get")
				return int(got.Version - 1)
			}
			return u
		})
	})

	t.Run("lists filter by status and tier and page in creation order", func(t *testing.T) {
		s, f := open(t), factory("service-customer")
		for i := range 7 {
			create(t, s, f, fmt.Sprintf("c%d", i))
		}
		for _, id := range []string{"c1", "c3", "c5"} {
			_, err := activate(t, s, f, id)
			mustNot(t, err, "activate")
		}
		_, err := s.Customers.Update(ctx(t), "c3", func(c *customer.Customer) ([]event.Event, error) {
			happened, err := c.Promote(now, tier.VIP, "", customer.Manual)
			return f.New(ctx(t), now, published(c, happened)...), err
		})
		mustNot(t, err, "promote")
		var seen []string
		w := page.Window{Limit: 3}
		for pages := 0; ; pages++ {
			p, err := s.Views.List(ctx(t), customer.Filter{}, w)
			mustNot(t, err, "List")
			for _, c := range p.Customers {
				seen = append(seen, c.ID)
			}
			if p.Next == "" {
				break
			}
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			w, err = page.Request{Cursor: p.Next, Limit: 3}.Parse()
			mustNot(t, err, "parse cursor")
		}
		if strings.Join(seen, ",") != "c0,c1,c2,c3,c4,c5,c6" {
			t.Fatalf("pages gave %v", seen)
		}
		active, err := s.Views.List(ctx(t), customer.Filter{Status: customer.Active}, page.Window{Limit: 10})
		mustNot(t, err, "List active")
		vip, err := s.Views.List(ctx(t), customer.Filter{Status: customer.Active, Tier: tier.VIP}, page.Window{Limit: 10})
		mustNot(t, err, "List active vip")
		if len(active.Customers) != 3 || active.Next != "" || len(vip.Customers) != 1 || vip.Customers[0].ID != "c3" {
			t.Fatalf("filters: active %d, vip %+v", len(active.Customers), vip.Customers)
		}
		byEmail, err := s.Views.List(ctx(t), customer.Filter{Email: "ANA.C3@Example.ES"}, page.Window{Limit: 10})
		mustNot(t, err, "List by email")
		if len(byEmail.Customers) != 1 || byEmail.Customers[0].ID != "c3" {
			t.Fatalf("by email, whatever its case: %+v", byEmail.Customers)
		}
		exact, err := s.Views.List(ctx(t), customer.Filter{Status: customer.Active}, page.Window{Limit: 3})
		mustNot(t, err, "List exactly a page")
		if len(exact.Customers) != 3 || exact.Next != "" {
			t.Fatalf("a full last page must not offer a next page: %+v", exact.Next)
		}
	})

	t.Run("notifications are kept per customer, newest first, once each", func(t *testing.T) {
		s, f := open(t), factory("service-customer")
		create(t, s, f, "c1")
		for i, tpl := range []string{"welcome", "account-activated"} {
			n := customer.Notification{ID: fmt.Sprintf("n%d", i), EventID: fmt.Sprintf("evt-%d", i), Channel: "email",
				Template: tpl, Recipient: "ana.c1@example.es", Subject: "s", Status: "sent", SentAt: now.Add(time.Duration(i) * time.Second)}
			mustNot(t, s.Views.AddNotification(ctx(t), "c1", n), "AddNotification")
		}
		again := customer.Notification{ID: "n0", EventID: "evt-9", SentAt: now}
		mustNot(t, s.Views.AddNotification(ctx(t), "c1", again), "the same notification from another event")
		stray := customer.Notification{ID: "n9", EventID: "evt-10", SentAt: now}
		wantErr(t, s.Views.AddNotification(ctx(t), "nobody", stray), customer.ErrNotFound, "an unknown customer")
		ns, err := s.Views.Notifications(ctx(t), "c1")
		mustNot(t, err, "Notifications")
		if len(ns) != 2 || ns[0].Template != "account-activated" || ns[1].Template != "welcome" || !ns[1].SentAt.Equal(now) || ns[1].EventID != "evt-0" {
			t.Fatalf("notifications = %+v", ns)
		}
	})

	t.Run("concurrent updates of one customer all apply, one after the other", func(t *testing.T) {
		s, f := open(t), factory("service-customer")
		create(t, s, f, "c1")
		_, err := activate(t, s, f, "c1")
		mustNot(t, err, "activate")
		errs := make(chan error, 2)
		for _, tier := range []tier.Tier{tier.Premium, tier.VIP} {
			go func() {
				_, err := s.Customers.Update(context.Background(), "c1", func(c *customer.Customer) ([]event.Event, error) {
					happened, err := c.Promote(now, tier, "", customer.Manual)
					return f.New(context.Background(), now, published(c, happened)...), err
				})
				errs <- err
			}()
		}
		var failures int
		for range 2 {
			if err := <-errs; err != nil {
				if !errors.Is(err, customer.ErrTierNotHigher) {
					t.Fatalf("unexpected error: %v", err)
				}
				failures++
			}
		}
		got, _ := s.Customers.Get(ctx(t), "c1")
		if got.Tier != tier.VIP || got.Version != int64(4-failures) {
			t.Fatalf("after two concurrent promotions: tier %s version %d (%d refused)", got.Tier, got.Version, failures)
		}
	})

	t.Run("the outbox keeps commit order", func(t *testing.T) {
		s := open(t)
		n := 0
		TestOutbox(t, s.Outbox, func(t *testing.T, events []event.Event) {
			n++
			c, _ := newCustomer(t, fmt.Sprintf("o%d", n))
			mustNot(t, s.Customers.Create(ctx(t), c, events), "Create")
		})
	})
}
