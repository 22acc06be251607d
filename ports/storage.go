package ports

import (
	"context"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/core/profiling"
)

// Transactor runs units of work. The writes that stores make with the
// context fn receives join one transaction, which commits when fn returns
// nil and rolls back whole when it returns an error: a handled event's inbox
// entry, the state it changed and the events it caused commit together.
type Transactor interface {
	Transact(ctx context.Context, fn func(ctx context.Context) error) error
}

// Inbox records the events a service has handled, so that a redelivered one
// has no second effect.
type Inbox interface {
	// Claim records eventID as handled, in the unit of work of ctx. Errors:
	// ErrAlreadyHandled when it was handled before: the unit of work must
	// stop, its effect happened already.
	Claim(ctx context.Context, eventID string) error

	// Handled reports whether eventID was handled.
	Handled(ctx context.Context, eventID string) (bool, error)
}

// HandleOnce runs fn in a unit of work that first claims eventID in the
// inbox. An event handled before is skipped without error.
func HandleOnce(ctx context.Context, tx Transactor, inbox Inbox, eventID string, fn func(ctx context.Context) error) error {
	return IgnoreHandled(tx.Transact(ctx, func(ctx context.Context) error {
		if err := inbox.Claim(ctx, eventID); err != nil {
			return err
		}
		return fn(ctx)
	}))
}

// Customers is the repository of the customer aggregate, with the history
// entries and events its changes cause (outbox).
type Customers interface {
	// Create stores a new customer with its history and events, in one
	// transaction. Errors: customer.ErrEmailTaken (fault.Conflict) when the
	// email belongs to another customer.
	Create(ctx context.Context, c *customer.Customer, events []event.Event) error

	// Update loads customer id, calls change, and commits the changed
	// customer, its new history entries and the events change returns, in
	// one transaction (the unit of work of ctx, if any). A change that
	// leaves the version alone saves nothing. The updated customer is
	// returned. Errors: customer.ErrNotFound; whatever change returns
	// (nothing is saved); fault.Conflict when another writer changed the
	// customer meanwhile.
	Update(ctx context.Context, id string, change func(*customer.Customer) ([]event.Event, error)) (customer.Customer, error)

	// Get returns one customer. Errors: customer.ErrNotFound.
	Get(ctx context.Context, id string) (customer.Customer, error)
}

// CustomerViews are the customer service's read models.
type CustomerViews interface {
	// List returns customers matching f in id order (which is creation
	// order: ids are UUIDv7), starting after w.After, at most w.Limit.
	List(ctx context.Context, f customer.Filter, w page.Window) (customer.Page, error)

	// History returns a customer's status history, oldest first. Errors:
	// customer.ErrNotFound.
	History(ctx context.Context, id string) ([]customer.Change, error)

	// Notifications returns a customer's notifications, newest first.
	// Errors: customer.ErrNotFound.
	Notifications(ctx context.Context, customerID string) ([]customer.Notification, error)

	// AddNotification records a notification in a customer's history, in
	// the unit of work of ctx, if any. The same notification twice is kept
	// once. Errors: customer.ErrNotFound.
	AddNotification(ctx context.Context, customerID string, n customer.Notification) error
}

// Profiles stores profiles with the profiling service's outbox.
type Profiles interface {
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

// Deliveries stores the delivery log with the notifications service's
// outbox.
type Deliveries interface {
	// Get returns one delivery. Errors: fault.NotFound.
	Get(ctx context.Context, id string) (notification.Delivery, error)

	// Record stores a delivery (replacing a failed one with the same id)
	// with its events, in one transaction (the unit of work of ctx, if
	// any).
	Record(ctx context.Context, d notification.Delivery, events []event.Event) error

	// Intend records d as pending, in a transaction of its own, before it
	// is handed to the provider: after a crash, the pending delivery tells
	// that the provider may have it.
	Intend(ctx context.Context, d notification.Delivery) error

	// List returns deliveries matching q, newest first.
	List(ctx context.Context, q notification.Query, w page.Window) (notification.Page, error)

	// Reserve claims the announcement of fact (status, tier) to
	// customerID from a snapshot of version, and returns the newest
	// version claimed so far: version when no newer snapshot's
	// announcement came first (the message may go out), a higher one when
	// one did (the message is stale). The check and the claim are one
	// atomic step, committed at once (with the unit of work of ctx, if
	// any): two announcements handled at the same time cannot both pass
	// for the newest.
	Reserve(ctx context.Context, customerID string, fact notification.Fact, version int64) (int64, error)
}
