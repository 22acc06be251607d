// Package customer is the customer service's composition root: which
// storage, which broker, which use cases, which routes.
package customer

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/uuidv7"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/runner"
	"github.com/fintechlabs/customers/apps/storage"
	"github.com/fintechlabs/customers/core/lifecycle"
)

// New assembles the customer service from cfg.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*runner.Service, error) {
	log = log.With("service", lifecycle.Source)

	store, err := storage.OpenCustomers(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	svc := lifecycle.New(lifecycle.Storage{Customers: store.Customers(), Views: store.Customers(), Inbox: store.Inbox(), Tx: store}, clock.UTC{}, uuidv7.Generator{}, log,
		lifecycle.WithDefaultCurrency(cfg.DefaultCurrency))

	return runner.New(ctx, runner.Parts{
		Name: lifecycle.Source, Config: cfg, Log: log, Clock: clock.UTC{},
		Store: store, Outbox: store.Outbox(),
		Emits: lifecycle.Emits, Consumes: lifecycle.Consumes, Handle: svc.Handle,
		Router: func(o rest.Options) http.Handler { return rest.CustomerRouter(svc, o) },
	})
}
