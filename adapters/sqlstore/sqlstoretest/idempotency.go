package sqlstoretest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/idempotency"
)

// TestIdempotency checks a store of idempotent answers: one claim per key,
// answers kept, stale claims taken over, released keys claimable again.
func TestIdempotency(t *testing.T, s idempotency.Store) {
	stale := now.Add(-time.Minute)
	claim := func(id, fp string, at time.Time) (idempotency.Entry, bool) {
		t.Helper()
		e, ok, err := s.Claim(ctx(t), id, fp, at, at.Add(-time.Minute))
		mustNot(t, err, "claim "+id)
		return e, ok
	}
	t.Run("a key is claimed once, even by concurrent requests", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 8 {
			wg.Go(func() {
				_, ok, err := s.Claim(ctx(t), "race", "fp", now, stale)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					won++
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d requests claimed the key, want 1", won)
		}
		if e, ok := claim("race", "fp", now); ok || e.Done || e.Fingerprint != "fp" {
			t.Fatalf("a repeat while under way got %+v, claimed %v", e, ok)
		}
	})
	t.Run("a completed answer is returned to repeats", func(t *testing.T) {
		if _, ok := claim("done", "fp-1", now); !ok {
			t.Fatal("a new key was not claimed")
		}
		a := idempotency.Answer{Status: 201, ContentType: "application/json", Location: "/x/1", Body: []byte(`{"id":"1"}`)}
		mustNot(t, s.Complete(ctx(t), "done", a), "complete")
		e, ok := claim("done", "fp-2", now.Add(time.Hour))
		if ok || !e.Done || e.Fingerprint != "fp-1" || e.Answer.Status != 201 || e.Answer.ContentType != a.ContentType ||
			e.Answer.Location != a.Location || !bytes.Equal(e.Answer.Body, a.Body) {
			t.Fatalf("repeat got %+v, claimed %v; want the first answer", e, ok)
		}
		mustNot(t, s.Release(ctx(t), "done"), "release")
		if _, ok := claim("done", "fp-1", now); ok {
			t.Fatal("releasing a completed key forgot its answer")
		}
	})
	t.Run("a claim whose request died is taken over once stale", func(t *testing.T) {
		claim("dead", "fp-1", now)
		if _, ok := claim("dead", "fp-1", now.Add(30*time.Second)); ok {
			t.Fatal("a fresh claim was taken over")
		}
		if e, ok := claim("dead", "fp-2", now.Add(2*time.Minute)); !ok {
			t.Fatalf("a stale claim was not taken over: %+v", e)
		}
		if e, _ := claim("dead", "fp-3", now.Add(2*time.Minute)); e.Fingerprint != "fp-2" {
			t.Fatalf("after the take-over the fingerprint is %q, want the new request's", e.Fingerprint)
		}
	})
	t.Run("a released key runs again", func(t *testing.T) {
		claim("released", "fp-1", now)
		mustNot(t, s.Release(ctx(t), "released"), "release")
		if _, ok := claim("released", "fp-2", now); !ok {
			t.Fatal("a released key could not be claimed")
		}
	})
}
