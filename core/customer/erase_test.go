package customer_test

import (
	"errors"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/money"
	"github.com/fintechlabs/customers/core/tier"
)

func TestErasingKeepsATombstoneAndRefusesEveryLaterChange(t *testing.T) {
	c := mustNew(t, customer.Active, tier.Premium)
	c.Document = customer.Document{Type: "DNI", Number: "12345678Z"}
	c.BirthDate = time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC)
	amount, err := money.Parse("250.00", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RecordFirstPayment(now, customer.Payment{Amount: amount, Method: customer.CreditCard, Description: "rent for Juan"}); err != nil {
		t.Fatal(err)
	}
	version := c.Version
	events, err := c.Erase(now.Add(time.Hour))
	if err != nil || len(events) != 1 {
		t.Fatalf("Erase = %v, %v; want one event", events, err)
	}
	if _, ok := events[0].(customer.Forgotten); !ok {
		t.Fatalf("event %T, want Forgotten", events[0])
	}
	switch {
	case c.Status != customer.Erased, c.Version != version+1:
		t.Fatalf("status %s version %d, want erased at %d", c.Status, c.Version, version+1)
	case c.Name != customer.ErasedName, c.FirstName != "", c.LastName != "", c.Email != customer.ErasedEmail(c.ID), c.Phone != "",
		c.Document != (customer.Document{}), !c.BirthDate.IsZero(), c.FirstPayment.Description != "":
		t.Fatalf("identity kept: %+v", c)
	case c.Tier != tier.Premium, c.FirstPayment.Amount != amount, c.CreatedAt != now, c.ActivatedAt != now:
		t.Fatalf("what must be kept was lost: %+v", c)
	}
	if last := c.Changes()[len(c.Changes())-1]; last.Action != customer.ActionErase || last.To != string(customer.Erased) {
		t.Fatalf("history entry %+v", last)
	}

	if events, err := c.Erase(now); err != nil || events != nil || c.Version != version+1 {
		t.Fatalf("a second erasure: %v, %v, version %d; want nothing", events, err, c.Version)
	}
	later := []struct {
		name string
		try  func() error
	}{
		{"activate", func() error { _, err := c.Activate(now, ""); return err }},
		{"deactivate", func() error { _, err := c.Deactivate(now, "gone"); return err }},
		{"pay", func() error { _, err := c.RecordFirstPayment(now, customer.Payment{Amount: amount}); return err }},
		{"promote", func() error { _, err := c.Promote(now, tier.VIP, "", customer.Manual); return err }},
		{"apply a recommendation", func() error { _, err := c.ApplyRecommendation(now, tier.VIP, ""); return err }},
	}
	for _, tt := range later {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.try(); !errors.Is(err, customer.ErrErased) {
				t.Fatalf("%s an erased customer: %v, want ErrErased", tt.name, err)
			}
		})
	}
}

func TestErasedIsAStatusOfTheFilters(t *testing.T) {
	if s, err := customer.ParseStatus(" Erased "); err != nil || s != customer.Erased {
		t.Fatalf("ParseStatus = %q, %v", s, err)
	}
}
