package sqlstoretest

import (
	"context"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/idempotency"
	"github.com/fintechlabs/customers/ports"
)

// TestForgetting runs the ports.Forgetter contract on the database s and
// answers share: a customer's outbox events and the idempotency answers
// that name them go, another customer's stay.
func TestForgetting(t *testing.T, s CustomerStore, forget ports.Forgetter, answers idempotency.Store) {
	f := factory("test")
	create(t, s, f, "c1")
	create(t, s, f, "c2")
	for id, answer := range map[string]idempotency.Answer{
		"k1": {Status: 201, Location: "/api/v1/customers/c1", Body: []byte(`{"customerId":"c1"}`)},
		"k2": {Status: 201, Location: "/api/v1/customers/c2", Body: []byte(`{"customerId":"c2"}`)},
		"k3": {Status: 200, Body: []byte(`{"customer":{"id":"c1"}}`)},
	} {
		_, claimed, err := answers.Claim(ctx(t), id, "fp", now, now.Add(-time.Hour))
		mustNot(t, err, "Claim")
		if !claimed {
			t.Fatalf("key %s was not claimed", id)
		}
		mustNot(t, answers.Complete(ctx(t), id, answer), "Complete")
	}

	mustNot(t, s.Tx.Transact(ctx(t), func(ctx context.Context) error { return forget.Forget(ctx, "c1") }), "Forget")
	mustNot(t, forget.Purge(ctx(t)), "Purge")

	pending, err := s.Outbox.Pending(ctx(t), 100)
	mustNot(t, err, "Pending")
	if len(pending) == 0 {
		t.Fatal("the other customer's events went too")
	}
	for _, p := range pending {
		if p.Message.Subject != "c2" {
			t.Fatalf("an event about %s stayed: %+v", p.Message.Subject, p.Message.Metadata)
		}
	}
	for id, gone := range map[string]bool{"k1": true, "k2": false, "k3": true} {
		e, claimed, err := answers.Claim(ctx(t), id, "fp", now, now.Add(-time.Hour))
		mustNot(t, err, "Claim again")
		if claimed != gone || (!gone && !e.Done) {
			t.Errorf("key %s: claimed again %v, want %v (%+v)", id, claimed, gone, e)
		}
	}
}
