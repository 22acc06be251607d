package profiling

import "github.com/fintechlabs/customers/core/fault"

// PromoteRequest is the original's POST /profiling/promote: facts to merge
// into the profile, and optionally a tier an operator asks for.
type PromoteRequest struct {
	CustomerID string
	Facts      Statement
	NewTier    string
	Reason     string
}

// Decision is a saved evaluation and whether it asks the customer service
// to promote the customer.
type Decision struct {
	Profile  Profile
	Promoted bool
}

// ErrNotEligible refuses a manual promotion of a customer known to be under
// the eligibility age.
var ErrNotEligible = fault.New(fault.Conflict, "profile.not_eligible", "the customer is not eligible for promotion")
