package customer

import (
	"errors"
	"strings"
)

// Status is where a customer is in their lifecycle.
type Status string

// Statuses.
const (
	Onboarded Status = "onboarded"
	Active    Status = "active"
	Inactive  Status = "inactive"
)

// ErrStatus is returned for an unknown status.
var ErrStatus = errors.New(`must be "onboarded", "active" or "inactive"`)

// ParseStatus validates s (case-insensitive).
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.ToLower(strings.TrimSpace(s))); st {
	case Onboarded, Active, Inactive:
		return st, nil
	}
	return "", ErrStatus
}

// Tier is a customer's service level. Tiers are ordered: basic < premium < vip.
type Tier string

// Tiers, lowest first.
const (
	Basic   Tier = "basic"
	Premium Tier = "premium"
	VIP     Tier = "vip"
)

var tiers = []Tier{Basic, Premium, VIP}

// ErrTier is returned for an unknown tier.
var ErrTier = errors.New(`must be "basic", "premium" or "vip"`)

// ParseTier validates s (case-insensitive).
func ParseTier(s string) (Tier, error) {
	t := Tier(strings.ToLower(strings.TrimSpace(s)))
	if t.Rank() < 0 {
		return "", ErrTier
	}
	return t, nil
}

// Rank is the tier's position (basic 0, premium 1, vip 2); -1 when unknown.
func (t Tier) Rank() int {
	for i, x := range tiers {
		if x == t {
			return i
		}
	}
	return -1
}

// Next returns the tier above t and whether there is one.
func (t Tier) Next() (Tier, bool) {
	r := t.Rank()
	if r < 0 || r+1 >= len(tiers) {
		return "", false
	}
	return tiers[r+1], true
}

// Above reports whether t is higher than other.
func (t Tier) Above(other Tier) bool { return t.Rank() > other.Rank() }

// Source says who asked for a change.
type Source string

// Sources.
const (
	// Manual is a request through the API.
	Manual Source = "manual"
	// Profiling is a recommendation from the profiling service.
	Profiling Source = "profiling"
)

// Action names a lifecycle transition.
type Action string

// Actions.
const (
	ActionOnboard      Action = "onboard"
	ActionActivate     Action = "activate"
	ActionDeactivate   Action = "deactivate"
	ActionFirstPayment Action = "first-payment"
	ActionPromote      Action = "promote"
)
