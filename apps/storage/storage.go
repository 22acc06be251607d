// Package storage opens a service's database as its configuration says:
// PostgreSQL when DATABASE_URL is set, the SQLite file otherwise. The
// composition roots choose through it, so a service is one wiring whatever
// the database.
package storage

import (
	"context"
	"log/slog"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/postgres"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/apps/config"
)

// OpenCustomers opens the customer service's database.
func OpenCustomers(ctx context.Context, cfg config.Config, log *slog.Logger) (*sqlstore.CustomerStore, error) {
	return open(ctx, cfg, log, sqlite.OpenCustomers, postgres.OpenCustomers)
}

// OpenProfiles opens the profiling service's database.
func OpenProfiles(ctx context.Context, cfg config.Config, log *slog.Logger) (*sqlstore.ProfileStore, error) {
	return open(ctx, cfg, log, sqlite.OpenProfiles, postgres.OpenProfiles)
}

// OpenDeliveries opens the notifications service's database.
func OpenDeliveries(ctx context.Context, cfg config.Config, log *slog.Logger) (*sqlstore.DeliveryStore, error) {
	return open(ctx, cfg, log, sqlite.OpenDeliveries, postgres.OpenDeliveries)
}

func open[S any](ctx context.Context, cfg config.Config, log *slog.Logger,
	file func(context.Context, string, sqlite.Options, *slog.Logger) (S, error),
	server func(context.Context, postgres.Options, *slog.Logger) (S, error)) (S, error) {
	if cfg.DatabaseURL != "" {
		return server(ctx, postgres.Options{URL: cfg.DatabaseURL, Clock: clock.UTC{}, MaxConns: cfg.DatabaseMaxConns,
			StatementTimeout: cfg.DatabaseStatementTimeout}, log)
	}
	return file(ctx, cfg.Database, sqlite.Options{Clock: clock.UTC{}, Durability: cfg.Durability}, log)
}
