package memory

import (
	"context"
	"strconv"

	"github.com/fintechlabs/customers/adapters/delivery"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/ports"
)

type deliveries struct {
	log  []notification.Delivery // in insertion order; index+1 is the sequence
	byID map[string]int
}

// Deliveries returns the store as ports.Deliveries.
func (s *Store) Deliveries() ports.Deliveries { return deliveryStore{s} }

type deliveryStore struct{ s *Store }

var _ ports.Deliveries = deliveryStore{}

func (d deliveryStore) Handled(ctx context.Context, id string) (bool, error) {
	return d.s.Handled(ctx, id)
}

func (d deliveryStore) MarkHandled(ctx context.Context, id string) error {
	return d.s.MarkHandled(ctx, id)
}

func (d deliveryStore) Get(_ context.Context, id string) (notification.Delivery, error) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	i, ok := d.s.deliveries.byID[id]
	if !ok {
		return notification.Delivery{}, fault.NotFoundf("notification %s not found", id)
	}
	return d.s.deliveries.log[i], nil
}

func (d deliveryStore) Record(_ context.Context, del notification.Delivery, events []event.Event, handled string) error {
	s := d.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if handled != "" && s.inbox[handled] {
		return ports.ErrAlreadyHandled
	}
	if err := s.addEvents(events); err != nil {
		return err
	}
	_ = s.markHandled(handled)
	if i, ok := s.deliveries.byID[del.ID]; ok {
		s.deliveries.log[i] = del
		return nil
	}
	s.deliveries.byID[del.ID] = len(s.deliveries.log)
	s.deliveries.log = append(s.deliveries.log, del)
	return nil
}

func (d deliveryStore) List(_ context.Context, q notification.Query, w page.Window) (ports.DeliveryPage, error) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	before := len(d.s.deliveries.log) + 1
	if w.After != "" {
		n, err := strconv.Atoi(w.After)
		if err != nil {
			var bad fault.Fields
			bad.Add("cursor", "is not a cursor this API returned")
			return ports.DeliveryPage{}, bad.Err("invalid page request")
		}
		before = n
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
	found, next := page.Next(found, w, func(it item) string { return strconv.Itoa(it.seq) })
	out := ports.DeliveryPage{Next: next, Deliveries: make([]notification.Delivery, len(found))}
	for i, it := range found {
		out.Deliveries[i] = it.d
	}
	return out, nil
}

type mailbox struct {
	mail  []delivery.Mail
	byKey map[string]int
}

// Mailbox returns the store as the development provider's mailbox.
func (s *Store) Mailbox() MailStore { return MailStore{s} }

// MailStore is the development provider's mailbox in memory.
type MailStore struct{ s *Store }

var _ delivery.Mailbox = MailStore{}

// List returns accepted messages, newest first, optionally to one recipient.
func (m MailStore) List(_ context.Context, recipient string, limit int) ([]delivery.Mail, error) {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	var out []delivery.Mail
	for i := len(m.s.mailbox.mail) - 1; i >= 0 && len(out) < limit; i-- {
		if mail := m.s.mailbox.mail[i]; recipient == "" || mail.Recipient == recipient {
			out = append(out, mail)
		}
	}
	return out, nil
}

// Accept implements delivery.Mailbox.
func (m MailStore) Accept(_ context.Context, mail delivery.Mail) (delivery.Mail, bool, error) {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	if i, ok := m.s.mailbox.byKey[mail.IdempotencyKey]; ok {
		m.s.mailbox.mail[i].Attempts++
		return m.s.mailbox.mail[i], false, nil
	}
	mail.Attempts = 1
	m.s.mailbox.byKey[mail.IdempotencyKey] = len(m.s.mailbox.mail)
	m.s.mailbox.mail = append(m.s.mailbox.mail, mail)
	return mail, true, nil
}
