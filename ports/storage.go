package ports

import (
	"context"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/core/profiling"
)

// Customers stores customers, their history, their notification history,
// the events the customer service emits (outbox) and the ids of the events
// it has handled (inbox).
type Customers interface {
	// Create stores a new customer with its history and events in one
	// transaction. Errors: customer.ErrEmailTaken (fault.Conflict) when the
	// email belongs to another customer.
	Create(ctx context.Context, c *customer.Customer, events []event.Event) error

	// Update loads customer id, calls change, and commits the changed
	// customer, its new history entries, the events change returns and, when
	// handled is not empty, the handled event id, all in one transaction. A
	// change that leaves the version alone saves only the handled id. The
	// updated customer is returned. Errors: customer.ErrNotFound; whatever
	// change returns (nothing is saved); ErrAlreadyHandled when handled was
	// handled before (change is not called); fault.Conflict when another
	// writer changed the customer meanwhile.
	Update(ctx context.Context, id, handled string, change func(*customer.Customer) ([]event.Event, error)) (customer.Customer, error)

	// Get returns one customer. Errors: customer.ErrNotFound.
	Get(ctx context.Context, id string) (customer.Customer, error)

	// List returns customers matching f in id order (which is creation
	// order: ids are UUIDv7), starting after w.After, at most w.Limit.
	List(ctx context.Context, f customer.Filter, w page.Window) (customer.Page, error)

	// History returns a customer's status history, oldest first. Errors:
	// customer.ErrNotFound.
	History(ctx context.Context, id string) ([]customer.Change, error)

	// AddNotification records a notification in a customer's history and
	// marks event handled, in one transaction. Errors: ErrAlreadyHandled.
	AddNotification(ctx context.Context, customerID string, n customer.Notification, handled string) error

	// MarkHandled records that an event was handled with no effect.
	// Errors: ErrAlreadyHandled.
	MarkHandled(ctx context.Context, handled string) error

	// Notifications returns a customer's notifications, newest first.
	// Errors: customer.ErrNotFound.
	Notifications(ctx context.Context, customerID string) ([]customer.Notification, error)
}

// Profiles stores profiles with the profiling service's outbox and inbox.
type Profiles interface {
	// Get returns a customer's profile. Errors: profiling.ErrNotFound.
	Get(ctx context.Context, customerID string) (profiling.Profile, error)

	// Save loads the profile of customerID (a new empty one, Version 0, if
	// there is none), calls change, and commits the profile, the events
	// change returns and, when handled is not empty, the handled event id, in
	// one transaction. The saved profile is returned. Errors: whatever change
	// returns (nothing is saved); ErrAlreadyHandled (change is not called);
	// fault.Conflict when another writer saved the profile meanwhile.
	Save(ctx context.Context, customerID, handled string, change func(*profiling.Profile) ([]event.Event, error)) (profiling.Profile, error)
}

// Deliveries stores the delivery log with the notifications service's outbox
// and inbox.
type Deliveries interface {
	// Handled reports whether an event was already handled.
	Handled(ctx context.Context, eventID string) (bool, error)

	// Get returns one delivery. Errors: fault.NotFound.
	Get(ctx context.Context, id string) (notification.Delivery, error)

	// Record stores a delivery (replacing a failed one with the same id)
	// with its events and, when handled is not empty, the handled event id,
	// in one transaction. Errors: ErrAlreadyHandled.
	Record(ctx context.Context, d notification.Delivery, events []event.Event, handled string) error

	// MarkHandled records that an event was handled.
	// Errors: ErrAlreadyHandled.
	MarkHandled(ctx context.Context, handled string) error

	// List returns deliveries matching q, newest first.
	List(ctx context.Context, q notification.Query, w page.Window) (notification.Page, error)
}
