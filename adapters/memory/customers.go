package memory

import (
	"context"
	"sort"
	"strings"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/ports"
)

type customers struct {
	byID          map[string]customer.Customer
	emails        map[string]string // lower-cased email -> id
	history       map[string][]customer.Change
	notifications map[string][]customer.Notification
}

func newCustomers() customers {
	return customers{byID: map[string]customer.Customer{}, emails: map[string]string{},
		history: map[string][]customer.Change{}, notifications: map[string][]customer.Notification{}}
}

// Customers returns the store as ports.Customers.
func (s *Store) Customers() ports.Customers { return customerStore{s} }

type customerStore struct{ s *Store }

var _ ports.Customers = customerStore{}

func (c customerStore) Create(_ context.Context, cu *customer.Customer, events []event.Event) error {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(string(cu.Email))
	if _, taken := s.emails[key]; taken {
		return customer.ErrEmailTaken
	}
	if err := s.addEvents(events); err != nil {
		return err
	}
	s.emails[key] = cu.ID
	s.history[cu.ID] = append(s.history[cu.ID], cu.Changes()...)
	s.customers.byID[cu.ID] = cu.Saved()
	return nil
}

func (c customerStore) Update(_ context.Context, id, handled string, change func(*customer.Customer) ([]event.Event, error)) (customer.Customer, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if handled != "" && s.inbox[handled] {
		return customer.Customer{}, ports.ErrAlreadyHandled
	}
	stored, ok := s.customers.byID[id]
	if !ok {
		return customer.Customer{}, customer.ErrNotFound.With(id, nil)
	}
	cu := stored.Saved()
	events, err := change(&cu)
	if err != nil {
		return customer.Customer{}, err
	}
	if err := s.addEvents(events); err != nil {
		return customer.Customer{}, err
	}
	_ = s.markHandled(handled) // checked above, under the same lock
	if cu.Version != stored.Version {
		s.history[id] = append(s.history[id], cu.Changes()...)
		s.customers.byID[id] = cu.Saved()
	}
	return cu.Saved(), nil
}

func (c customerStore) Get(_ context.Context, id string) (customer.Customer, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	cu, ok := c.s.customers.byID[id]
	if !ok {
		return customer.Customer{}, customer.ErrNotFound.With(id, nil)
	}
	return cu.Saved(), nil
}

func (c customerStore) List(_ context.Context, f customer.Filter, w page.Window) (customer.Page, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	var all []customer.Customer
	for _, cu := range c.s.customers.byID {
		if (f.Status == "" || cu.Status == f.Status) && (f.Tier == "" || cu.Tier == f.Tier) && cu.ID > w.After {
			all = append(all, cu.Saved())
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	if len(all) > w.Limit+1 {
		all = all[:w.Limit+1]
	}
	items, next := page.Next(all, w, func(cu customer.Customer) string { return cu.ID })
	return customer.Page{Customers: items, Next: next}, nil
}

func (c customerStore) History(_ context.Context, id string) ([]customer.Change, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if _, ok := c.s.customers.byID[id]; !ok {
		return nil, customer.ErrNotFound.With(id, nil)
	}
	return append([]customer.Change{}, c.s.history[id]...), nil
}

func (c customerStore) AddNotification(_ context.Context, customerID string, n customer.Notification, handled string) error {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if handled != "" && s.inbox[handled] {
		return ports.ErrAlreadyHandled
	}
	if _, ok := s.customers.byID[customerID]; !ok {
		return customer.ErrNotFound.With(customerID, nil)
	}
	_ = s.markHandled(handled)
	for _, existing := range s.notifications[customerID] {
		if existing.ID == n.ID {
			return nil
		}
	}
	s.notifications[customerID] = append(s.notifications[customerID], n)
	return nil
}

func (c customerStore) MarkHandled(ctx context.Context, handled string) error {
	return c.s.MarkHandled(ctx, handled)
}

func (c customerStore) Notifications(_ context.Context, customerID string) ([]customer.Notification, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if _, ok := c.s.customers.byID[customerID]; !ok {
		return nil, customer.ErrNotFound.With(customerID, nil)
	}
	ns := append([]customer.Notification{}, c.s.notifications[customerID]...)
	sort.SliceStable(ns, func(i, j int) bool {
		if ns[i].SentAt.Equal(ns[j].SentAt) {
			return ns[i].ID > ns[j].ID
		}
		return ns[i].SentAt.After(ns[j].SentAt)
	})
	return ns, nil
}
