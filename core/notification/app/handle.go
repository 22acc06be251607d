package app

import (
	"context"
	"fmt"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/deliveries"
)

// Handle sends the messages a customer event triggers (see plan) and emits notification.sent for each one delivered.
// Each channel's delivery is committed as soon as it is sent, and the event
// is marked handled with the last one, so a retry after a partial failure
// sends only what is missing. Errors: fault.Invalid for events this service
// does not consume; provider failures worth retrying.
func (s *Service) Handle(ctx context.Context, e event.Event) error {
	switch d := e.Data.(type) {
	case event.Erased:
		return s.erase(ctx, e.ID, d.CustomerID)
	case event.PreferencesChanged:
		return s.keepPreferences(ctx, e.ID, d.Envelope)
	}
	job, ok := plan(e.Data)
	if !ok {
		return fault.Invalidf("the notifications service does not consume %s", e.Type)
	}
	if done, err := s.inbox.Handled(ctx, e.ID); err != nil || done {
		return err
	}
	if job.CustomerID != "" {
		erased, err := s.deliveries.Erased(ctx, job.CustomerID)
		if err != nil {
			return err
		}
		if erased {
			// Handled: nothing is sent to, or kept about, an erased customer.
			s.log.InfoContext(ctx, "event about an erased customer dropped", "eventId", e.ID, "topic", e.Type, "customerId", job.CustomerID)
			return ports.HandleOnce(ctx, s.tx, s.inbox, e.ID, func(context.Context) error { return nil })
		}
	}
	if job.Fact != "" && job.Version > 0 {
		// Topics are ordered apart: an activation can arrive after (or be
		// handled at the same time as) the deactivation that followed it.
		// Its message would be stale. The reservation is atomic and comes
		// before any send: of the two, only the newest passes it.
		newest, err := s.deliveries.Reserve(ctx, job.CustomerID, job.Fact, job.Version)
		if err != nil {
			return err
		}
		if job.Version < newest {
			return s.skip(ctx, e, job, fmt.Sprintf("stale: announces the %s of the customer's version %d, and version %d was announced already",
				job.Fact, job.Version, newest))
		}
	}
	tpl, err := s.templates.Get(job.Template)
	if err != nil {
		return err
	}
	for i, ch := range job.Channels {
		if err := s.deliver(ctx, e, job, tpl, ch, i == len(job.Channels)-1); err != nil {
			return err
		}
	}
	return nil
}

// ErrPreferencesPending holds a marketing message to one of our customers
// until their preferences arrive: retried, never dead-lettered.
var ErrPreferencesPending = fault.New(fault.Unavailable, "notification.preferences_pending",
	"the customer's preferences have not arrived yet: a marketing message waits for their consent")

