// Package customers declares what the customer service needs to keep its
// customers: the repository of the aggregate, with its outbox, and its
// read models.
package customers

//go:generate go tool mockgen -destination=../mocks/customers.go -package=mocks -mock_names=Store=MockCustomerStore,Views=MockCustomerViews . Store,Views

import (
	"context"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/page"
)

// Store is the repository of the customer aggregate, with the history
// entries and events its changes cause (outbox).
type Store interface {
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

// Views are the customer service's read models.
type Views interface {
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
