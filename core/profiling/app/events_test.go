package app

import (
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/core/tier"
)

var at = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func TestSnapshotsAreReadFromEventsAndWrittenBackWhole(t *testing.T) {
	activated := at.Add(time.Minute)
	in := event.Customer{ID: "c1", Name: "Ana", FirstName: "Ana", LastName: "López", Email: "ana@example.es",
		Phone: "+34600111222", BirthDate: "1990-01-02", Language: "es", Status: "active", Tier: "premium",
		CreatedAt: at, ActivatedAt: &activated, Version: 3}
	s, err := snapshotOf(in)
	if err != nil || s.Status != string(customer.Active) || s.Tier != tier.Premium || s.BirthDate.Year() != 1990 || !s.ActivatedAt.Equal(activated) {
		t.Fatalf("snapshot = %+v, %v", s, err)
	}
	out := customerOf(s)
	if out.ActivatedAt == nil || !out.ActivatedAt.Equal(activated) || out.DeactivatedAt != nil {
		t.Fatalf("written back as %+v", out)
	}
	out.ActivatedAt = in.ActivatedAt
	if out != in {
		t.Fatalf("written back as %+v, want %+v", out, in)
	}
}

func TestMalformedSnapshotsAreInvalid(t *testing.T) {
	tests := []struct {
		name   string
		in     event.Customer
		fields int
	}{
		{"a versioned snapshot with an unknown status, tier and birth date",
			event.Customer{ID: "c1", Status: "zombie", Tier: "gold", BirthDate: "yesterday", Version: 1}, 3},
		{"a versioned snapshot without status or tier", event.Customer{ID: "c1", Version: 1}, 2},
		{"an unversioned snapshot with a tier we do not have", event.Customer{ID: "c1", Tier: "gold"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := snapshotOf(tt.in)
			e, ok := fault.As(err)
			if !ok || e.Kind != fault.Invalid || len(e.Fields) != tt.fields {
				t.Fatalf("error = %v", err)
			}
		})
	}
	if _, err := snapshotOf(event.Customer{ID: "c1", Status: "premium"}); err == nil {
		// The original's promotion status is read as the tier when the
		// record is decoded; here a status must be a status.
		t.Fatal("an unversioned snapshot with an unknown status was accepted")
	}
	if s, err := snapshotOf(event.Customer{ID: "c1"}); err != nil || s.Status != "" || s.Tier != "" {
		t.Fatalf("an unversioned snapshot may leave status and tier out: %+v, %v", s, err)
	}
}

func TestTheBonusIsAnnouncedWithWhatTheOriginalsConsumersRead(t *testing.T) {
	p := profiling.Profile{CustomerID: "c1"}
	promo, _ := p.GrantFirstPaymentBonus("p1", profiling.DefaultRules(), at)
	if _, ok := promotionActivated(&p, promo, event.Payment{}, at); ok {
		t.Fatal("no event can be built without a snapshot")
	}
	p.ApplySnapshot(profiling.Snapshot{ID: "c1", Email: "ana@example.es", Status: string(customer.Active), Tier: tier.Basic, Version: 2})
	ev, ok := promotionActivated(&p, promo, event.Payment{Amount: "99.9", AmountDecimal: "99.90", Currency: "EUR"}, at)
	if !ok || ev.CustomerID != "c1" || ev.Promotion.ID != "p1" || ev.Customer.Email != "ana@example.es" || ev.Customer.Version != 2 {
		t.Fatalf("event = %+v", ev)
	}
	// The original's consumers read type, discount, validUntil and
	// paymentAmount (a number); ours read the exact decimal.
	if pr := ev.Promotion; pr.Type != "first_payment_bonus" || pr.Discount != 60 || !pr.ValidUntil.Equal(promo.ExpiresAt) ||
		pr.PaymentAmount != "99.90" || pr.PaymentDecimal != "99.90" || pr.PaymentCurrency != "EUR" ||
		pr.CustomerID != "c1" || pr.Description == "" || !pr.ActivatedAt.Equal(at) {
		t.Fatalf("promotion = %+v", pr)
	}
	if ev, _ := promotionActivated(&p, promo, event.Payment{}, at); ev.Promotion.PaymentAmount != "" {
		t.Fatalf("an unknown payment amount must be left out, not 0: %+v", ev.Promotion)
	}
}

func TestProfiledEventCarriesTheWholeEvaluation(t *testing.T) {
	age, income, score, paid := 28, "75000", 720, true
	u, err := profiling.Statement{Age: &age, Income: &income, CreditScore: &score, FirstPayment: &paid}.Parse(profiling.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	p := profiling.Profile{CustomerID: "c1"}
	p.State(u)
	p.Evaluate(profiling.DefaultRules(), at)
	e := profiled(&p, at, "api", "score 75", true)
	if e.CustomerID != "c1" || !e.Promote || e.Reason != "score 75" || e.Trigger != "api" ||
		e.Profile.Score != 75 || e.Profile.RecommendedTier != "premium" || len(e.Profile.Reasons) != 5 ||
		e.Profile.Advice[0].Code != "upgrade-tier" {
		t.Fatalf("event = %+v", e)
	}
	// The original's Profile: customerId, riskScore, recommendations as texts.
	if e.Profile.CustomerID != "c1" || e.Profile.RiskScore != 25 || e.Profile.Recommendations[0] != e.Profile.Advice[0].Message ||
		!e.Profile.LastUpdated.Equal(at) {
		t.Fatalf("profile = %+v", e.Profile)
	}
}

func TestTheStatusesAreTheCustomerServices(t *testing.T) {
	for _, s := range []customer.Status{customer.Onboarded, customer.Active, customer.Inactive} {
		if _, err := snapshotOf(event.Customer{ID: "c1", Status: string(s), Tier: "basic", Version: 1}); err != nil {
			t.Errorf("status %s: %v", s, err)
		}
	}
}
