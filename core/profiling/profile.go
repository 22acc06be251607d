package profiling

import (
	"time"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
)

// Profile is what profiling keeps per customer: the facts, the newest
// customer snapshot seen, the last evaluation and the promotions granted.
type Profile struct {
	CustomerID string
	// Customer is the newest snapshot seen; nil when profiling has only had
	// REST requests about this customer.
	Customer   *event.Customer
	Facts      Facts
	Evaluation Evaluation
	Promotions []Promotion
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Version counts saves, starting at 1; 0 means never saved.
	Version int64
}

// Promotion is a benefit granted for a limited time.
type Promotion struct {
	ID              string
	Code            string
	DiscountPercent int
	ActivatedAt     time.Time
	ExpiresAt       time.Time
}

// ActiveAt reports whether the promotion is valid at t.
func (p Promotion) ActiveAt(t time.Time) bool {
	return !t.Before(p.ActivatedAt) && t.Before(p.ExpiresAt)
}

// ErrNotFound is returned for a customer profiling has never seen.
var ErrNotFound = fault.New(fault.NotFound, "profile.not_found", "profile not found")

// ApplySnapshot takes tier, status and birth date from a customer snapshot,
// unless the profile already holds a newer one: events from different topics
// may arrive out of order, and an old snapshot must not undo a newer one.
// It reports whether the snapshot was applied.
func (p *Profile) ApplySnapshot(s event.Customer) (bool, error) {
	if p.Customer != nil && s.Version <= p.Customer.Version {
		return false, nil
	}
	var bad fault.Fields
	tier, err := customer.ParseTier(s.Tier)
	bad.Check("customer.tier", err)
	status, err := customer.ParseStatus(s.Status)
	bad.Check("customer.status", err)
	var birth time.Time
	if s.BirthDate != "" {
		birth, err = time.Parse(customer.DateLayout, s.BirthDate)
		bad.Check("customer.birthDate", err)
	}
	if err := bad.Err("invalid customer snapshot"); err != nil {
		return false, err
	}
	snapshot := s
	p.Customer = &snapshot
	p.Facts.Tier, p.Facts.Status = tier, status
	if !birth.IsZero() {
		p.Facts.BirthDate = birth
	}
	if s.FirstPaymentAt != nil {
		p.Facts.FirstPayment = true
	}
	return true, nil
}

// State merges stated facts into the profile.
func (p *Profile) State(u Update) { u.apply(&p.Facts) }

// Evaluate runs the rules over the profile's facts and keeps the result.
func (p *Profile) Evaluate(r Rules, now time.Time) Evaluation {
	p.Evaluation = r.Evaluate(p.Facts, now)
	return p.Evaluation
}

// GrantFirstPaymentBonus records the first payment and grants the bonus the
// rules describe. A customer gets it once: a second call returns false.
func (p *Profile) GrantFirstPaymentBonus(id string, r Rules, now time.Time) (Promotion, bool) {
	p.Facts.FirstPayment = true
	for _, promo := range p.Promotions {
		if promo.Code == r.FirstPaymentBonus.Code {
			return Promotion{}, false
		}
	}
	promo := Promotion{
		ID: id, Code: r.FirstPaymentBonus.Code, DiscountPercent: r.FirstPaymentBonus.DiscountPercent,
		ActivatedAt: now, ExpiresAt: now.AddDate(0, 0, r.FirstPaymentBonus.ValidDays),
	}
	p.Promotions = append(p.Promotions, promo)
	return promo, true
}

// Profiled returns the event announcing the profile's last evaluation.
// promote asks the customer service to apply the recommended tier; reason
// explains the promotion.
func (p *Profile) Profiled(now time.Time, trigger, reason string, promote bool) event.Profiled {
	return event.Profiled{
		CustomerID: p.CustomerID, Promote: promote, Reason: reason, Timestamp: now, Trigger: trigger,
		Profile: p.Evaluation.Event(),
	}
}

// PromotionActivated returns the event announcing promo, or false when
// profiling has no snapshot to address the customer with.
func (p *Profile) PromotionActivated(promo Promotion, now time.Time) (event.PromotionActivated, bool) {
	if p.Customer == nil {
		return event.PromotionActivated{}, false
	}
	return event.PromotionActivated{
		Envelope:  event.Envelope{CustomerID: p.CustomerID, Customer: *p.Customer, Timestamp: now},
		Promotion: event.Promotion(promo),
	}, true
}
