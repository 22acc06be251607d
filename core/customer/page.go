package customer

import (
	"github.com/fintechlabs/customers/core/pii"
	"github.com/fintechlabs/customers/core/tier"
)

// Page is one page of customers and the cursor to the next ("" at the end).
type Page struct {
	Customers []Customer
	Next      string
}

// Filter selects customers; empty fields match all.
type Filter struct {
	Status Status
	Tier   tier.Tier
	// Email matches the customer's address whatever the case of its
	// letters, as addresses are unique.
	Email pii.Email
}
