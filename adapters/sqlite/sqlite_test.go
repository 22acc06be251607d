package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/adapters/sqlstore/customersql"
	"github.com/fintechlabs/customers/adapters/sqlstore/sqlstoretest"
)

var quiet = sqlstoretest.Quiet

// mustOpen opens a store with open (customersql.Open, ...) on a fresh
// database file in a temporary directory.
func mustOpen[S interface{ Close() error }](tb testing.TB, open sqlstoretest.Opener[S]) S {
	tb.Helper()
	return mustOpenAt(tb, open, filepath.Join(tb.TempDir(), "service.db"))
}

// mustOpenAt opens a store with open on the database file at path, and
// closes it when the test ends.
func mustOpenAt[S interface{ Close() error }](tb testing.TB, open sqlstoretest.Opener[S], path string) S {
	tb.Helper()
	return sqlstoretest.Open(tb, engineAt(tb, path), open)
}

func engineAt(tb testing.TB, path string) sqlstore.Engine {
	tb.Helper()
	engine, err := sqlite.New(path, sqlite.Full)
	if err != nil {
		tb.Fatal(err)
	}
	return engine
}

// openAt opens a store with open on the database file at path.
func openAt[S any](path string, durability sqlite.Durability, open sqlstoretest.Opener[S]) (S, error) {
	engine, err := sqlite.New(path, durability)
	if err != nil {
		var none S
		return none, err
	}
	return open(context.Background(), engine, clock.UTC{}, nil, quiet)
}

func TestContracts(t *testing.T) {
	sqlstoretest.Contracts(t, func(t testing.TB, service string) sqlstore.Engine {
		return engineAt(t, filepath.Join(t.TempDir(), service+".db"))
	})
}

func TestTheOldestPendingEventsAgeIsReportedUntilItIsPublished(t *testing.T) {
	db := mustOpen(t, customersql.Open)
	ctx := context.Background()
	if age, err := db.Outbox().OldestPendingAge(ctx); err != nil || age != 0 {
		t.Fatalf("an empty outbox: %v, %v; want 0", age, err)
	}
	c, events := newCustomer(t, "c-age")
	if err := db.Create(ctx, c, events); err != nil {
		t.Fatal(err)
	}
	age, err := db.Outbox().OldestPendingAge(ctx)
	if want := time.Since(now); err != nil || age < want-time.Minute || age > want+time.Minute {
		t.Fatalf("age %v, %v; want about %v (the events happened at %v)", age, err, want, now)
	}
	pending, err := db.Outbox().Pending(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, p := range pending {
		seqs = append(seqs, p.Seq)
	}
	if err := db.Outbox().Published(ctx, seqs[len(seqs)-1]); err != nil {
		t.Fatal(err)
	}
	if age, err := db.Outbox().OldestPendingAge(ctx); err != nil || age != 0 {
		t.Fatalf("after publishing: %v, %v; want 0", age, err)
	}
}
