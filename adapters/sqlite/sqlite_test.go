package sqlite_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/adapters/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// mustOpenDB opens a fresh database file in a temporary directory.
func mustOpenDB(tb testing.TB, schema sqlite.Schema) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), string(schema)+".db"), schema, quiet)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

func TestCustomersContract(t *testing.T) {
	storetest.TestCustomers(t, func(t *testing.T) storetest.CustomerStore {
		db := mustOpenDB(t, sqlite.CustomerSchema)
		return storetest.CustomerStore{Customers: db.Customers(), Outbox: db.Outbox()}
	})
}

func TestProfilesContract(t *testing.T) {
	storetest.TestProfiles(t, func(t *testing.T) storetest.ProfileStore {
		db := mustOpenDB(t, sqlite.ProfilingSchema)
		return storetest.ProfileStore{Profiles: db.Profiles(), Outbox: db.Outbox()}
	})
}

func TestDeliveriesContract(t *testing.T) {
	storetest.TestDeliveries(t, func(t *testing.T) storetest.DeliveryStore {
		db := mustOpenDB(t, sqlite.NotificationsSchema)
		return storetest.DeliveryStore{Deliveries: db.Deliveries(), Outbox: db.Outbox()}
	})
}
