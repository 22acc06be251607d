package customer

import (
	"time"

	"github.com/fintechlabs/customers/core/pii"
	"github.com/fintechlabs/customers/core/tier"
)

// Activate makes an onboarded customer active, or reactivates an inactive one.
func (c *Customer) Activate(now time.Time, reason string) ([]Event, error) {
	if c.Status == Erased {
		return nil, ErrErased
	}
	if c.Status == Active {
		return nil, ErrAlreadyActive
	}
	if err := ValidateReason(reason); err != nil {
		return nil, err
	}
	from := c.Status
	c.Status, c.ActivatedAt = Active, now
	c.DeactivatedAt, c.DeactivationReason = time.Time{}, ""
	c.record(now, ActionActivate, string(from), string(Active), reason, Manual)
	return []Event{Activated{PreviousStatus: from, Reactivation: from == Inactive, Reason: reason}}, nil
}

// Deactivate makes an onboarded or active customer inactive.
func (c *Customer) Deactivate(now time.Time, reason string) ([]Event, error) {
	if c.Status == Erased {
		return nil, ErrErased
	}
	if c.Status == Inactive {
		return nil, ErrAlreadyInactive
	}
	if err := requireReason(reason); err != nil {
		return nil, err
	}
	from := c.Status
	c.Status, c.DeactivatedAt, c.DeactivationReason = Inactive, now, reason
	c.record(now, ActionDeactivate, string(from), string(Inactive), reason, Manual)
	return []Event{Deactivated{PreviousStatus: from, Reason: reason}}, nil
}

// RecordFirstPayment records an active customer's first payment; there is
// only ever one.
func (c *Customer) RecordFirstPayment(now time.Time, p Payment) ([]Event, error) {
	if err := c.requireActive(); err != nil {
		return nil, err
	}
	if c.FirstPayment != nil {
		return nil, ErrFirstPaymentTaken
	}
	p.PaidAt = now
	c.FirstPayment, c.FirstPaymentAt = &p, now
	c.record(now, ActionFirstPayment, "unpaid", p.Amount.String(), p.Description, Manual)
	return []Event{FirstPaid{Payment: p}}, nil
}

// Promote moves an active customer up to target, or to the next tier when
// target is empty. Promotions never go down or sideways.
func (c *Customer) Promote(now time.Time, target tier.Tier, reason string, source Source) ([]Event, error) {
	if err := c.requireActive(); err != nil {
		return nil, err
	}
	if err := ValidateReason(reason); err != nil {
		return nil, err
	}
	if target == "" {
		next, ok := c.Tier.Next()
		if !ok {
			return nil, ErrTopTier
		}
		target = next
	}
	if !target.Above(c.Tier) {
		return nil, ErrTierNotHigher.With(string(c.Tier)+" -> "+string(target), nil)
	}
	if reason == "" {
		reason = "promoted to " + string(target)
	}
	from := c.Tier
	c.Tier, c.PromotedAt = target, now
	c.record(now, ActionPromote, string(from), string(target), reason, source)
	return []Event{Promoted{PreviousTier: from, NewTier: target, Reason: reason, Source: source}}, nil
}

// ApplyRecommendation promotes an active customer to a tier profiling
// recommends. A recommendation that is not above the current tier changes
// nothing and returns no events; an inactive customer is refused as by
// Promote.
func (c *Customer) ApplyRecommendation(now time.Time, tier tier.Tier, reason string) ([]Event, error) {
	if err := c.requireActive(); err != nil {
		return nil, err
	}
	if !tier.Above(c.Tier) {
		return nil, nil
	}
	return c.Promote(now, tier, reason, Profiling)
}

// requireActive refuses a change that needs an active customer.
func (c *Customer) requireActive() error {
	switch c.Status {
	case Active:
		return nil
	case Erased:
		return ErrErased
	}
	return ErrNotActive.With("status is "+string(c.Status), nil)
}

// Erase forgets who the customer is, at their request: name, email, phone,
// birth date, document and the free text of the deactivation and the
// payment are replaced by a tombstone. What must be kept without them
// stays: the id, the dates, the tier and the payment's amount. The status
// becomes Erased, and no transition applies again. Erasing an erased
// customer changes nothing and returns no events.
func (c *Customer) Erase(now time.Time) ([]Event, error) {
	if c.Status == Erased {
		return nil, nil
	}
	from := c.Status
	c.Name, c.FirstName, c.LastName = ErasedName, "", ""
	c.Email = ErasedEmail(c.ID)
	c.Phone, c.Document, c.BirthDate, c.DeactivationReason = "", Document{}, time.Time{}, ""
	if c.FirstPayment != nil {
		c.FirstPayment.Description = ""
	}
	c.Status = Erased
	c.record(now, ActionErase, string(from), string(Erased), "erased at the customer's request", Manual)
	return []Event{Forgotten{}}, nil
}

// ErasedName is an erased customer's name.
const ErasedName = "erased"

// ErasedEmail is an erased customer's email: unique (the id), and in a
// domain that cannot receive mail (RFC 2606).
func ErasedEmail(id string) pii.Email { return pii.Email("erased-" + id + "@erased.invalid") }
