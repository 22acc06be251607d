package sqlite_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/fintechlabs/customers/adapters/sqlstore/customersql"
)

// BenchmarkCreateACustomerWithItsEvents is one onboarding's write: the
// customer, its first history entry and two outbox rows, in one transaction.
func BenchmarkCreateACustomerWithItsEvents(b *testing.B) {
	db := mustOpen(b, customersql.Open)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		c, events := newCustomer(b, fmt.Sprintf("c%08d", i))
		if err := db.Create(ctx, c, events); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateCustomersFrom64Callers is the same write from 64
// concurrent callers, as under load: they share commits (group commit).
func BenchmarkCreateCustomersFrom64Callers(b *testing.B) {
	db := mustOpen(b, customersql.Open)
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(32) // × GOMAXPROCS (2 here): 64 callers
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, events := newCustomer(b, fmt.Sprintf("c%08d", n.Add(1)))
			if err := db.Create(ctx, c, events); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
