package rest

import (
	"context"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/core/profiling"
)

// The routers depend on these views of the use cases, in the domain's
// terms only: the HTTP API cannot change with the published events, and a
// router can be tested over any implementation.

// Customers is what the customer service's routes need.
type Customers interface {
	Onboard(ctx context.Context, r customer.Registration) (customer.Customer, error)
	Activate(ctx context.Context, id, reason string) (customer.Customer, error)
	Deactivate(ctx context.Context, id, reason string) (customer.Customer, error)
	RecordFirstPayment(ctx context.Context, id string, r customer.PaymentRequest) (customer.Customer, error)
	Promote(ctx context.Context, id, tier, reason string) (customer.Customer, error)
	Get(ctx context.Context, id string) (customer.Customer, error)
	List(ctx context.Context, status, tier, email string, p page.Request) (customer.Page, error)
	History(ctx context.Context, id string) ([]customer.Change, error)
	Notifications(ctx context.Context, id string) ([]customer.Notification, error)
}

// Profiles is what the profiling service's routes need.
type Profiles interface {
	Promote(ctx context.Context, r profiling.PromoteRequest) (profiling.Decision, error)
	Evaluate(ctx context.Context, customerID string, facts profiling.Statement) (profiling.Evaluation, error)
	Get(ctx context.Context, customerID string) (profiling.Profile, error)
	Rules() profiling.Rules
}

// Notifications is what the notifications service's routes need.
type Notifications interface {
	Send(ctx context.Context, r notification.Request) (notification.Outcome, error)
	List(ctx context.Context, customerID, channel string, p page.Request) (notification.Page, error)
	Get(ctx context.Context, id string) (notification.Delivery, error)
	Templates() *notification.Registry
}
