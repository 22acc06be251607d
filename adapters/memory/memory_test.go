package memory_test

import (
	"testing"

	"github.com/fintechlabs/customers/adapters/memory"
	"github.com/fintechlabs/customers/adapters/storetest"
)

func TestCustomersContract(t *testing.T) {
	storetest.TestCustomers(t, func(*testing.T) storetest.CustomerStore {
		s := memory.New()
		return storetest.CustomerStore{Customers: s.Customers(), Views: s.Customers(), Outbox: s.Outbox(),
			Units: storetest.Units{Tx: s, Inbox: s.Inbox()}}
	})
}

func TestProfilesContract(t *testing.T) {
	storetest.TestProfiles(t, func(*testing.T) storetest.ProfileStore {
		s := memory.New()
		return storetest.ProfileStore{Profiles: s.Profiles(), Outbox: s.Outbox(), Units: storetest.Units{Tx: s, Inbox: s.Inbox()}}
	})
}

func TestDeliveriesContract(t *testing.T) {
	storetest.TestDeliveries(t, func(*testing.T) storetest.DeliveryStore {
		s := memory.New()
		return storetest.DeliveryStore{Deliveries: s.Deliveries(), Outbox: s.Outbox(), Units: storetest.Units{Tx: s, Inbox: s.Inbox()}}
	})
}

func TestIdempotencyContract(t *testing.T) {
	storetest.TestIdempotency(t, memory.New().Idempotency())
}
