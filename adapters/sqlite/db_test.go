package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/profiling"
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

func TestEvaluationsStoredBeforeTheirDocumentTypesStillRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profiling.db")
	ctx := context.Background()
	store, err := sqlite.OpenProfiles(ctx, path, clock.UTC{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	_, err = store.Profiles().Save(ctx, "c1", func(p *profiling.Profile) ([]event.Event, error) {
		p.Touch(now)
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// The shape earlier versions wrote: the domain types' Go field names.
	old := `{"eligible":true,"score":55,"recommendations":[{"Code":"upgrade-tier","Message":"Upgrade"}],` +
		`"reasons":[{"Rule":"age","Points":15,"Detail":"age 35"}]}`
	if _, err := raw.Exec("UPDATE profiles SET evaluation = ? WHERE customer_id = 'c1'", old); err != nil {
		t.Fatal(err)
	}
	p, err := store.Profiles().Get(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	ev := p.Evaluation
	if len(ev.Recommendations) != 1 || ev.Recommendations[0].Code != "upgrade-tier" || len(ev.Reasons) != 1 || ev.Reasons[0].Points != 15 {
		t.Fatalf("evaluation = %+v", ev)
	}
}
