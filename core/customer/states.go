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
	// Erased is a tombstone: the customer asked to be forgotten, and
	// nothing changes them again.
	Erased Status = "erased"
)

// ErrStatus is returned for an unknown status.
var ErrStatus = errors.New(`must be "onboarded", "active", "inactive" or "erased"`)

// ParseStatus validates s (case-insensitive).
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.ToLower(strings.TrimSpace(s))); st {
	case Onboarded, Active, Inactive, Erased:
		return st, nil
	}
	return "", ErrStatus
}

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
	ActionErase        Action = "erase"
	ActionPreferences  Action = "preferences"
)
