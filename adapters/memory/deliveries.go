package memory

import (
	"context"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/ports"
)

type deliveries struct {
	log      []notification.Delivery // in insertion order; index+1 is the sequence
	byID     map[string]int
	versions map[string]int64 // newest announced snapshot version, by customer/fact
}

// Deliveries returns the store as ports.Deliveries.
func (s *Store) Deliveries() ports.Deliveries { return deliveryStore{s} }

type deliveryStore struct{ s *Store }

var _ ports.Deliveries = deliveryStore{}

func (d deliveryStore) Get(ctx context.Context, id string) (notification.Delivery, error) {
	defer d.s.enter(ctx)()
	i, ok := d.s.deliveries.byID[id]
	if !ok {
		return notification.Delivery{}, notification.ErrNotFound.With(id, nil)
	}
	return d.s.deliveries.log[i], nil
}

func (d deliveryStore) Intend(ctx context.Context, del notification.Delivery) error {
	del.Status = notification.Pending
	return d.Record(ctx, del, nil)
}

func (d deliveryStore) Record(ctx context.Context, del notification.Delivery, events []event.Event) error {
	s := d.s
	defer s.enter(ctx)()
	if err := s.addEvents(events); err != nil {
		return err
	}
	if i, ok := s.deliveries.byID[del.ID]; ok {
		s.deliveries.log[i] = del
		return nil
	}
	s.deliveries.byID[del.ID] = len(s.deliveries.log)
	s.deliveries.log = append(s.deliveries.log, del)
	return nil
}

func (d deliveryStore) List(ctx context.Context, q notification.Query, w page.Window) (notification.Page, error) {
	defer d.s.enter(ctx)()
	before := len(d.s.deliveries.log) + 1
	n, ok, err := w.AfterNumber()
	if err != nil {
		return notification.Page{}, err
	}
	if ok {
		before = int(n)
	}
	type item struct {
		seq int
		d   notification.Delivery
	}
	var found []item
	for i := min(before-1, len(d.s.deliveries.log)) - 1; i >= 0 && len(found) <= w.Limit; i-- {
		del := d.s.deliveries.log[i]
		if (q.CustomerID == "" || del.CustomerID == q.CustomerID) && (q.Channel == "" || del.Channel == q.Channel) {
			found = append(found, item{i + 1, del})
		}
	}
	found, next := page.Next(found, w, func(it item) string { return page.NumberKey(int64(it.seq)) })
	out := notification.Page{Next: next, Deliveries: make([]notification.Delivery, len(found))}
	for i, it := range found {
		out.Deliveries[i] = it.d
	}
	return out, nil
}

func (d deliveryStore) Reserve(ctx context.Context, customerID string, fact notification.Fact, version int64) (int64, error) {
	defer d.s.enter(ctx)()
	key := customerID + "/" + string(fact)
	d.s.deliveries.versions[key] = max(d.s.deliveries.versions[key], version)
	return d.s.deliveries.versions[key], nil
}
