package profiling

import (
	"encoding/json"
	"fmt"
	"strings"
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
// A snapshot from the original system (version 0) never replaces a
// versioned one; between two of those, the one that describes the later
// change wins. The original's snapshots may lack a tier or a status: the
// known facts stay. It reports whether the snapshot was applied.
func (p *Profile) ApplySnapshot(s event.Customer) (bool, error) {
	if held := p.Customer; held != nil {
		switch {
		case s.Version > 0 && s.Version <= held.Version,
			s.Version == 0 && (held.Version > 0 || changedAt(s).Before(changedAt(*held))):
			return false, nil
		}
	}
	versioned := s.Version > 0
	var bad fault.Fields
	var tier customer.Tier
	var status customer.Status
	var err error
	if versioned || s.Tier != "" {
		tier, err = customer.ParseTier(s.Tier)
		bad.Check("customer.tier", err)
	}
	if versioned || s.Status != "" {
		status, err = customer.ParseStatus(s.Status)
		bad.Check("customer.status", err)
	}
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
	if tier != "" {
		p.Facts.Tier = tier
	}
	if status != "" {
		p.Facts.Status = status
	}
	if !birth.IsZero() {
		p.Facts.BirthDate = birth
	}
	if s.FirstPaymentAt != nil {
		p.Facts.FirstPayment = true
	}
	return true, nil
}

// changedAt is the time of the latest change a snapshot describes.
func changedAt(s event.Customer) time.Time {
	latest := s.CreatedAt
	for _, t := range []*time.Time{s.ActivatedAt, s.DeactivatedAt, s.FirstPaymentAt, s.PromotedAt} {
		if t != nil && t.After(latest) {
			latest = *t
		}
	}
	return latest
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
	profile := p.Evaluation.Event()
	profile.CustomerID = p.CustomerID
	return event.Profiled{
		CustomerID: p.CustomerID, Promote: promote, Reason: reason, Timestamp: now, Trigger: trigger, Profile: profile,
	}
}

// TierPromotion returns the original's record of an operator's request for
// tier, valid for a year, to go with the customer.profiled event asking
// for it.
func (p *Profile) TierPromotion(id string, tier customer.Tier, reason string, now time.Time) event.Promotion {
	until := now.AddDate(1, 0, 0)
	return event.Promotion{
		ID: id, Code: strings.ToUpper(event.PromotionTier), ActivatedAt: now, ExpiresAt: until,
		CustomerID: p.CustomerID, Type: event.PromotionTier, Description: "Promotion to tier " + string(tier),
		ValidUntil: until, NewTier: string(tier), Reason: reason,
	}
}

// PromotionActivated returns the event announcing promo, granted for
// payment, or false when profiling has no snapshot to address the customer
// with.
func (p *Profile) PromotionActivated(promo Promotion, payment event.Payment, now time.Time) (event.PromotionActivated, bool) {
	if p.Customer == nil {
		return event.PromotionActivated{}, false
	}
	out := event.Promotion{
		ID: promo.ID, Code: promo.Code, DiscountPercent: promo.DiscountPercent,
		ActivatedAt: promo.ActivatedAt, ExpiresAt: promo.ExpiresAt,
		CustomerID: p.CustomerID, Type: strings.ToLower(promo.Code), Discount: promo.DiscountPercent,
		Description: fmt.Sprintf("Bonificación del %d%% por primer pago", promo.DiscountPercent),
		ValidUntil:  promo.ExpiresAt, PaymentDecimal: payment.Exact(), PaymentCurrency: payment.Currency,
	}
	if out.PaymentDecimal != "" {
		out.PaymentAmount = json.Number(out.PaymentDecimal)
	}
	return event.PromotionActivated{
		Envelope:  event.Envelope{CustomerID: p.CustomerID, Customer: *p.Customer, Timestamp: now},
		Promotion: out,
	}, true
}
