// Package customer wires the customer service: its tracer, its database,
// its use cases and its HTTP API, handed to the runner with the topics it
// publishes and consumes.
package customer

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/rest/customerapi"
	"github.com/fintechlabs/customers/adapters/sqlstore/customersql"
	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/adapters/uuidv7"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/runner"
	"github.com/fintechlabs/customers/apps/storage"
	"github.com/fintechlabs/customers/core/customer/app"
	"github.com/fintechlabs/customers/core/money"
)

// Assembly is the customer service, as the binaries run it.
var Assembly = runner.Assembly{Kind: config.Customer, Settings: func(r *config.Reader) { read(r) }, Wire: New}

// settings are the customer service's own.
type settings struct {
	// currency is that of a payment that names none (the original's
	// clients never do).
	currency string
}

func read(r *config.Reader) settings {
	currency, err := money.ParseCurrency(r.String("DEFAULT_CURRENCY", app.DefaultCurrency))
	if err != nil {
		r.Problem("DEFAULT_CURRENCY %v", err)
	}
	return settings{currency: currency}
}

// New builds the customer service from cfg.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*runner.Service, error) {
	log = log.With("service", app.Source)
	r := cfg.Reader()
	own := read(r)
	if err := r.Err("customer"); err != nil {
		return nil, err
	}
	tracer, err := tracing.New(ctx, app.Source, cfg.OTLPEndpoint)
	if err != nil {
		return nil, err
	}
	engine, err := storage.Engine(ctx, cfg, customersql.Schema)
	if err != nil {
		return nil, errors.Join(err, tracer.Shutdown(ctx))
	}
	store, err := customersql.Open(ctx, engine, clock.UTC{}, tracer.Storage(), log)
	if err != nil {
		return nil, errors.Join(err, tracer.Shutdown(ctx))
	}
	svc := app.New(app.Storage{Customers: store, Views: store, Inbox: store.Inbox(), Tx: store, Forget: store}, clock.UTC{}, uuidv7.Generator{}, log,
		app.WithDefaultCurrency(own.currency))

	return runner.New(ctx, runner.Parts{
		Name: app.Source, Config: cfg, Log: log, Clock: clock.UTC{}, Tracer: tracer,
		Store: store, Outbox: store.Outbox(),
		Emits: app.Emits, Consumes: app.Consumes, Handle: svc.Handle,
		Router: func(o rest.Options) http.Handler { return customerapi.New(svc, o) },
	})
}
