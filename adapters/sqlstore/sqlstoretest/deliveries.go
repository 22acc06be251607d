package sqlstoretest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/deliveries"
)

// DeliveryStore is what the delivery contract needs from an implementation.
type DeliveryStore struct {
	Deliveries deliveries.Store
	Outbox     ports.Outbox
	Units
}

func sampleDelivery(id, customerID string, ch notification.Channel, at time.Time) notification.Delivery {
	return notification.Delivery{
		ID: id, CustomerID: customerID, Channel: ch, Recipient: "ana@example.es", Template: "welcome",
		Language: locale.English, Content: notification.Content{Subject: "Welcome", Body: "Hello\nAna"},
		Status: notification.Sent, ProviderID: "p-" + id, CreatedAt: at,
		Cause: &notification.Cause{EventID: "evt-" + id, EventType: event.TopicOnboarded},
	}
}

// TestDeliveries runs the deliveries.Store contract. open returns an empty
// store.
func TestDeliveries(t *testing.T, open func(t *testing.T) DeliveryStore) {
	t.Run("a recorded delivery reads back whole with its events", func(t *testing.T) {
		s, f := open(t), factory("service-notifications")
		d := sampleDelivery("d1", "c1", notification.Email, now)
		sent := f.New(ctx(t), now, event.NotificationSent{NotificationID: "d1", Channel: "email", Recipient: "ana@example.es", Status: "sent", Timestamp: now})
		mustNot(t, s.Deliveries.Record(ctx(t), d, sent), "Record")
		got, err := s.Deliveries.Get(ctx(t), "d1")
		mustNot(t, err, "Get")
		if !reflect.DeepEqual(got, d) {
			t.Fatalf("read back\n%+v\nwant\n%+v", got, d)
		}
		if ids := PendingIDs(t, s.Outbox); len(ids) != 1 {
			t.Fatalf("outbox = %v", ids)
		}
		adHoc := sampleDelivery("d2", "", notification.SMS, now)
		adHoc.Cause, adHoc.Template, adHoc.Subject = nil, "", ""
		mustNot(t, s.Deliveries.Record(ctx(t), adHoc, nil), "Record ad hoc")
		if got, _ := s.Deliveries.Get(ctx(t), "d2"); !reflect.DeepEqual(got, adHoc) {
			t.Fatalf("ad-hoc read back %+v", got)
		}
	})

	t.Run("an intent is pending until the delivery is recorded", func(t *testing.T) {
		s := open(t)
		d := sampleDelivery("d1", "c1", notification.Email, now)
		mustNot(t, s.Deliveries.Intend(ctx(t), d), "Intend")
		got, err := s.Deliveries.Get(ctx(t), "d1")
		mustNot(t, err, "Get")
		if got.Status != notification.Pending || len(PendingIDs(t, s.Outbox)) != 0 {
			t.Fatalf("after the intent: %+v", got)
		}
		mustNot(t, s.Deliveries.Record(ctx(t), d, nil), "Record")
		if got, _ := s.Deliveries.Get(ctx(t), "d1"); got.Status != notification.Sent {
			t.Fatalf("after the record: %+v", got)
		}
	})

	t.Run("a reservation returns the newest version claimed, which only goes up", func(t *testing.T) {
		s := open(t)
		for _, c := range []struct{ version, newest int64 }{{2, 2}, {5, 5}, {3, 5}, {5, 5}} {
			if v, err := s.Deliveries.Reserve(ctx(t), "c1", notification.StatusFact, c.version); err != nil || v != c.newest {
				t.Fatalf("Reserve(%d) = %d, %v; want %d", c.version, v, err, c.newest)
			}
		}
		if v, err := s.Deliveries.Reserve(ctx(t), "c1", notification.TierFact, 4); err != nil || v != 4 {
			t.Fatalf("facts are apart: tier %d, %v", v, err)
		}
		if v, err := s.Deliveries.Reserve(ctx(t), "c2", notification.StatusFact, 1); err != nil || v != 1 {
			t.Fatalf("another customer: %d, %v", v, err)
		}
	})

	t.Run("of reservations made at once, only the newest version passes for the newest", func(t *testing.T) {
		s := open(t)
		const n = 20
		passed := make(chan int64, n)
		var wg sync.WaitGroup
		for v := int64(1); v <= n; v++ {
			wg.Go(func() {
				newest, err := s.Deliveries.Reserve(ctx(t), "c1", notification.StatusFact, v)
				if err != nil {
					t.Errorf("Reserve(%d): %v", v, err)
				}
				if newest < v {
					t.Errorf("Reserve(%d) = %d: lower than the version it claimed", v, newest)
				}
				if newest == v {
					passed <- v
				}
			})
		}
		wg.Wait()
		close(passed)
		// Each that passed was the newest when it ran: they passed in
		// increasing order, so the last of them is n.
		var last int64
		for v := range passed {
			last = max(last, v)
		}
		if last != n {
			t.Fatalf("the newest version %d did not pass", n)
		}
		if v, err := s.Deliveries.Reserve(ctx(t), "c1", notification.StatusFact, 1); err != nil || v != n {
			t.Fatalf("after them: %d, %v; want %d", v, err, n)
		}
	})

	t.Run("an unknown delivery is not found", func(t *testing.T) {
		_, err := open(t).Deliveries.Get(ctx(t), "nope")
		if fault.KindOf(err) != fault.NotFound {
			t.Fatalf("error = %v", err)
		}
	})

	t.Run("a retried delivery replaces the failed one in place", func(t *testing.T) {
		s := open(t)
		failed := sampleDelivery("d1", "c1", notification.Email, now)
		failed.Status, failed.Error, failed.ProviderID = notification.Failed, "down", ""
		mustNot(t, s.Deliveries.Record(ctx(t), failed, nil), "record failure")
		mustNot(t, s.Deliveries.Record(ctx(t), sampleDelivery("d2", "c1", notification.Email, now), nil), "record another")
		mustNot(t, s.Deliveries.Record(ctx(t), sampleDelivery("d1", "c1", notification.Email, now.Add(time.Second)), nil), "record retry")
		got, _ := s.Deliveries.Get(ctx(t), "d1")
		if got.Status != notification.Sent || got.Error != "" {
			t.Fatalf("retry not stored: %+v", got)
		}
		p, err := s.Deliveries.List(ctx(t), notification.Query{}, page.Window{Limit: 10})
		mustNot(t, err, "List")
		if len(p.Deliveries) != 2 || p.Deliveries[0].ID != "d2" {
			t.Fatalf("list = %+v", p.Deliveries)
		}
	})

	t.Run("a delivery and its claim commit together", func(t *testing.T) {
		TestUnitsOfWork(t, func(t *testing.T) Units {
			s := open(t)
			u := s.Units
			u.Write = func(c context.Context, n int) error {
				return s.Deliveries.Record(c, sampleDelivery(fmt.Sprint("d", n), "c1", notification.Email, now), nil)
			}
			u.Written = func(c context.Context) int {
				p, err := s.Deliveries.List(c, notification.Query{}, page.Window{Limit: 10})
				mustNot(t, err, "List")
				return len(p.Deliveries)
			}
			return u
		})
	})

	t.Run("lists are newest first, filtered and paged", func(t *testing.T) {
		s := open(t)
		for i := range 7 {
			ch, who := notification.Email, "c1"
			if i%2 == 1 {
				ch = notification.SMS
			}
			if i == 6 {
				who = "c2"
			}
			mustNot(t, s.Deliveries.Record(ctx(t), sampleDelivery(fmt.Sprintf("d%d", i), who, ch, now.Add(time.Duration(i)*time.Second)), nil), "Record")
		}
		var seen []string
		w := page.Window{Limit: 2}
		for {
			p, err := s.Deliveries.List(ctx(t), notification.Query{CustomerID: "c1"}, w)
			mustNot(t, err, "List")
			for _, d := range p.Deliveries {
				seen = append(seen, d.ID)
			}
			if p.Next == "" {
				break
			}
			w, err = page.Request{Cursor: p.Next, Limit: 2}.Parse()
			mustNot(t, err, "cursor")
		}
		if strings.Join(seen, ",") != "d5,d4,d3,d2,d1,d0" {
			t.Fatalf("pages = %v", seen)
		}
		sms, err := s.Deliveries.List(ctx(t), notification.Query{Channel: notification.SMS}, page.Window{Limit: 10})
		mustNot(t, err, "List sms")
		if len(sms.Deliveries) != 3 || sms.Deliveries[0].ID != "d5" {
			t.Fatalf("sms = %+v", sms.Deliveries)
		}
		_, err = s.Deliveries.List(ctx(t), notification.Query{}, page.Window{Limit: 2, After: "not-a-seq"})
		if fault.KindOf(err) != fault.Invalid {
			t.Fatalf("a forged cursor: error = %v", err)
		}
	})

	t.Run("the outbox keeps commit order", func(t *testing.T) {
		s := open(t)
		n := 0
		TestOutbox(t, s.Outbox, func(t *testing.T, events []event.Event) {
			n++
			mustNot(t, s.Deliveries.Record(ctx(t), sampleDelivery(fmt.Sprintf("o%d", n), "c1", notification.Email, now), events), "Record")
		})
	})
}
