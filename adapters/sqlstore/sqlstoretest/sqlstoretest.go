// Package sqlstoretest runs the storage contract suites (adapters/storetest)
// on the stores of one SQL engine.
package sqlstoretest

import (
	"testing"

	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/adapters/storetest"
)

// Open opens a store with open, failing the test if it cannot, and closes
// it when the test ends: each engine's tests wrap their own Open functions
// with it.
func Open[S interface{ Close() error }](tb testing.TB, open func() (S, error)) S {
	tb.Helper()
	db, err := open()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// Openers open a new, empty database of each service with one engine,
// closed when the test ends.
type Openers struct {
	Customers  func(t *testing.T) *sqlstore.CustomerStore
	Profiles   func(t *testing.T) *sqlstore.ProfileStore
	Deliveries func(t *testing.T) *sqlstore.DeliveryStore
}

// Contracts runs every storage contract suite on the stores open opens.
func Contracts(t *testing.T, open Openers) {
	t.Run("customers", func(t *testing.T) {
		storetest.TestCustomers(t, func(t *testing.T) storetest.CustomerStore {
			db := open.Customers(t)
			return storetest.CustomerStore{Customers: db.Customers(), Views: db.Customers(), Outbox: db.Outbox(),
				Units: storetest.Units{Tx: db, Inbox: db.Inbox()}}
		})
	})
	t.Run("profiles", func(t *testing.T) {
		storetest.TestProfiles(t, func(t *testing.T) storetest.ProfileStore {
			db := open.Profiles(t)
			return storetest.ProfileStore{Profiles: db.Profiles(), Outbox: db.Outbox(), Units: storetest.Units{Tx: db, Inbox: db.Inbox()}}
		})
	})
	t.Run("deliveries", func(t *testing.T) {
		storetest.TestDeliveries(t, func(t *testing.T) storetest.DeliveryStore {
			db := open.Deliveries(t)
			return storetest.DeliveryStore{Deliveries: db.Deliveries(), Outbox: db.Outbox(), Units: storetest.Units{Tx: db, Inbox: db.Inbox()}}
		})
	})
	t.Run("idempotency", func(t *testing.T) {
		storetest.TestIdempotency(t, open.Customers(t).Idempotency())
	})
}
