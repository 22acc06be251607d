// Package storage chooses a service's database engine as its
// configuration says: PostgreSQL when DATABASE_URL is set, the SQLite file
// otherwise. A service's wiring opens its store on the engine, so a
// service is one wiring whatever the database.
package storage

import (
	"context"

	"github.com/fintechlabs/customers/adapters/postgres"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/apps/config"
)

// Engine connects to the database of schema's service as cfg says.
func Engine(ctx context.Context, cfg config.Config, schema sqlstore.Schema) (sqlstore.Engine, error) {
	if cfg.DatabaseURL != "" {
		return postgres.New(ctx, schema.Name, postgres.Options{URL: cfg.DatabaseURL, MaxConns: cfg.DatabaseMaxConns,
			StatementTimeout: cfg.DatabaseStatementTimeout})
	}
	return sqlite.New(cfg.Database, cfg.Durability)
}
