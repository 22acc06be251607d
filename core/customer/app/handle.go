package app

import (
	"context"
	"errors"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/tier"
	"github.com/fintechlabs/customers/ports"
)

// Consumes lists the topics the customer service consumes.
var Consumes = []string{event.TopicNotificationSent, event.TopicProfiled}

// Emits lists the topics the customer service publishes.
var Emits = []string{
	event.TopicRegistered, event.TopicOnboarded, event.TopicActivated, event.TopicDeactivated,
	event.TopicFirstPayment, event.TopicPromoted, event.TopicPreferencesChanged, event.TopicErased,
}

// Handle applies a consumed event. Handling an event twice has no second
// effect. Errors: fault.Invalid for an event this service does not consume
// or cannot apply (it will never succeed); anything else may be retried.
func (s *Service) Handle(ctx context.Context, e event.Event) error {
	switch d := e.Data.(type) {
	case event.Profiled:
		if !d.Promote {
			return nil // asks for nothing: no write at all, so handling it again changes nothing either
		}
		tier, err := tier.Parse(d.Profile.RecommendedTier)
		if err != nil {
			return fault.Invalidf("profile recommends tier %q: %v", d.Profile.RecommendedTier, err)
		}
		return ports.HandleOnce(ctx, s.tx, s.inbox, e.ID, func(ctx context.Context) error { return s.applyProfile(ctx, d, tier) })
	case event.NotificationSent:
		if d.CustomerID == "" {
			return nil // a message to someone who is not a customer: nothing to record
		}
		// No inbox row: the notification's own row, keyed by its id, is
		// written once (customers.Views.AddNotification keeps the first), so
		// a redelivered event changes nothing. That is one row and two
		// b-tree entries fewer per message; the unit of work stays, so that
		// the customer read and the row written are one step beside an
		// erasure.
		return s.tx.Transact(ctx, func(ctx context.Context) error { return s.recordNotification(ctx, e.ID, d) })
	}
	return fault.Invalidf("the customer service does not consume %s", e.Type)
}

// applyProfile promotes a customer to the tier profiling recommends, if it
// is higher. A recommendation for a customer who is not active, or who is
// unknown (a profile requested for an id the customer service never
// issued), is recorded as handled and changes nothing.
func (s *Service) applyProfile(ctx context.Context, p event.Profiled, tier tier.Tier) error {
	reason := p.Reason
	if reason == "" {
		reason = "profiling recommends " + string(tier)
	}
	c, err := s.customers.Update(ctx, p.CustomerID, func(c *customer.Customer) ([]event.Event, error) {
		now := s.clock.Now()
		happened, err := c.ApplyRecommendation(now, tier, reason)
		if errors.Is(err, customer.ErrNotActive) || errors.Is(err, customer.ErrErased) {
			s.log.InfoContext(ctx, "recommendation not applied: customer is not active",
				"customerId", c.ID, "status", c.Status, "recommendedTier", tier)
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return s.events.New(ctx, now, payloads(c, now, happened)...), nil
	})
	if errors.Is(err, customer.ErrNotFound) {
		s.log.WarnContext(ctx, "profile for an unknown customer ignored", "customerId", p.CustomerID)
		return nil
	}
	if err == nil {
		s.log.InfoContext(ctx, "profile applied", "customerId", c.ID, "tier", c.Tier, "score", p.Profile.Score)
	}
	return err
}

// recordNotification adds a delivered message to the customer's history.
// A message for a customer the service does not know, or has erased, is
// not recorded.
func (s *Service) recordNotification(ctx context.Context, eventID string, n event.NotificationSent) error {
	if c, err := s.customers.Get(ctx, n.CustomerID); errors.Is(err, customer.ErrNotFound) {
		s.log.WarnContext(ctx, "notification for an unknown customer ignored", "customerId", n.CustomerID)
		return nil
	} else if err != nil {
		return err
	} else if c.Status == customer.Erased {
		s.log.InfoContext(ctx, "notification for an erased customer not recorded", "customerId", n.CustomerID)
		return nil
	}
	return s.views.AddNotification(ctx, n.CustomerID, customer.Notification{
		ID: n.NotificationID, EventID: eventID, Channel: n.Channel, Template: n.Template,
		Recipient: n.Recipient, Subject: n.Subject, Status: n.Status, SentAt: n.Timestamp,
	})
}
