package profiling

import (
	"time"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/tier"
)

// Profile is what profiling keeps per customer: the facts, the newest
// customer snapshot seen, the last evaluation and the promotions granted.
type Profile struct {
	CustomerID string
	// Customer is the newest snapshot seen; nil when profiling has only had
	// REST requests about this customer.
	Customer   *Snapshot
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

// Snapshot is the customer as the customer service last described them in
// its events. Profiling keeps the newest one it has seen, to learn facts
// from and to address the customer when it grants a promotion.
type Snapshot struct {
	ID, Name, FirstName, LastName string
	Email, Phone, Language        string
	BirthDate                     time.Time // zero when unknown
	Status                        string    // onboarded, active, inactive: as the event said
	Tier                          tier.Tier
	CreatedAt                     time.Time
	ActivatedAt, DeactivatedAt    time.Time // zero when it has not happened
	FirstPaymentAt, PromotedAt    time.Time
	// Version orders snapshots: it grows with every change of the
	// customer. 0 marks one from the original system, which has none.
	Version int64
}

// Touch marks the profile changed at now: its version goes up by one, and
// a new profile (version 0) is created at now. Every change to be saved
// calls it once; stores save a profile only over the version they loaded.
func (p *Profile) Touch(now time.Time) {
	if p.Version == 0 {
		p.CreatedAt = now
	}
	p.UpdatedAt = now
	p.Version++
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
func (p *Profile) ApplySnapshot(s Snapshot) bool {
	if held := p.Customer; held != nil {
		switch {
		case s.Version > 0 && s.Version <= held.Version,
			s.Version == 0 && (held.Version > 0 || s.changedAt().Before(held.changedAt())):
			return false
		}
	}
	snapshot := s
	p.Customer = &snapshot
	if s.Tier != "" {
		p.Facts.Tier = s.Tier
	}
	if s.Status != "" {
		p.Facts.Status = s.Status
	}
	if !s.BirthDate.IsZero() {
		p.Facts.BirthDate = s.BirthDate
	}
	if !s.FirstPaymentAt.IsZero() {
		p.Facts.FirstPayment = true
	}
	return true
}

// changedAt is the time of the latest change a snapshot describes.
func (s Snapshot) changedAt() time.Time {
	latest := s.CreatedAt
	for _, t := range []time.Time{s.ActivatedAt, s.DeactivatedAt, s.FirstPaymentAt, s.PromotedAt} {
		if t.After(latest) {
			latest = t
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

// ErasedStatus is the status of an erased customer's profile: a tombstone
// that keeps nothing but the id, so that no later event re-creates it.
const ErasedStatus = "erased"

// ErrErased is returned for a customer erased at their request.
var ErrErased = fault.New(fault.NotFound, "profile.erased", "the customer was erased at their request: profiling keeps nothing about them")

// Erase drops everything profiling knows about the customer: the snapshot,
// the facts, the evaluation and the promotions.
func (p *Profile) Erase(now time.Time) {
	p.Touch(now)
	p.Customer, p.Evaluation, p.Promotions = nil, Evaluation{}, nil
	p.Facts = Facts{Status: ErasedStatus}
}

// Erased reports whether the customer was erased.
func (p Profile) Erased() bool { return p.Facts.Status == ErasedStatus }