// deliver sends job's message on ch, unless an earlier attempt sent it, and
// records the delivery; with the last channel's, the event is marked
// handled, and the snapshot's preferences kept when newer than those held,
// in the same unit of work (none of their own).
func (s *Service) deliver(ctx context.Context, e event.Event, job notification.Job, tpl notification.Template, ch notification.Channel, last bool) error {
	// Consent is read as it stands now: a change that arrived after the
	// event was planned, before its message goes, wins; the snapshot's own
	// preferences decide when they are newer.
	prefs, known, err := s.deliveries.Preferences(ctx, job.CustomerID)
	if err != nil {
		return err
	}
	var keep *notification.Preferences
	if job.Preferences != nil && job.Version > 0 && (!known || prefs.Version < job.Version) {
		keep, prefs, known = job.Preferences, *job.Preferences, true
	}
	if !known && job.Version > 0 && notification.Marketing(job.Template) {
		// A versioned snapshot is our customer service's, whose every
		// customer has preferences: they have not arrived yet (profiling's
		// events carry none, and topics are not ordered with each other).
		// A marketing message waits for them rather than go unconsented.
		return ErrPreferencesPending
	}
	commit := func(ctx context.Context, record func(ctx context.Context) error) error {
		if !last {
			return record(ctx)
		}
		return ports.HandleOnce(ctx, s.tx, s.inbox, e.ID, func(ctx context.Context) error {
			if keep != nil {
				if err := s.deliveries.SavePreferences(ctx, job.CustomerID, *keep); err != nil {
					return err
				}
			}
			return record(ctx)
		})
	}
	id := deliveryID(e.ID, string(ch))
	prior, err := s.deliveries.Get(ctx, id)
	switch {
	case err == nil && prior.Status == notification.Pending && !s.resendable(ch):
		// The process stopped, or the provider's answer was lost, after
		// handing this message to a provider that cannot tell whether it
		// got it. Sending again might send twice: an operator decides.
		prior.Status = notification.Unknown
		prior.Error = "the " + string(ch) + " provider may have sent it (the service stopped, or the provider's answer was lost, " +
			"after the handover); check with the provider whether it went out"
		s.log.WarnContext(ctx, "delivery outcome unknown", "deliveryId", id, "channel", ch)
		return commit(ctx, func(ctx context.Context) error { return s.deliveries.Record(ctx, prior, nil) })
	case err == nil && prior.Status != notification.Pending && prior.Status != notification.Failed:
		return commit(ctx, func(context.Context) error { return nil }) // settled before
	case err != nil && fault.KindOf(err) != fault.NotFound:
		return err
	}
	if known && prefs.Language != "" {
		job.Language = prefs.Language
	}
	d := notification.Delivery{
		ID: id, CustomerID: job.CustomerID, Channel: ch, Template: job.Template, Language: job.Language,
		Cause: &notification.Cause{EventID: e.ID, EventType: e.Type}, CreatedAt: s.clock.Now(),
	}
	if reason := prefs.Refusal(ch, job.Template); known && reason != "" {
		d.Recipient, d.Status, d.Error = job.Recipient(ch), notification.Skipped, reason
		s.log.InfoContext(ctx, "message skipped", "eventId", e.ID, "customerId", job.CustomerID, "channel", ch,
			"template", job.Template, "reason", reason)
		return commit(ctx, func(ctx context.Context) error { return s.deliveries.Record(ctx, d, nil) })
	}
	// A customer without a usable address, or a template the event's data
	// cannot fill, will not get better on retry: record the failure.
	d.Recipient, err = notification.ParseRecipient(ch, job.Recipient(ch))
	if err == nil {
		d.Content, err = notification.RenderTemplate(tpl, ch, job.Language, job.Data)
	}
	if err != nil {
		d.Recipient = job.Recipient(ch)
		d.Status, d.Error = notification.Failed, err.Error()
	} else {
		// Through a provider that ignores keys, the intent commits before
		// the provider is called, so that a crash in between leaves a trace
		// (see above). One that honours keys needs none: the redelivered
		// event hands it the message again under the same id, and it
		// delivers once; that saves a unit of work per message.
		if !s.resendable(ch) {
			if err := s.deliveries.Intend(ctx, d); err != nil {
				return err
			}
		}
		if err := s.send(ctx, &d); err != nil {
			return s.unsent(ctx, d, err)
		}
	}
	return commit(ctx, func(ctx context.Context) error { return s.deliveries.Record(ctx, d, s.sentEvents(ctx, d)) })
}

// skip records each of job's messages as skipped, with reason, and the
// event as handled: nothing is sent.
func (s *Service) skip(ctx context.Context, e event.Event, job notification.Job, reason string) error {
	s.log.InfoContext(ctx, "stale event skipped", "eventId", e.ID, "topic", e.Type, "customerId", job.CustomerID, "reason", reason)
	return ports.HandleOnce(ctx, s.tx, s.inbox, e.ID, func(ctx context.Context) error {
		for _, ch := range job.Channels {
			d := notification.Delivery{
				ID: deliveryID(e.ID, string(ch)), CustomerID: job.CustomerID, Channel: ch, Recipient: job.Recipient(ch),
				Template: job.Template, Language: job.Language, Status: notification.Skipped, Error: reason,
				Cause: &notification.Cause{EventID: e.ID, EventType: e.Type}, CreatedAt: s.clock.Now(),
			}
			if err := s.deliveries.Record(ctx, d, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// erase forgets a customer erased at their request: their deliveries'
// recipients and contents, and the copies the providers keep (the
// development mailbox), which go before the erasure commits, so that a
// failure retries both.
func (s *Service) erase(ctx context.Context, eventID, customerID string) error {
	err := ports.HandleOnce(ctx, s.tx, s.inbox, eventID, func(ctx context.Context) error {
		recipients, err := s.deliveries.Erase(ctx, customerID)
		if err != nil {
			return err
		}
		for _, sender := range []any{s.email, s.sms} {
			if f, ok := sender.(deliveries.Forgetting); ok && len(recipients) > 0 {
				if err := f.Forget(ctx, recipients); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.forget.Purge(ctx); err != nil {
		s.log.WarnContext(ctx, "erased rows may stay in the database's files until its next checkpoint", "customerId", customerID, "error", err)
	}
	s.log.InfoContext(ctx, "customer's deliveries erased", "customerId", customerID)
	return nil
}

// keepPreferences keeps the preferences a customer.preferencesChanged
// carries, with the event marked handled.
func (s *Service) keepPreferences(ctx context.Context, eventID string, env event.Envelope) error {
	p := preferencesOf(env.Customer, languageOf(env.Customer))
	if p == nil {
		return fault.Invalidf("customer.preferencesChanged carries no preferences")
	}
	return ports.HandleOnce(ctx, s.tx, s.inbox, eventID, func(ctx context.Context) error {
		return s.deliveries.SavePreferences(ctx, env.CustomerID, *p)
	})
}
