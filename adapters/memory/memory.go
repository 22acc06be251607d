// Package memory implements the storage ports in memory. It follows the same
// contract as the SQLite adapter (the suites in adapters/storetest run over
// both) and suits tests and experiments; nothing survives a restart.
package memory

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/notification"
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
	keys      map[string]idempotencyEntry

	customers
	profiles
	deliveries
}

// New returns an empty store.
func New() *Store {
	return &Store{
		inbox: map[string]bool{}, published: map[int64]bool{}, committed: make(chan struct{}, 1),
		keys:      map[string]idempotencyEntry{},
		customers: newCustomers(), profiles: profiles{byID: map[string]profileEntry{}},
		deliveries: deliveries{byID: map[string]int{}, versions: map[string]int64{}},
	}
}

// enter takes the store's lock, unless ctx is in one of its units of work,
// which holds it already; it returns the function that lets it go.
func (s *Store) enter(ctx context.Context) func() {
	if ctx.Value(txKey{s}) != nil {
		return func() {}
	}
	s.mu.Lock()
	return s.mu.Unlock
}

// txKey marks a context in a unit of work of a store.
type txKey struct{ s *Store }

// Transact implements ports.Transactor: it holds the store's lock while fn
// runs, and puts the store back as it found it when fn fails.
func (s *Store) Transact(ctx context.Context, fn func(ctx context.Context) error) error {
	defer s.enter(ctx)()
	if ctx.Value(txKey{s}) != nil {
		return fn(ctx)
	}
	before := s.snapshot()
	if err := fn(context.WithValue(ctx, txKey{s}, true)); err != nil {
		s.restore(before)
		return err
	}
	return nil
}

// state is what a failed unit of work must leave as it was.
type state struct {
	inbox         map[string]bool
	outbox        []ports.Pending
	seq           int64
	byID          map[string]customer.Customer
	emails        map[string]string
	history       map[string][]customer.Change
	notifications map[string][]customer.Notification
	profiles      map[string]profileEntry
	deliveryLog   []notification.Delivery
	deliveryIndex map[string]int
	versions      map[string]int64
}

// snapshot copies the state; callers hold the lock. Slices kept in maps
// are only ever appended to, so sharing their arrays is safe.
func (s *Store) snapshot() state {
	return state{
		inbox: maps.Clone(s.inbox), outbox: s.outbox[:len(s.outbox):len(s.outbox)], seq: s.seq,
		byID: maps.Clone(s.customers.byID), emails: maps.Clone(s.emails), history: maps.Clone(s.history),
		notifications: maps.Clone(s.notifications), profiles: maps.Clone(s.profiles.byID),
		deliveryLog: slices.Clone(s.deliveries.log), deliveryIndex: maps.Clone(s.deliveries.byID),
		versions: maps.Clone(s.deliveries.versions),
	}
}

func (s *Store) restore(st state) {
	s.inbox, s.outbox, s.seq = st.inbox, st.outbox, st.seq
	s.customers.byID, s.emails, s.history, s.notifications = st.byID, st.emails, st.history, st.notifications
	s.profiles.byID = st.profiles
	s.deliveries.log, s.deliveries.byID, s.deliveries.versions = st.deliveryLog, st.deliveryIndex, st.versions
}

// Inbox returns the store's inbox.
func (s *Store) Inbox() ports.Inbox { return inbox{s} }

type inbox struct{ s *Store }

// Claim implements ports.Inbox.
func (in inbox) Claim(ctx context.Context, id string) error {
	defer in.s.enter(ctx)()
	if in.s.inbox[id] {
		return ports.ErrAlreadyHandled
	}
	in.s.inbox[id] = true
	return nil
}

// Handled implements ports.Inbox.
func (in inbox) Handled(ctx context.Context, id string) (bool, error) {
	defer in.s.enter(ctx)()
	return in.s.inbox[id], nil
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

// Outbox returns the store's outbox.
func (s *Store) Outbox() ports.Outbox { return outbox{s} }

type outbox struct{ s *Store }

func (o outbox) Pending(ctx context.Context, limit int) ([]ports.Pending, error) {
	defer o.s.enter(ctx)()
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

func (o outbox) MarkPublished(ctx context.Context, seqs []int64) error {
	defer o.s.enter(ctx)()
	for _, seq := range seqs {
		o.s.published[seq] = true
	}
	return nil
}

func (o outbox) Committed() <-chan struct{} { return o.s.committed }
