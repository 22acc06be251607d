package app

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/core/tier"
)

// This file maps between profiling's domain and the integration events:
// customer snapshots in, customer.profiled and customer.promotion.activated
// out.

// snapshotOf reads the customer snapshot of a consumed event. A versioned
// snapshot (ours) must name a known tier and status; one from the original
// system (version 0) may leave them out or name others (its promotions
// wrote "premium" into the status).
func snapshotOf(c event.Customer) (profiling.Snapshot, error) {
	s := profiling.Snapshot{
		ID: c.ID, Name: c.Name, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone,
		Language: c.Language, CreatedAt: c.CreatedAt, ActivatedAt: orZero(c.ActivatedAt), DeactivatedAt: orZero(c.DeactivatedAt),
		FirstPaymentAt: orZero(c.FirstPaymentAt), PromotedAt: orZero(c.PromotedAt), Version: c.Version,
	}
	var bad fault.Fields
	var err error
	if c.Version > 0 || c.Tier != "" {
		s.Tier, err = tier.Parse(c.Tier)
		bad.Check("customer.tier", err)
	}
	if c.Version > 0 || c.Status != "" {
		s.Status = c.Status
		if !slices.Contains(statuses, c.Status) {
			bad.Add("customer.status", `must be "onboarded", "active" or "inactive"`)
		}
	}
	if c.BirthDate != "" {
		s.BirthDate, err = time.Parse(time.DateOnly, c.BirthDate)
		bad.Check("customer.birthDate", err)
	}
	return s, bad.Err("invalid customer snapshot")
}

// statuses are those the customer service gives its customers, as the
// event contract names them (the validate tag of event.Customer's status).
var statuses = []string{"onboarded", "active", "inactive"}

// customerOf is a snapshot as events carry it.
func customerOf(s profiling.Snapshot) event.Customer {
	c := event.Customer{
		ID: s.ID, Name: s.Name, FirstName: s.FirstName, LastName: s.LastName, Email: s.Email, Phone: s.Phone,
		Language: s.Language, Status: string(s.Status), Tier: string(s.Tier), CreatedAt: s.CreatedAt,
		ActivatedAt: orNil(s.ActivatedAt), DeactivatedAt: orNil(s.DeactivatedAt), FirstPaymentAt: orNil(s.FirstPaymentAt),
		PromotedAt: orNil(s.PromotedAt), Version: s.Version,
	}
	if !s.BirthDate.IsZero() {
		c.BirthDate = s.BirthDate.Format(time.DateOnly)
	}
	return c
}

// profilePayload is the profile's last evaluation as events carry it, with
// the original's view of it: a risk score (100 - score) and the
// recommendations as texts.
func profilePayload(p *profiling.Profile) event.Profile {
	e := p.Evaluation
	out := event.Profile{
		CustomerID: p.CustomerID, Eligible: e.Eligible, Score: e.Score, RiskScore: 100 - e.Score, Segment: e.Segment,
		CurrentTier: string(e.CurrentTier), RecommendedTier: string(e.RecommendedTier),
		EvaluatedAt: e.EvaluatedAt, LastUpdated: e.EvaluatedAt,
		Recommendations: make([]string, len(e.Recommendations)),
		Advice:          make([]event.Advice, len(e.Recommendations)),
		Reasons:         make([]event.Reason, len(e.Reasons)),
	}
	for i, r := range e.Recommendations {
		out.Recommendations[i], out.Advice[i] = r.Message, event.Advice(r)
	}
	for i, r := range e.Reasons {
		out.Reasons[i] = event.Reason(r)
	}
	return out
}

// profiled announces the profile's last evaluation. promote asks the
// customer service to apply the recommended tier; reason explains it.
func profiled(p *profiling.Profile, now time.Time, trigger, reason string, promote bool) event.Profiled {
	return event.Profiled{
		CustomerID: p.CustomerID, Promote: promote, Reason: reason, Timestamp: now, Trigger: trigger, Profile: profilePayload(p),
	}
}

// tierPromotion is the original's record of an operator's request for
// tier, valid for a year, that goes with the customer.profiled event asking
// for it.
func tierPromotion(customerID, id string, tier tier.Tier, reason string, now time.Time) event.Promotion {
	until := now.AddDate(1, 0, 0)
	return event.Promotion{
		ID: id, Code: strings.ToUpper(event.PromotionTier), ActivatedAt: now, ExpiresAt: until,
		CustomerID: customerID, Type: event.PromotionTier, Description: "Promotion to tier " + string(tier),
		ValidUntil: until, NewTier: string(tier), Reason: reason,
	}
}

// promotionActivated announces promo, granted for payment, or returns false
// when profiling has no snapshot to address the customer with.
func promotionActivated(p *profiling.Profile, promo profiling.Promotion, payment event.Payment, now time.Time) (event.PromotionActivated, bool) {
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
		out.PaymentAmount = event.Number(out.PaymentDecimal)
	}
	return event.PromotionActivated{
		Envelope:  event.Envelope{CustomerID: p.CustomerID, Customer: customerOf(*p.Customer), Timestamp: now},
		Promotion: out,
	}, true
}

func orZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func orNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
