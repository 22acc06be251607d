package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fintechlabs/customers/adapters/sqlite"
)

// BenchmarkCreateACustomerWithItsEvents is one onboarding's write: the
// customer, its first history entry and two outbox rows, in one transaction.
func BenchmarkCreateACustomerWithItsEvents(b *testing.B) {
	db := mustOpen(b, sqlite.OpenCustomers)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		c, events := newCustomer(b, fmt.Sprintf("c%08d", i))
		if err := db.Customers().Create(ctx, c, events); err != nil {
			b.Fatal(err)
		}
	}
}
