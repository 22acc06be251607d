package stacktest

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/devprovider"
	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/rest/customerapi"
	"github.com/fintechlabs/customers/adapters/rest/notificationapi"
	"github.com/fintechlabs/customers/adapters/rest/profilingapi"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/adapters/sqlstore/customersql"
	"github.com/fintechlabs/customers/adapters/sqlstore/deliverysql"
	"github.com/fintechlabs/customers/adapters/sqlstore/profilesql"
	"github.com/fintechlabs/customers/adapters/uuidv7"
	"github.com/fintechlabs/customers/apps/config"
	customerapp "github.com/fintechlabs/customers/core/customer/app"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/notification"
	notificationapp "github.com/fintechlabs/customers/core/notification/app"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/core/profiling"
	profilingapp "github.com/fintechlabs/customers/core/profiling/app"
	"github.com/fintechlabs/customers/ports"
)

// APIs are the three services' routers over SQLite stores in the test's
// temporary directory, sending through the development provider's
// in-memory mailbox (served at /notifications/mailbox): what the services
// serve, for tests that call the routes without a broker.
type APIs struct {
	Customers, Profiling, Notifications http.Handler
	// CustomerStore is the customer service's database, for what only
	// events do to it (a notification sent).
	CustomerStore *customersql.Store
}

// Of returns the router of the service of kind.
func (a APIs) Of(kind config.Kind) http.Handler {
	return map[config.Kind]http.Handler{config.Customer: a.Customers, config.Profiling: a.Profiling, config.Notifications: a.Notifications}[kind]
}

// NewAPIs builds the routers with opts, each keeping idempotent answers in
// its own database; the use cases tell time by clk and make ids with ids
// (the wall clock and UUIDv7s when nil).
func NewAPIs(t testing.TB, opts rest.Options, clk ports.Clock, ids ports.IDGenerator) APIs {
	t.Helper()
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if clk == nil {
		clk = clock.UTC{}
	}
	if ids == nil {
		ids = uuidv7.Generator{}
	}
	dir := t.TempDir()
	customers := OpenStore(t, filepath.Join(dir, "customer.db"), clk, customersql.Open)
	profiles := OpenStore(t, filepath.Join(dir, "profiling.db"), clk, profilesql.Open)
	deliveries := OpenStore(t, filepath.Join(dir, "notifications.db"), clk, deliverysql.Open)
	box := devprovider.NewMemoryMailbox()
	provider := devprovider.NewProvider(box, clk, opts.Log, devprovider.Options{})

	customerOpts, profilingOpts, notificationOpts := opts, opts, opts
	customerOpts.Idempotency, profilingOpts.Idempotency, notificationOpts.Idempotency =
		customers.Idempotency(), profiles.Idempotency(), deliveries.Idempotency()
	notificationOpts.Routes = append(notificationOpts.Routes, rest.Route{Method: http.MethodGet, Pattern: "/notifications/mailbox",
		Scope: rest.ScopeAdmin, Handler: devprovider.Handler(box, opts.Log), Summary: "What the development provider delivered",
		Query: []string{"to"}, Answer: devprovider.MailboxAnswer()})
	return APIs{
		Customers: customerapi.New(customerapp.New(customerapp.Storage{Customers: customers, Views: customers, Inbox: customers.Inbox(),
			Tx: customers}, clk, ids, opts.Log), customerOpts),
		Profiling: profilingapi.New(profilingapp.New(profilingapp.Storage{Profiles: profiles, Inbox: profiles.Inbox(), Tx: profiles},
			profiling.DefaultRules(), clk, ids, opts.Log), profilingOpts),
		Notifications: notificationapi.New(notificationapp.New(notificationapp.Storage{Deliveries: deliveries, Inbox: deliveries.Inbox(),
			Tx: deliveries}, provider, provider, notification.Templates(), clk, ids, opts.Log), notificationOpts),
		CustomerStore: customers,
	}
}

// Routers are NewAPIs' routers with the documents and dead-letter routes
// every running service serves: what a service answers, for tests that
// walk every route.
func Routers(t testing.TB, opts rest.Options) APIs {
	t.Helper()
	if opts.AsyncAPI == nil {
		opts.AsyncAPI, _ = kafka.AsyncAPI("test", nil, event.Topics())
	}
	if opts.DeadLetters == nil {
		opts.DeadLetters = NoDeadLetters{}
	}
	return NewAPIs(t, opts, nil, nil)
}

// OpenStore opens a store with openStore (customersql.Open, ...) on the
// SQLite file at path, closed when the test ends.
func OpenStore[S interface{ Close() error }](t testing.TB, path string, clk ports.Clock,
	openStore func(context.Context, sqlstore.Engine, ports.Clock, sqlstore.Tracer, *slog.Logger) (S, error)) S {
	t.Helper()
	engine, err := sqlite.New(path, sqlite.Normal)
	if err != nil {
		t.Fatal(err)
	}
	s, err := openStore(context.Background(), engine, clk, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// NoDeadLetters are those of a consumer that gave up on nothing.
type NoDeadLetters struct{}

// List implements rest.DeadLetters.
func (NoDeadLetters) List(context.Context, page.Window) (rest.DeadLetterPage, error) {
	return rest.DeadLetterPage{}, nil
}

// Replay implements rest.DeadLetters.
func (NoDeadLetters) Replay(_ context.Context, topic string, partition int, offset int64) error {
	e := fault.NotFoundf("no dead letter of %s at %d:%d", topic, partition, offset)
	e.Code = "dead_letter.not_found"
	return e
}
