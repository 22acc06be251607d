package sqlite_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/adapters/sqlstore/sqlstoretest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// mustOpen opens a fresh database file in a temporary directory with open
// (sqlite.OpenCustomers, ...).
func mustOpen[S interface{ Close() error }](tb testing.TB, open func(context.Context, string, sqlite.Options, *slog.Logger) (S, error)) S {
	tb.Helper()
	return mustOpenAt(tb, open, filepath.Join(tb.TempDir(), "service.db"))
}

// mustOpenAt opens the database file at path with open, and closes it when
// the test ends.
func mustOpenAt[S interface{ Close() error }](tb testing.TB, open func(context.Context, string, sqlite.Options, *slog.Logger) (S, error), path string) S {
	tb.Helper()
	return sqlstoretest.Open(tb, func() (S, error) {
		return open(context.Background(), path, sqlite.Options{Clock: clock.UTC{}}, quiet)
	})
}

func TestContracts(t *testing.T) {
	sqlstoretest.Contracts(t, sqlstoretest.Openers{
		Customers:  func(t *testing.T) *sqlstore.CustomerStore { return mustOpen(t, sqlite.OpenCustomers) },
		Profiles:   func(t *testing.T) *sqlstore.ProfileStore { return mustOpen(t, sqlite.OpenProfiles) },
		Deliveries: func(t *testing.T) *sqlstore.DeliveryStore { return mustOpen(t, sqlite.OpenDeliveries) },
	})
}

func TestTheOldestPendingEventsAgeIsReportedUntilItIsPublished(t *testing.T) {
	db := mustOpen(t, sqlite.OpenCustomers)
	ctx := context.Background()
	if age, err := db.Outbox().OldestPendingAge(ctx); err != nil || age != 0 {
		t.Fatalf("an empty outbox: %v, %v; want 0", age, err)
	}
	c, events := newCustomer(t, "c-age")
	if err := db.Customers().Create(ctx, c, events); err != nil {
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
	if err := db.Outbox().MarkPublished(ctx, seqs); err != nil {
		t.Fatal(err)
	}
	if age, err := db.Outbox().OldestPendingAge(ctx); err != nil || age != 0 {
		t.Fatalf("after publishing: %v, %v; want 0", age, err)
	}
}
