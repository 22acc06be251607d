package app

import (
	"context"
	"errors"
	"strings"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/ports/deliveries"
)

// Send renders and sends an ad-hoc message, records the delivery and emits
// notification.sent. Errors: fault.Invalid with every bad field, or when the
// provider refuses the message (the failed delivery is recorded);
// fault.Unavailable when the provider is down.
func (s *Service) Send(ctx context.Context, r notification.Request) (notification.Outcome, error) {
	d, err := s.prepare(r)
	if err != nil {
		return notification.Outcome{}, err
	}
	if d.CustomerID != "" {
		erased, err := s.deliveries.Erased(ctx, d.CustomerID)
		if err != nil {
			return notification.Outcome{}, err
		}
		if erased {
			return notification.Outcome{}, notification.ErrErased
		}
	}
	if r.IdempotencyKey != "" {
		scope := []string{"api", r.IdempotencyKey, string(r.Channel)}
		if r.Caller != "" {
			scope = append(scope, r.Caller)
		}
		// The HTTP layer keeps answers per key (core/idempotency); this
		// id, derived from the key, is for a repeat that reaches here
		// anyway, after a crash between the send and its kept answer:
		// it finds the delivery, or hands the provider the same key.
		d.ID = deliveryID(scope...)
		prior, err := s.deliveries.Get(ctx, d.ID)
		switch {
		case err != nil && fault.KindOf(err) != fault.NotFound:
			return notification.Outcome{}, err
		case err != nil: // a first request
		case !sameMessage(prior, d):
			return notification.Outcome{}, notification.ErrIdempotencyKeyReused
		case prior.Status == notification.Sent:
			return notification.Outcome{Delivery: prior, Replayed: true}, nil
		case (prior.Status == notification.Pending || prior.Status == notification.Unknown) && !s.resendable(d.Channel):
			// An earlier request handed the message over and never
			// learnt the outcome: the event path's rule holds.
			return s.unknown(ctx, prior)
		}
	} else {
		d.ID = s.events.NewID()
	}
	d.CreatedAt = s.clock.Now()
	// The intent commits before the provider has the message, as on the
	// event path: a crash, or a lost answer, in between leaves a trace
	// that a retry with the same key finds.
	if err := s.deliveries.Intend(ctx, d); err != nil {
		return notification.Outcome{}, err
	}
	if err := s.send(ctx, &d); err != nil {
		if errors.Is(err, deliveries.ErrOutcomeUnknown) && (r.IdempotencyKey == "" || !s.resendable(d.Channel)) {
			return s.unknown(ctx, d) // no retry can hand it over again safely
		}
		unavailable := fault.Wrap(fault.Unavailable, s.unsent(ctx, d, err), "the "+string(d.Channel)+" provider is unavailable; try again later")
		if cause, ok := fault.As(err); ok {
			unavailable.Code = cause.Code // provider.circuit_open, say
		}
		return notification.Outcome{}, unavailable
	}
	if err := s.deliveries.Record(ctx, d, s.sentEvents(ctx, d)); err != nil {
		return notification.Outcome{}, err
	}
	if d.Status == notification.Failed {
		e := fault.Invalidf("the %s provider refused the message: %s", d.Channel, d.Error)
		e.Code = "notification.refused"
		return notification.Outcome{Delivery: d}, e
	}
	return notification.Outcome{Delivery: d}, nil
}

// unknown records d as unknown, unless it is already, and answers
// ErrOutcomeUnknown with it.
func (s *Service) unknown(ctx context.Context, d notification.Delivery) (notification.Outcome, error) {
	if d.Status != notification.Unknown {
		d.Status = notification.Unknown
		d.Error = "the " + string(d.Channel) + " provider may have sent it (its answer was lost, or the service stopped, after the handover); " +
			"check with the provider whether it went out"
		if err := s.deliveries.Record(ctx, d, nil); err != nil {
			return notification.Outcome{}, err
		}
	}
	return notification.Outcome{Delivery: d}, notification.ErrOutcomeUnknown
}

// sameMessage reports whether a delivery made under an idempotency key is
// the message d asks for again: the key's fingerprint of the request.
func sameMessage(prior, d notification.Delivery) bool {
	return prior.Channel == d.Channel && prior.Recipient == d.Recipient && prior.CustomerID == d.CustomerID &&
		prior.Template == d.Template && prior.Language == d.Language && prior.Content == d.Content
}

// prepare validates r and renders its content.
func (s *Service) prepare(r notification.Request) (notification.Delivery, error) {
	var bad fault.Fields
	d := notification.Delivery{Channel: r.Channel, CustomerID: strings.TrimSpace(r.CustomerID),
		Template: strings.TrimSpace(r.Template)}
	var err error
	d.Language, err = locale.Parse(r.Language)
	bad.Check("language", err)
	if strings.TrimSpace(r.To) == "" {
		bad.Add("to", "is required")
	} else if d.Recipient, err = notification.ParseRecipient(r.Channel, r.To); err != nil {
		bad.Add("to", err.Error())
	}
	if len(d.CustomerID) > 128 {
		bad.Add("customerId", "is too long")
	}
	subject, body := r.Subject, r.Body
	// labelled: the template is not one of ours but a name of the client's
	// own (the original's clients send "welcome-template" and the like), so
	// the message is ad hoc and carries that name as its label.
	labelled := false
	switch {
	case d.Template != "":
		tpl, err := s.templates.Get(d.Template)
		if err != nil {
			labelled = true
			bad.Check("template", notification.CheckLabel(d.Template))
			ours := " (ours are " + strings.Join(s.templates.Names(), ", ") + ")"
			switch {
			case r.Channel == notification.SMS && strings.TrimSpace(body) == "":
				bad.Add(notification.BodyField(r.Channel), "is required when the template is not one of ours"+ours)
			case r.Channel == notification.Email && strings.TrimSpace(subject) == "":
				bad.Add("subject", "is required when the template is not one of ours"+ours)
			}
			break
		}
		tx := tpl.Text(d.Language)
		if body == "" {
			body = tx.Body
			if r.Channel == notification.SMS {
				body = tx.SMS
			}
		}
		if subject == "" {
			subject = tx.Subject
		}
	case strings.TrimSpace(body) == "":
		bad.Add(notification.BodyField(r.Channel), "is required when no template is given")
	case r.Channel == notification.Email && strings.TrimSpace(subject) == "":
		bad.Add("subject", "is required when no template is given")
	}
	if len(bad) == 0 {
		var content notification.Content
		var err error
		if labelled && r.Channel == notification.Email && strings.TrimSpace(body) == "" {
			content, err = notification.RenderLabelled(subject, r.Data)
		} else {
			content, err = notification.RenderAdHoc(r.Channel, subject, body, r.Data)
		}
		if e, ok := fault.As(err); ok {
			for _, f := range e.Fields {
				if f.Field == "body" {
					f.Field = notification.BodyField(r.Channel)
				}
				bad = append(bad, f)
			}
		}
		d.Content = content
	}
	return d, bad.Err("invalid " + string(r.Channel) + " request")
}
