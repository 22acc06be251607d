package customer

import "github.com/fintechlabs/customers/core/fault"

// Rule violations: the request is well formed but impossible in the
// customer's current state.
var (
	ErrAlreadyActive     = fault.New(fault.Conflict, "customer.already_active", "customer is already active")
	ErrAlreadyInactive   = fault.New(fault.Conflict, "customer.already_inactive", "customer is already inactive")
	ErrNotActive         = fault.New(fault.Conflict, "customer.not_active", "customer is not active")
	ErrFirstPaymentTaken = fault.New(fault.Conflict, "customer.first_payment_recorded", "the first payment was already recorded")
	ErrTopTier           = fault.New(fault.Conflict, "customer.top_tier", "customer is already in the highest tier")
	ErrTierNotHigher     = fault.New(fault.Conflict, "customer.tier_not_higher", "a promotion must move the customer to a higher tier")
	ErrEmailTaken        = fault.New(fault.Conflict, "customer.email_taken", "a customer with this email already exists")
	ErrNotFound          = fault.New(fault.NotFound, "customer.not_found", "customer not found")
	ErrErased            = fault.New(fault.Conflict, "customer.erased", "the customer was erased at their request")
)
