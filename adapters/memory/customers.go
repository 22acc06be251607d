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

// Customers returns the store as ports.Customers and ports.CustomerViews.
func (s *Store) Customers() CustomerStore { return customerStore{s} }

// CustomerStore is the customer repository with its read models.
type CustomerStore interface {
	ports.Customers
	ports.CustomerViews
}

type customerStore struct{ s *Store }

func (c customerStore) Create(ctx context.Context, cu *customer.Customer, events []event.Event) error {
	s := c.s
	defer s.enter(ctx)()
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

func (c customerStore) Update(ctx context.Context, id string, change func(*customer.Customer) ([]event.Event, error)) (customer.Customer, error) {
	s := c.s
	defer s.enter(ctx)()
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
	if cu.Version != stored.Version {
		s.history[id] = append(s.history[id], cu.Changes()...)
		s.customers.byID[id] = cu.Saved()
	}
	return cu.Saved(), nil
}

func (c customerStore) Get(ctx context.Context, id string) (customer.Customer, error) {
	defer c.s.enter(ctx)()
	cu, ok := c.s.customers.byID[id]
	if !ok {
		return customer.Customer{}, customer.ErrNotFound.With(id, nil)
	}
	return cu.Saved(), nil
}

func (c customerStore) List(ctx context.Context, f customer.Filter, w page.Window) (customer.Page, error) {
	defer c.s.enter(ctx)()
	var all []customer.Customer
	for _, cu := range c.s.customers.byID {
		if (f.Status == "" || cu.Status == f.Status) && (f.Tier == "" || cu.Tier == f.Tier) &&
			(f.Email == "" || strings.EqualFold(string(cu.Email), string(f.Email))) && cu.ID > w.After {
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

func (c customerStore) History(ctx context.Context, id string) ([]customer.Change, error) {
	defer c.s.enter(ctx)()
	if _, ok := c.s.customers.byID[id]; !ok {
		return nil, customer.ErrNotFound.With(id, nil)
	}
	return append([]customer.Change{}, c.s.history[id]...), nil
}

func (c customerStore) AddNotification(ctx context.Context, customerID string, n customer.Notification) error {
	s := c.s
	defer s.enter(ctx)()
	if _, ok := s.customers.byID[customerID]; !ok {
		return customer.ErrNotFound.With(customerID, nil)
	}
	for _, existing := range s.notifications[customerID] {
		if existing.ID == n.ID {
			return nil
		}
	}
	s.notifications[customerID] = append(s.notifications[customerID], n)
	return nil
}

func (c customerStore) Notifications(ctx context.Context, customerID string) ([]customer.Notification, error) {
	defer c.s.enter(ctx)()
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
