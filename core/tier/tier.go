// Package tier holds the service levels a customer can have: the customer
// service promotes to them, and profiling recommends them.
package tier

import (
	"errors"
	"strings"
)

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

// Parse validates s (case-insensitive).
func Parse(s string) (Tier, error) {
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
