package memory

import (
	"context"
	"time"

	"github.com/fintechlabs/customers/core/idempotency"
)

type idempotencyEntry struct {
	idempotency.Entry
	claimedAt time.Time
}

// Idempotency returns the store of answers to requests made with an
// Idempotency-Key.
func (s *Store) Idempotency() idempotency.Store { return answers{s} }

// answers implements idempotency.Store.
type answers struct{ *Store }

// Claim implements idempotency.Store.
func (s answers) Claim(ctx context.Context, id, fingerprint string, now, stale time.Time) (idempotency.Entry, bool, error) {
	defer s.enter(ctx)()
	e, ok := s.keys[id]
	if !ok || !e.Done && e.claimedAt.Before(stale) {
		s.keys[id] = idempotencyEntry{Entry: idempotency.Entry{Fingerprint: fingerprint}, claimedAt: now}
		return idempotency.Entry{}, true, nil
	}
	return e.Entry, false, nil
}

// Complete implements idempotency.Store.
func (s answers) Complete(ctx context.Context, id string, a idempotency.Answer) error {
	defer s.enter(ctx)()
	if e, ok := s.keys[id]; ok {
		e.Done, e.Answer = true, a
		e.Answer.Body = append([]byte(nil), a.Body...)
		s.keys[id] = e
	}
	return nil
}

// Release implements idempotency.Store.
func (s answers) Release(ctx context.Context, id string) error {
	defer s.enter(ctx)()
	if e, ok := s.keys[id]; ok && !e.Done {
		delete(s.keys, id)
	}
	return nil
}
