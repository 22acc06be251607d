package lifecycle

import (
	"context"
	"errors"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/ports"
)

// Consumes lists the topics the customer service consumes.
var Consumes = []string{event.TopicNotificationSent, event.TopicProfiled}

// Emits lists the topics the customer service publishes.
var Emits = []string{
	event.TopicRegistered, event.TopicOnboarded, event.TopicActivated, event.TopicDeactivated,
	event.TopicFirstPayment, event.TopicPromoted,
}

// Handle applies a consumed event. Handling an event twice has no second
// effect. Errors: fault.Invalid for an event this service does not consume
// or cannot apply (it will never succeed); anything else may be retried.
func (s *Service) Handle(ctx context.Context, e event.Event) error {
	switch d := e.Data.(type) {
	case event.Profiled:
		return ports.IgnoreHandled(s.applyProfile(ctx, e.ID, d))
	case event.NotificationSent:
		return ports.IgnoreHandled(s.recordNotification(ctx, e.ID, d))
	}
	return fault.Invalidf("the customer service does not consume %s", e.Type)
}

// applyProfile promotes a customer when profiling recommends a higher tier.
// A profile that asks for nothing needs no write at all: handling it again
// changes nothing either. A recommendation for a customer who is not
// active, or who is unknown (a profile requested for an id the customer
// service never issued), is recorded as handled and changes nothing.
func (s *Service) applyProfile(ctx context.Context, eventID string, p event.Profiled) error {
	if !p.Promote {
		return nil
	}
	tier, err := customer.ParseTier(p.Profile.RecommendedTier)
	if err != nil {
		return fault.Invalidf("profile recommends tier %q: %v", p.Profile.RecommendedTier, err)
	}
	reason := p.Reason
	if reason == "" {
		reason = "profiling recommends " + string(tier)
	}
	c, err := s.customers.Update(ctx, p.CustomerID, eventID, func(c *customer.Customer) ([]event.Event, error) {
		now := s.clock.Now()
		happened, err := c.ApplyRecommendation(now, tier, reason)
		if errors.Is(err, customer.ErrNotActive) {
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
		return s.customers.MarkHandled(ctx, eventID)
	}
	if err == nil {
		s.log.InfoContext(ctx, "profile applied", "customerId", c.ID, "tier", c.Tier, "score", p.Profile.Score)
	}
	return err
}

// recordNotification adds a delivered message to the customer's history.
// Messages to recipients who are not customers are recorded as handled only.
func (s *Service) recordNotification(ctx context.Context, eventID string, n event.NotificationSent) error {
	if n.CustomerID == "" {
		return s.customers.MarkHandled(ctx, eventID)
	}
	if _, err := s.customers.Get(ctx, n.CustomerID); errors.Is(err, customer.ErrNotFound) {
		s.log.WarnContext(ctx, "notification for an unknown customer ignored", "customerId", n.CustomerID)
		return s.customers.MarkHandled(ctx, eventID)
	} else if err != nil {
		return err
	}
	return s.customers.AddNotification(ctx, n.CustomerID, customer.Notification{
		ID: n.NotificationID, EventID: eventID, Channel: n.Channel, Template: n.Template,
		Recipient: n.Recipient, Subject: n.Subject, Status: n.Status, SentAt: n.Timestamp,
	}, eventID)
}
