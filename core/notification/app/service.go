// Package app holds the notifications service's use cases: turning
// customer events into emails and text messages, sending ad-hoc messages on
// request, and listing deliveries and templates.
package app

import (
	"context"
	"errors"
	"log/slog"

	"github.com/google/uuid"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/core/pii"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/deliveries"
)

// Source names the notifications service in the events it emits.
const Source = event.SourceNotifications

// Consumes lists the topics the notifications service consumes.
var Consumes = []string{
	event.TopicOnboarded, event.TopicActivated, event.TopicDeactivated, event.TopicPromoted, event.TopicPromotionActivated,
	event.TopicPreferencesChanged, event.TopicErased,
}

// Emits lists the topics the notifications service publishes.
var Emits = []string{event.TopicNotificationSent}

// deliveryIDs is the UUIDv5 namespace of delivery ids derived from event
// ids and idempotency keys.
var deliveryIDs = uuid.MustParse("6f1c0b8e-58a4-4d8a-9a47-3c9b1d7e2f10")

// Service runs the notification use cases.
type Service struct {
	deliveries deliveries.Store
	inbox      ports.Inbox
	tx         ports.Transactor
	forget     ports.Forgetter
	email      deliveries.EmailSender
	sms        deliveries.SMSSender
	templates  *notification.Registry
	clock      ports.Clock
	events     event.Factory
	log        *slog.Logger
}

// Storage is where the notifications service keeps its data.
type Storage struct {
	Deliveries deliveries.Store
	Inbox      ports.Inbox
	Tx         ports.Transactor
	// Forget purges the database's files after an erasure.
	Forget ports.Forgetter
}

// New returns a Service.
func New(store Storage, email deliveries.EmailSender, sms deliveries.SMSSender, templates *notification.Registry,
	clock ports.Clock, ids ports.IDGenerator, log *slog.Logger) *Service {
	return &Service{deliveries: store.Deliveries, inbox: store.Inbox, tx: store.Tx, forget: store.Forget, email: email, sms: sms,
		templates: templates, clock: clock, log: log, events: event.Factory{Source: Source, NewID: ids.NewID}}
}

// Templates returns the template registry.
func (s *Service) Templates() *notification.Registry { return s.templates }

// List returns deliveries, newest first, optionally for one customer and
// channel. Errors: fault.Invalid for a bad channel or page request.
func (s *Service) List(ctx context.Context, customerID, channel string, p page.Request) (notification.Page, error) {
	var bad fault.Fields
	q := notification.Query{CustomerID: customerID}
	if channel != "" {
		ch, err := notification.ParseChannel(channel)
		bad.Check("channel", err)
		q.Channel = ch
	}
	w, err := p.Parse()
	if e, ok := fault.As(err); ok {
		bad = append(bad, e.Fields...)
	}
	if err := bad.Err("invalid delivery query"); err != nil {
		return notification.Page{}, err
	}
	return s.deliveries.List(ctx, q, w)
}

// Get returns one delivery. Errors: fault.NotFound.
func (s *Service) Get(ctx context.Context, id string) (notification.Delivery, error) {
	return s.deliveries.Get(ctx, id)
}

// deliveryID derives a stable id from parts, so a redelivered event or a
// retried request maps to the delivery it made before.
func deliveryID(parts ...string) string {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return uuid.NewSHA1(deliveryIDs, b).String()
}

// send hands d to its channel's sender with d.ID as idempotency key, and
// fills in the outcome: sent, or failed when the provider refused it for
// good. It returns the failures worth retrying: one wrapping
// deliveries.ErrOutcomeUnknown when the provider may have the message, any
// other when it did not take it.
func (s *Service) send(ctx context.Context, d *notification.Delivery) error {
	var id string
	var err error
	if d.Channel == notification.SMS {
		id, err = s.sms.SendSMS(ctx, deliveries.SMS{ID: d.ID, To: d.Recipient, Body: d.Body})
	} else {
		id, err = s.email.SendEmail(ctx, deliveries.Email{ID: d.ID, To: d.Recipient, Subject: d.Subject, Body: d.Body})
	}
	switch {
	case err == nil:
		d.Status, d.ProviderID = notification.Sent, id
		s.log.InfoContext(ctx, "message sent", "channel", d.Channel, "deliveryId", d.ID, "to", pii.MaskRecipient(d.Recipient),
			"template", d.Template, "customerId", d.CustomerID)
		return nil
	case fault.KindOf(err).Permanent():
		d.Status, d.Error = notification.Failed, err.Error()
		s.log.WarnContext(ctx, "message refused", "channel", d.Channel, "deliveryId", d.ID, "to", pii.MaskRecipient(d.Recipient), "error", err)
		return nil
	}
	return err
}

// unsent settles d after a send that failed for now (err, from send): a
// message the provider did not take is recorded as failed, so that a retry
// sends it again whatever the provider; one it may have stays pending,
// for a retry to hand over again under its key (a provider that honours
// keys delivers it once) or to find unknown. err is returned.
func (s *Service) unsent(ctx context.Context, d notification.Delivery, err error) error {
	if errors.Is(err, deliveries.ErrOutcomeUnknown) {
		return err
	}
	d.Status, d.Error = notification.Failed, "not sent, to be retried: "+err.Error()
	return errors.Join(err, s.deliveries.Record(ctx, d, nil))
}

// resendable reports whether a message on ch may be handed to its provider
// again under the same idempotency key.
func (s *Service) resendable(ch notification.Channel) bool {
	var sender any = s.email
	if ch == notification.SMS {
		sender = s.sms
	}
	keyed, ok := sender.(deliveries.IdempotentSender)
	return ok && keyed.HonoursIdempotencyKeys()
}

// sentEvents returns the notification.sent event for a delivery that went out.
func (s *Service) sentEvents(ctx context.Context, d notification.Delivery) []event.Event {
	if d.Status != notification.Sent {
		return nil
	}
	sent := event.NotificationSent{
		NotificationID: d.ID, CustomerID: d.CustomerID, Channel: string(d.Channel), Type: string(d.Channel), Template: d.Template,
		Recipient: d.Recipient, Subject: d.Subject, Status: string(d.Status), Timestamp: d.CreatedAt,
	}
	if d.Cause != nil {
		sent.TriggeredBy = &event.Cause{EventID: d.Cause.EventID, EventType: d.Cause.EventType}
	}
	return s.events.New(ctx, d.CreatedAt, sent)
}
