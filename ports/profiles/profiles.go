// Package profiles declares what the profiling service needs to keep its
// profiles.
package profiles

//go:generate go tool mockgen -destination=../mocks/profiles.go -package=mocks -mock_names=Store=MockProfileStore . Store

import (
	"context"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/profiling"
)

// Store keeps profiles with the profiling service's outbox.
type Store interface {
	// Get returns a customer's profile. Errors: profiling.ErrNotFound.
	Get(ctx context.Context, customerID string) (profiling.Profile, error)

	// Save loads the profile of customerID (a new empty one, Version 0, if
	// there is none), calls change, and commits the profile and the events
	// change returns, in one transaction (the unit of work of ctx, if any).
	// change must advance the profile's version (profiling.Profile.Touch);
	// the store saves it only over the version it loaded. The saved profile
	// is returned. Errors: whatever change returns (nothing is saved);
	// fault.Conflict when another writer saved the profile meanwhile.
	Save(ctx context.Context, customerID string, change func(*profiling.Profile) ([]event.Event, error)) (profiling.Profile, error)
}
