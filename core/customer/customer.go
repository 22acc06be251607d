// Package customer is the customer aggregate: who a customer is, where they
// are in their lifecycle (onboarded, active, inactive), their tier, and the
// rules for moving between those states.
package customer

import (
	"time"

	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/pii"
	"github.com/fintechlabs/customers/core/tier"
)

// Customer is the aggregate root. Its fields are exported for reading and for
// repositories; change it only through its methods, which keep the rules.
type Customer struct {
	ID        string
	Name      string // full name
	FirstName string // optional, when the name was given in parts
	LastName  string
	Email     pii.Email
	Phone     pii.Phone
	Document  Document  // zero when not given
	BirthDate time.Time // a date at UTC midnight; zero when unknown
	Language  locale.Language
	// Preferences say which messages the customer accepts, with the
	// consent record of each.
	Preferences Preferences
	Status      Status
	Tier        tier.Tier

	CreatedAt          time.Time
	ActivatedAt        time.Time // zero until first activated
	DeactivatedAt      time.Time
	FirstPaymentAt     time.Time
	PromotedAt         time.Time
	DeactivationReason string
	FirstPayment       *Payment // nil until the first payment

	// Version counts changes, starting at 1; repositories use it for
	// optimistic locking and consumers to order snapshots.
	Version int64

	changes []Change // history entries not yet persisted
}

// Document is an identity document.
type Document struct {
	Type   string // DNI, PASSPORT...
	Number pii.DocumentNumber
}

// Changes returns the history entries recorded since the customer was loaded
// or created; repositories persist them with the customer.
func (c *Customer) Changes() []Change { return c.changes }

// Saved returns a copy of c as it reads back once stored: without pending
// history entries, sharing no memory with c. In-memory repositories use it.
func (c Customer) Saved() Customer {
	c.changes = nil
	if c.FirstPayment != nil {
		p := *c.FirstPayment
		c.FirstPayment = &p
	}
	return c
}

// record bumps the version and remembers a history entry.
func (c *Customer) record(now time.Time, action Action, from, to, reason string, source Source) {
	c.Version++
	c.changes = append(c.changes, Change{
		Action: action, From: from, To: to, Reason: reason, Source: source, At: now, Version: c.Version,
	})
}
