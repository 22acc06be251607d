package app_test

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/tier"
)

func TestErasingForgetsTheCopiesAndPublishesTheTombstoneOnce(t *testing.T) {
	f := setup(t)
	c := existing(t, customer.Active, tier.Premium)
	var events []event.Event
	f.update(c, &events)
	f.forget.EXPECT().Forget(gomock.Any(), c.ID).Return(nil)
	f.forget.EXPECT().Purge(gomock.Any()).Return(errors.New("busy")) // logged: the next checkpoint empties the log
	erased, err := f.svc.Erase(context.Background(), c.ID)
	if err != nil || erased.Status != customer.Erased || erased.Email != customer.ErasedEmail(c.ID) {
		t.Fatalf("Erase = %+v, %v", erased, err)
	}
	if len(events) != 1 || events[0].Type != event.TopicErased {
		t.Fatalf("events = %+v", events)
	}
	snapshot := events[0].Data.(event.Erased).Customer
	if snapshot.Name != customer.ErasedName || snapshot.Phone != "" || snapshot.Status != "erased" || snapshot.Tier != "premium" {
		t.Fatalf("the event carries %+v", snapshot)
	}

	f.update(c, &events) // again: no Forget, no Purge, no event
	events = nil
	again, err := f.svc.Erase(context.Background(), c.ID)
	if err != nil || again.Version != erased.Version || events != nil {
		t.Fatalf("a second erasure: %+v, %v, events %v", again, err, events)
	}
}

func TestAFailedForgetErasesNothing(t *testing.T) {
	f := setup(t)
	c := existing(t, customer.Active, tier.Basic)
	var events []event.Event
	f.update(c, &events)
	f.forget.EXPECT().Forget(gomock.Any(), c.ID).Return(errors.New("disk full"))
	if _, err := f.svc.Erase(context.Background(), c.ID); err == nil || events != nil {
		t.Fatalf("Erase = %v, events %v; want the failure and nothing committed", err, events)
	}
}

func TestEventsAboutAnErasedCustomerChangeNothing(t *testing.T) {
	f := setup(t)
	c := existing(t, customer.Active, tier.Basic)
	c.Status = customer.Erased
	var events []event.Event
	f.update(c, &events)
	f.claims("e1", nil)
	profiled := event.Event{Metadata: event.Metadata{ID: "e1", Type: event.TopicProfiled},
		Data: event.Profiled{CustomerID: c.ID, Promote: true, Profile: event.Profile{RecommendedTier: "vip"}}}
	if err := f.svc.Handle(context.Background(), profiled); err != nil || events != nil {
		t.Fatalf("a recommendation for an erased customer: %v, events %v", err, events)
	}
	f.customers.EXPECT().Get(gomock.Any(), c.ID).Return(*c, nil) // no AddNotification expected
	sent := event.Event{Metadata: event.Metadata{ID: "e2", Type: event.TopicNotificationSent},
		Data: event.NotificationSent{CustomerID: c.ID, NotificationID: "n1"}}
	if err := f.svc.Handle(context.Background(), sent); err != nil {
		t.Fatalf("a notification for an erased customer: %v", err)
	}
}
