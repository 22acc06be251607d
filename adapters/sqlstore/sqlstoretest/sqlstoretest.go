package sqlstoretest

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/adapters/sqlstore/customersql"
	"github.com/fintechlabs/customers/adapters/sqlstore/deliverysql"
	"github.com/fintechlabs/customers/adapters/sqlstore/profilesql"
	"github.com/fintechlabs/customers/ports"
)

// Engine returns a new, empty database of one engine for the tables of
// service (a sqlstore.Schema's Name), failing the test if it cannot.
type Engine func(t testing.TB, service string) sqlstore.Engine

// Opener is a store's Open function (customersql.Open, ...).
type Opener[S any] func(context.Context, sqlstore.Engine, ports.Clock, sqlstore.Tracer, *slog.Logger) (S, error)

// Quiet discards the stores' logs.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Open opens a store on engine with open, failing the test if it cannot,
// and closes it when the test ends.
func Open[S interface{ Close() error }](tb testing.TB, engine sqlstore.Engine, open Opener[S]) S {
	tb.Helper()
	s, err := open(context.Background(), engine, clock.UTC{}, nil, Quiet)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// Contracts runs every storage contract suite on the stores of each
// service on databases that engine makes.
func Contracts(t *testing.T, engine Engine) {
	t.Run("customers", func(t *testing.T) {
		TestCustomers(t, func(t *testing.T) CustomerStore {
			db := Open(t, engine(t, customersql.Schema.Name), customersql.Open)
			return CustomerStore{Customers: db, Views: db, Outbox: db.Outbox(), Units: Units{Tx: db, Inbox: db.Inbox()}}
		})
	})
	t.Run("profiles", func(t *testing.T) {
		TestProfiles(t, func(t *testing.T) ProfileStore {
			db := Open(t, engine(t, profilesql.Schema.Name), profilesql.Open)
			return ProfileStore{Profiles: db, Outbox: db.Outbox(), Units: Units{Tx: db, Inbox: db.Inbox()}}
		})
	})
	t.Run("deliveries", func(t *testing.T) {
		TestDeliveries(t, func(t *testing.T) DeliveryStore {
			db := Open(t, engine(t, deliverysql.Schema.Name), deliverysql.Open)
			return DeliveryStore{Deliveries: db, Outbox: db.Outbox(), Units: Units{Tx: db, Inbox: db.Inbox()}}
		})
	})
	t.Run("forgetting a customer", func(t *testing.T) {
		db := Open(t, engine(t, customersql.Schema.Name), customersql.Open)
		TestForgetting(t, CustomerStore{Customers: db, Views: db, Outbox: db.Outbox(), Units: Units{Tx: db, Inbox: db.Inbox()}}, db, db.Idempotency())
	})
	t.Run("idempotency", func(t *testing.T) {
		TestIdempotency(t, Open(t, engine(t, customersql.Schema.Name), customersql.Open).Idempotency())
	})
}
