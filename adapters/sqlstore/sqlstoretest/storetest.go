// Package sqlstoretest holds the contract suites of the storage ports, which
// each SQL engine's tests run over the services' stores on it (Contracts):
// the stores behave the same on SQLite and on PostgreSQL.
package sqlstoretest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/ports"
)

var now = time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// ids makes unique, increasing ids for one test.
type ids struct {
	prefix string
	n      int
}

func (g *ids) next() string {
	g.n++
	return fmt.Sprintf("%s-%04d", g.prefix, g.n)
}

func factory(source string) event.Factory {
	g := &ids{prefix: "evt"}
	return event.Factory{Source: source, NewID: g.next}
}

// PendingIDs returns the ids of the unpublished outbox messages, in order.
func PendingIDs(t *testing.T, o ports.Outbox) []string {
	t.Helper()
	p, err := o.Pending(ctx(t), 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(p))
	for i, m := range p {
		out[i] = m.Message.ID
	}
	return out
}

func mustNot(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantErr(t *testing.T, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error = %v, want %v", what, err, want)
	}
}

// TestOutbox checks an outbox: commit order, publication marks, wake-ups.
// add must commit one transaction that appends the events.
func TestOutbox(t *testing.T, o ports.Outbox, add func(t *testing.T, events []event.Event)) {
	f := factory("service-test")
	drain := func() {
		select {
		case <-o.Committed():
		default:
		}
	}
	drain()
	var all []event.Event
	for i := range 3 {
		batch := f.New(ctx(t), now, onboarded(fmt.Sprintf("c%d", i)), onboarded(fmt.Sprintf("c%d", i)))
		add(t, batch)
		all = append(all, batch...)
	}
	select {
	case <-o.Committed():
	default:
		t.Fatal("a commit with events did not wake the relay")
	}
	select {
	case <-o.Committed():
		t.Fatal("wake-ups should coalesce into one pending signal")
	default:
	}
	p, err := o.Pending(ctx(t), 4)
	mustNot(t, err, "Pending")
	if len(p) != 4 {
		t.Fatalf("Pending(4) returned %d", len(p))
	}
	for i, m := range p {
		if m.Message.ID != all[i].ID || (i > 0 && m.Seq <= p[i-1].Seq) {
			t.Fatalf("message %d is %s (seq %d), want %s in commit order", i, m.Message.ID, m.Seq, all[i].ID)
		}
	}
	got, err := event.Decode(p[0].Message)
	mustNot(t, err, "decode an outbox message")
	if got.Metadata != all[0].Metadata || got.Data.(event.Onboarded).CustomerID != "c0" {
		t.Fatalf("stored message changed: %+v", got)
	}
	mustNot(t, o.Published(ctx(t), p[1].Seq), "Published")
	// A cursor never moves back: an older sequence publishes nothing again.
	mustNot(t, o.Published(ctx(t), p[0].Seq), "Published an older sequence")
	rest := PendingIDs(t, o)
	if len(rest) != 4 || rest[0] != all[2].ID {
		t.Fatalf("after publishing two, pending = %v", rest)
	}
}

// Units are a store's unit of work and inbox, with a write of the store's
// own to make inside one and a count of those writes that are visible.
type Units struct {
	Tx    ports.Transactor
	Inbox ports.Inbox
	// Write makes one write of the store with ctx: n numbers it.
	Write func(ctx context.Context, n int) error
	// Written counts the writes that are visible.
	Written func(ctx context.Context) int
}

// TestUnitsOfWork runs the ports.Transactor and ports.Inbox contract: an
// event's claim and its effect commit together or not at all, and an event
// is handled once.
func TestUnitsOfWork(t *testing.T, open func(t *testing.T) Units) {
	t.Run("a claim and the writes of its unit commit together", func(t *testing.T) {
		u := open(t)
		runs := 0
		err := ports.HandleOnce(ctx(t), u.Tx, u.Inbox, "evt-1", func(c context.Context) error {
			runs++
			return u.Write(c, 1)
		})
		mustNot(t, err, "HandleOnce")
		if handled, err := u.Inbox.Handled(ctx(t), "evt-1"); err != nil || !handled || u.Written(ctx(t)) != 1 {
			t.Fatalf("after the unit: handled %v (%v), %d writes", handled, err, u.Written(ctx(t)))
		}
		err = ports.HandleOnce(ctx(t), u.Tx, u.Inbox, "evt-1", func(c context.Context) error {
			runs++
			return u.Write(c, 2)
		})
		mustNot(t, err, "HandleOnce again")
		if runs != 1 || u.Written(ctx(t)) != 1 {
			t.Fatalf("a handled event ran %d times, %d writes", runs, u.Written(ctx(t)))
		}
	})

	t.Run("a unit that fails leaves neither its claim nor its writes", func(t *testing.T) {
		u := open(t)
		boom := errors.New("boom")
		err := u.Tx.Transact(ctx(t), func(c context.Context) error {
			mustNot(t, u.Inbox.Claim(c, "evt-1"), "Claim")
			mustNot(t, u.Write(c, 1), "Write")
			return boom
		})
		wantErr(t, err, boom, "Transact")
		if handled, _ := u.Inbox.Handled(ctx(t), "evt-1"); handled || u.Written(ctx(t)) != 0 {
			t.Fatalf("a failed unit left traces: handled %v, %d writes", handled, u.Written(ctx(t)))
		}
		mustNot(t, u.Inbox.Claim(ctx(t), "evt-1"), "the claim of a failed unit must stay free")
	})

	t.Run("a claim outside a unit commits at once and only once", func(t *testing.T) {
		u := open(t)
		mustNot(t, u.Inbox.Claim(ctx(t), "evt-2"), "Claim")
		wantErr(t, u.Inbox.Claim(ctx(t), "evt-2"), ports.ErrAlreadyHandled, "Claim twice")
		if handled, err := u.Inbox.Handled(ctx(t), "evt-3"); err != nil || handled {
			t.Fatalf("an unseen event: handled %v, %v", handled, err)
		}
	})
}
