package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
)

var now = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func newCustomer(t testing.TB, id string) (*customer.Customer, []event.Event) {
	t.Helper()
	c, _, err := customer.New(id, customer.Registration{Name: "Ana", Email: id + "@example.es", Phone: "+34600111222"}, now)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	f := event.Factory{Source: "test", NewID: func() string { n++; return id + "-evt-" + string(rune('a'+n)) }}
	env := event.Envelope{CustomerID: id, Customer: event.Customer{ID: id, Version: 1}, Timestamp: now}
	return c, f.New(context.Background(), now, event.Registered{Envelope: env}, event.Onboarded{Envelope: env})
}

func TestReopeningKeepsDataAndPendingEventsAndMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "customer.db")
	ctx := context.Background()
	db, err := sqlite.OpenCustomers(ctx, path, clock.UTC{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	c, events := newCustomer(t, "c1")
	if err := db.Customers().Create(ctx, c, events); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	again, err := sqlite.OpenCustomers(ctx, path, clock.UTC{}, quiet)
	if err != nil {
		t.Fatalf("reopening an up-to-date database: %v", err)
	}
	defer again.Close()
	if _, err := again.Customers().Get(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	pending, err := again.Outbox().Pending(ctx, 10)
	if err != nil || len(pending) != 2 {
		t.Fatalf("events committed before a restart must still be pending: %d, %v", len(pending), err)
	}
	if n, err := again.Outbox().PendingCount(ctx); err != nil || n != 2 {
		t.Fatalf("PendingCount = %d, %v", n, err)
	}
	if err := again.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAWriterWaitingForTheLockGivesUpWhenItsContextEnds(t *testing.T) {
	db := mustOpen(t, sqlite.OpenCustomers)
	ctx := context.Background()
	c, events := newCustomer(t, "c1")
	if err := db.Customers().Create(ctx, c, events); err != nil {
		t.Fatal(err)
	}
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := db.Customers().Update(ctx, "c1", func(*customer.Customer) ([]event.Event, error) {
			close(holding)
			<-release
			return nil, nil
		})
		done <- err
	}()
	<-holding
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := db.Inbox().Claim(short, "evt-1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a queued write = %v, want the context's deadline", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := db.Inbox().Claim(ctx, "evt-1"); err != nil {
		t.Fatalf("the given-up write must have left no trace: %v", err)
	}
}

func TestOpeningFailsClearly(t *testing.T) {
	ctx := context.Background()
	if _, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "x.db"), sqlite.Schema("billing"), clock.UTC{}, quiet); err == nil {
		t.Fatal("an unknown schema opened")
	}
	if _, err := sqlite.Open(ctx, "/proc/nope/x.db", sqlite.CustomerSchema, clock.UTC{}, quiet); err == nil {
		t.Fatal("an impossible path opened")
	}
}

func TestPruningKeepsUnpublishedEventsAndRecentHistory(t *testing.T) {
	db := mustOpen(t, sqlite.OpenCustomers)
	ctx := context.Background()
	c, events := newCustomer(t, "c1")
	if err := db.Customers().Create(ctx, c, events); err != nil {
		t.Fatal(err)
	}
	pending, _ := db.Outbox().Pending(ctx, 10)
	if err := db.Outbox().MarkPublished(ctx, []int64{pending[0].Seq}); err != nil {
		t.Fatal(err)
	}
	if err := db.Inbox().Claim(ctx, "evt-old"); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Prune(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("nothing is an hour old yet: pruned %d, %v", n, err)
	}
	n, err := db.Prune(ctx, time.Now().Add(time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("pruned %d rows, %v; want the published event and the inbox entry", n, err)
	}
	left, _ := db.Outbox().Pending(ctx, 10)
	if len(left) != 1 || left[0].Seq != pending[1].Seq {
		t.Fatalf("an unpublished event was pruned: %+v", left)
	}
	if err := db.Inbox().Claim(ctx, "evt-old"); err != nil {
		t.Fatalf("the pruned inbox entry should be gone: %v", err)
	}
}
