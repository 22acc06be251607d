// Package storetest holds contract test suites for the storage ports. Each
// adapter runs them over its implementation, so every implementation of a
// port behaves the same and a fake cannot drift from the real thing.
package storetest

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

// pendingIDs returns the ids of the unpublished outbox messages, in order.
func pendingIDs(t *testing.T, o ports.Outbox) []string {
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
	mustNot(t, o.MarkPublished(ctx(t), []int64{p[0].Seq, p[1].Seq}), "MarkPublished")
	mustNot(t, o.MarkPublished(ctx(t), nil), "MarkPublished nothing")
	rest := pendingIDs(t, o)
	if len(rest) != 4 || rest[0] != all[2].ID {
		t.Fatalf("after publishing two, pending = %v", rest)
	}
}
