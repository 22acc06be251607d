package app

import (
	"time"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
)

// payloads turns what a transition says happened into the integration
// events the customer service publishes; c is the customer right after the
// transition, whose snapshot every event carries.
func payloads(c *customer.Customer, now time.Time, happened []customer.Event) []event.Data {
	env := event.Envelope{CustomerID: c.ID, Customer: snapshot(c), Timestamp: now}
	out := make([]event.Data, 0, len(happened))
	for _, h := range happened {
		switch e := h.(type) {
		case customer.Created:
			out = append(out, event.Registered{Envelope: env})
		case customer.Joined:
			out = append(out, event.Onboarded{Envelope: env})
		case customer.Activated:
			out = append(out, event.Activated{Envelope: env, PreviousStatus: string(e.PreviousStatus),
				Reactivation: e.Reactivation, Reason: e.Reason})
		case customer.Deactivated:
			out = append(out, event.Deactivated{Envelope: env, PreviousStatus: string(e.PreviousStatus), Reason: e.Reason})
		case customer.FirstPaid:
			out = append(out, event.FirstPayment{Envelope: env, Payment: payment(c.ID, e.Payment)})
		case customer.PreferencesChanged:
			out = append(out, event.PreferencesChanged{Envelope: env})
		case customer.Forgotten:
			out = append(out, event.Erased{Envelope: env})
		case customer.Promoted:
			out = append(out, event.Promoted{Envelope: env, PreviousTier: string(e.PreviousTier), NewTier: string(e.NewTier),
				Reason: e.Reason, Source: string(e.Source)})
		}
	}
	return out
}

// payment is a payment as customer.firstPayment carries it: exact, and as
// the original's consumers read it.
func payment(customerID string, p customer.Payment) event.Payment {
	exact := p.Amount.Decimal()
	return event.Payment{
		CustomerID: customerID, Amount: event.Number(exact), AmountDecimal: exact, AmountMinor: p.Amount.Minor,
		Currency: p.Amount.Currency, Method: string(p.Method), Description: p.Description, ProcessedAt: p.PaidAt, PaidAt: p.PaidAt,
	}
}

// snapshot returns the customer as events carry it, without the identity
// document: no consumer needs it, so it stays in the customer service.
func snapshot(c *customer.Customer) event.Customer {
	s := event.Customer{
		ID: c.ID, Name: c.Name, FirstName: c.FirstName, LastName: c.LastName,
		Email: string(c.Email), Phone: string(c.Phone), Language: string(c.Language),
		Status: string(c.Status), Tier: string(c.Tier), CreatedAt: c.CreatedAt,
		ActivatedAt: optional(c.ActivatedAt), DeactivatedAt: optional(c.DeactivatedAt),
		FirstPaymentAt: optional(c.FirstPaymentAt), PromotedAt: optional(c.PromotedAt),
		Preferences: preferences(c.Preferences), Version: c.Version,
	}
	if !c.BirthDate.IsZero() {
		s.BirthDate = c.BirthDate.Format(time.DateOnly)
	}
	return s
}

func optional(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// preferences are the customer's preferences as events carry them.
func preferences(p customer.Preferences) *event.Preferences {
	c := func(c customer.Consent) event.Consent { return event.Consent{Given: c.Given, At: c.At, Via: c.Via} }
	return &event.Preferences{Email: c(p.Email), SMS: c(p.SMS), Marketing: c(p.Marketing)}
}
