package customer

import "github.com/fintechlabs/customers/core/tier"

// Event is something that happened to a customer, as the domain sees it.
// Transitions return events; the customer service's use cases turn them into
// the integration events it publishes. The set is closed: only the types of
// this package implement it.
type Event interface{ customerEvent() }

// Created: the customer record was created. Onboarding returns it, then
// Joined.
type Created struct{}

// Joined: a new customer joined and is to be welcomed and profiled.
type Joined struct{}

// Activated: the customer became active, for the first time or again.
type Activated struct {
	PreviousStatus Status
	Reactivation   bool
	Reason         string
}

// Deactivated: the customer became inactive.
type Deactivated struct {
	PreviousStatus Status
	Reason         string
}

// FirstPaid: the customer made their first payment.
type FirstPaid struct{ Payment Payment }

// Promoted: the customer moved to a higher tier.
type Promoted struct {
	PreviousTier, NewTier tier.Tier
	Reason                string
	Source                Source
}

// PreferencesChanged: the customer changed which messages they accept, or
// their language.
type PreferencesChanged struct{}

func (PreferencesChanged) customerEvent() {}

// Forgotten: the customer was erased at their request.
type Forgotten struct{}

func (Forgotten) customerEvent()   {}
func (Created) customerEvent()     {}
func (Joined) customerEvent()      {}
func (Activated) customerEvent()   {}
func (Deactivated) customerEvent() {}
func (FirstPaid) customerEvent()   {}
func (Promoted) customerEvent()    {}
