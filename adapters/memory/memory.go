// Package memory implements the storage ports in memory. It follows the same
// contract as the SQLite adapter (the suites in adapters/storetest run over
// both) and suits tests and experiments; nothing survives a restart.
package memory

import (
	"context"
	"sync"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/ports"
)

// Store holds one service's data: its state, outbox and inbox. All
// operations take one lock, which makes each a transaction.
type Store struct {
	mu        sync.Mutex
	inbox     map[string]bool
	outbox    []ports.Pending
	published map[int64]bool
	seq       int64
	committed chan struct{}

	customers
	profiles
	deliveries
}

// New returns an empty store.
func New() *Store {
	return &Store{
		inbox: map[string]bool{}, published: map[int64]bool{}, committed: make(chan struct{}, 1),
		customers: newCustomers(), profiles: profiles{byID: map[string]profileEntry{}},
		deliveries: deliveries{byID: map[string]int{}},
	}
}

// markHandled records an event id; callers hold the lock and must not have
// changed anything yet.
func (s *Store) markHandled(id string) error {
	if id == "" {
		return nil
	}
	if s.inbox[id] {
		return ports.ErrAlreadyHandled
	}
	s.inbox[id] = true
	return nil
}

// addEvents appends to the outbox; callers hold the lock.
func (s *Store) addEvents(events []event.Event) error {
	for _, e := range events {
		m, err := event.Encode(e)
		if err != nil {
			return err
		}
		s.seq++
		s.outbox = append(s.outbox, ports.Pending{Seq: s.seq, Message: m})
	}
	if len(events) > 0 {
		select {
		case s.committed <- struct{}{}:
		default:
		}
	}
	return nil
}

// Handled reports whether an event id was handled.
func (s *Store) Handled(_ context.Context, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inbox[id], nil
}

// MarkHandled records an event handled with no other effect.
func (s *Store) MarkHandled(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.markHandled(id)
}

// Outbox returns the store's outbox.
func (s *Store) Outbox() ports.Outbox { return outbox{s} }

type outbox struct{ s *Store }

func (o outbox) Pending(_ context.Context, limit int) ([]ports.Pending, error) {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	var out []ports.Pending
	for _, p := range o.s.outbox {
		if !o.s.published[p.Seq] {
			out = append(out, p)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func (o outbox) MarkPublished(_ context.Context, seqs []int64) error {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	for _, seq := range seqs {
		o.s.published[seq] = true
	}
	return nil
}

func (o outbox) Committed() <-chan struct{} { return o.s.committed }
