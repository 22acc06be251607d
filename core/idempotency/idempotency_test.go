package idempotency_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/idempotency"
)

// store is a map of entries, enough to drive the Keeper's decisions.
type store struct {
	entries map[string]idempotency.Entry
	claimed map[string]time.Time
	err     error
}

func newStore() *store {
	return &store{entries: map[string]idempotency.Entry{}, claimed: map[string]time.Time{}}
}

func (s *store) Claim(_ context.Context, id, fp string, now, stale time.Time) (idempotency.Entry, bool, error) {
	if s.err != nil {
		return idempotency.Entry{}, false, s.err
	}
	if e, ok := s.entries[id]; ok && (e.Done || !s.claimed[id].Before(stale)) {
		return e, false, nil
	}
	s.entries[id], s.claimed[id] = idempotency.Entry{Fingerprint: fp}, now
	return idempotency.Entry{}, true, nil
}

func (s *store) Complete(_ context.Context, id string, a idempotency.Answer) error {
	s.entries[id] = idempotency.Entry{Fingerprint: s.entries[id].Fingerprint, Done: true, Answer: a}
	return nil
}

func (s *store) Release(_ context.Context, id string) error {
	delete(s.entries, id)
	return nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestAKeyReplaysTheFirstAnswerOfItsRequestOnly(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	k := idempotency.NewKeeper(newStore(), clk.now, time.Minute)
	first := idempotency.Request{Scope: "alice", Route: "POST /customers/onboard", Key: "k-1", Body: []byte(`{"name":"Ana"}`)}

	id, _, replay, err := k.Begin(ctx, first)
	if err != nil || replay || id == "" {
		t.Fatalf("a new key: id %q, replay %v, %v", id, replay, err)
	}
	if _, _, _, err := k.Begin(ctx, first); !errors.Is(err, idempotency.ErrInFlight) {
		t.Fatalf("a repeat while the first runs: %v, want ErrInFlight", err)
	}
	answer := idempotency.Answer{Status: 201, ContentType: "application/json", Location: "/customers/1", Body: []byte(`{"id":"1"}`)}
	if err := k.Finish(ctx, id, answer); err != nil {
		t.Fatal(err)
	}
	_, got, replay, err := k.Begin(ctx, first)
	if err != nil || !replay || got.Status != 201 || string(got.Body) != `{"id":"1"}` || got.Location != "/customers/1" {
		t.Fatalf("a repeat after the answer: %+v, replay %v, %v", got, replay, err)
	}

	tests := []struct {
		name   string
		change func(r *idempotency.Request)
		want   error
	}{
		{"another body is refused", func(r *idempotency.Request) { r.Body = []byte(`{"name":"Eve"}`) }, idempotency.ErrKeyReused},
		{"another route is another key", func(r *idempotency.Request) { r.Route = "POST /customers/activate" }, nil},
		{"another caller is another key", func(r *idempotency.Request) { r.Scope = "bob" }, nil},
		{"another key is another key", func(r *idempotency.Request) { r.Key = "k-2" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := first
			tt.change(&r)
			_, got, replay, err := k.Begin(ctx, r)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if replay || len(got.Body) > 0 {
				t.Fatalf("the first answer leaked: %+v", got)
			}
		})
	}
}

func TestAnAnswerThatSaysTryAgainIsNotKept(t *testing.T) {
	tests := []struct {
		status int
		kept   bool
	}{
		{200, true}, {201, true}, {400, true}, {413, true}, {422, true},
		{401, false}, {403, false}, {404, false}, {405, false}, {408, false}, {409, false}, {429, false}, {500, false}, {503, false}, {0, false},
	}
	for _, tt := range tests {
		if got := idempotency.Replayable(tt.status); got != tt.kept {
			t.Errorf("Replayable(%d) = %v, want %v", tt.status, got, tt.kept)
		}
	}
	ctx := context.Background()
	clk := &clock{t: time.Now()}
	k := idempotency.NewKeeper(newStore(), clk.now, time.Minute)
	r := idempotency.Request{Route: "POST /notifications/sms", Key: "k", Body: []byte("{}")}
	id, _, _, _ := k.Begin(ctx, r)
	if err := k.Finish(ctx, id, idempotency.Answer{Status: 503}); err != nil {
		t.Fatal(err)
	}
	if _, _, replay, err := k.Begin(ctx, r); err != nil || replay {
		t.Fatalf("after a 503 the repeat did not run again: replay %v, %v", replay, err)
	}
}

func TestAClaimWhoseRequestDiedIsTakenOverAfterItsLease(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Now()}
	k := idempotency.NewKeeper(newStore(), clk.now, time.Minute)
	r := idempotency.Request{Route: "POST /customers/onboard", Key: "k", Body: []byte("{}")}
	if _, _, _, err := k.Begin(ctx, r); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(59 * time.Second)
	if _, _, _, err := k.Begin(ctx, r); !errors.Is(err, idempotency.ErrInFlight) {
		t.Fatalf("within the lease: %v", err)
	}
	clk.t = clk.t.Add(2 * time.Second)
	if id, _, replay, err := k.Begin(ctx, r); err != nil || replay || id == "" {
		t.Fatalf("after the lease: %q %v %v", id, replay, err)
	}
}

func TestABadKeyOrAFailingStoreIsAnError(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Now()}
	for _, key := range []string{"", strings.Repeat("k", idempotency.MaxKeyLength+1), "a\nb", "ñ"} {
		k := idempotency.NewKeeper(newStore(), clk.now, time.Minute)
		if _, _, _, err := k.Begin(ctx, idempotency.Request{Key: key}); !errors.Is(err, idempotency.ErrKeyInvalid) {
			t.Errorf("key %q: %v, want ErrKeyInvalid", key, err)
		}
	}
	down := newStore()
	down.err = errors.New("disk I/O error")
	k := idempotency.NewKeeper(down, clk.now, time.Minute)
	if _, _, _, err := k.Begin(ctx, idempotency.Request{Key: "k"}); !errors.Is(err, down.err) {
		t.Fatalf("a failing store: %v", err)
	}
}
