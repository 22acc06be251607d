package stacktest

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/fintechlabs/customers/adapters/kafka"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/devprovider"
	"github.com/fintechlabs/customers/adapters/memory"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/uuidv7"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/lifecycle"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/notifier"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/core/profiler"
	"github.com/fintechlabs/customers/core/profiling"
)

// Routers returns each service's router over in-memory stores with opts,
// the development mailbox included: what the services serve, for tests that
// walk or call the routes without starting anything.
func Routers(opts rest.Options) map[config.Kind]http.Handler {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	clk, ids := clock.UTC{}, uuidv7.Generator{}
	s := memory.New()
	opts.Idempotency = s.Idempotency()
	if opts.AsyncAPI == nil {
		opts.AsyncAPI, _ = kafka.AsyncAPI("test", nil, event.Topics())
	}
	if opts.DeadLetters == nil {
		opts.DeadLetters = NoDeadLetters{}
	}
	withMailbox := opts
	withMailbox.Routes = append(withMailbox.Routes, rest.Route{Method: http.MethodGet, Pattern: "/notifications/mailbox",
		Handler: devprovider.Handler(devprovider.NewMemoryMailbox(), opts.Log)})
	return map[config.Kind]http.Handler{
		config.Customer: rest.CustomerRouter(lifecycle.New(lifecycle.Storage{Customers: s.Customers(), Views: s.Customers(), Inbox: s.Inbox(), Tx: s},
			clk, ids, opts.Log), opts),
		config.Profiling: rest.ProfilingRouter(profiler.New(profiler.Storage{Profiles: s.Profiles(), Inbox: s.Inbox(), Tx: s},
			profiling.DefaultRules(), clk, ids, opts.Log), opts),
		config.Notifications: rest.NotificationsRouter(notifier.New(notifier.Storage{Deliveries: s.Deliveries(), Inbox: s.Inbox(), Tx: s},
			nil, nil, notification.Templates(), clk, ids, opts.Log), withMailbox),
	}
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
