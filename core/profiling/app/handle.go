package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/ports"
)

// Handle keeps the profile current with a customer event. Onboarding and
// activation re-evaluate the customer and emit customer.profiled; a first
// payment grants the first-payment bonus (once) and re-evaluates;
// deactivation and promotion only update the facts, which stops a promotion
// from triggering another evaluation and promotion in a loop. Handling an
// event twice has no second effect. Errors: fault.Invalid for events this
// service does not consume or cannot read.
func (s *Service) Handle(ctx context.Context, e event.Event) error {
	var c change
	var env event.Envelope
	switch d := e.Data.(type) {
	case event.Onboarded:
		env, c.announce = d.Envelope, true
	case event.Activated:
		env, c.announce = d.Envelope, true
	case event.FirstPayment:
		env, c.announce, c.payment = d.Envelope, true, &d.Payment
	case event.Deactivated:
		env = d.Envelope
	case event.Promoted:
		env = d.Envelope
	case event.Erased:
		if err := ports.HandleOnce(ctx, s.tx, s.inbox, e.ID, func(ctx context.Context) error { return s.erase(ctx, d.CustomerID) }); err != nil {
			return err
		}
		if err := s.forget.Purge(ctx); err != nil {
			s.log.WarnContext(ctx, "erased rows may stay in the database's files until its next checkpoint", "customerId", d.CustomerID, "error", err)
		}
		return nil
	default:
		return fault.Invalidf("the profiling service does not consume %s", e.Type)
	}
	snapshot, err := snapshotOf(env.Customer)
	if err != nil {
		return err
	}
	c.trigger, c.snapshot = e.Type, snapshot
	var p profiling.Profile
	err = ports.HandleOnce(ctx, s.tx, s.inbox, e.ID, func(ctx context.Context) (err error) {
		p, err = s.profiles.Save(ctx, env.CustomerID, func(p *profiling.Profile) ([]event.Event, error) {
			if p.Erased() {
				return nil, profiling.ErrErased
			}
			return s.apply(ctx, p, c), nil
		})
		return err
	})
	if errors.Is(err, profiling.ErrErased) {
		// Handled: nothing about an erased customer is kept again.
		s.log.InfoContext(ctx, "event about an erased customer dropped", "customerId", env.CustomerID, "type", e.Type)
		return ports.HandleOnce(ctx, s.tx, s.inbox, e.ID, func(context.Context) error { return nil })
	}
	if err != nil || p.Version == 0 {
		return err // a redelivered event saves nothing: no version, no log
	}
	s.log.InfoContext(ctx, "profile updated", "customerId", p.CustomerID, "trigger", e.Type,
		"score", p.Evaluation.Score, "recommendedTier", p.Evaluation.RecommendedTier)
	return nil
}

// change is what a consumed customer event tells profiling.
type change struct {
	trigger  string // the event type
	snapshot profiling.Snapshot
	announce bool           // re-evaluate and emit customer.profiled
	payment  *event.Payment // a first payment: grant the bonus
}

// apply changes the profile as c says and returns the events that announce
// it.
func (s *Service) apply(ctx context.Context, p *profiling.Profile, c change) []event.Event {
	now := s.clock.Now()
	p.Touch(now)
	p.ApplySnapshot(c.snapshot)
	var out []event.Data
	if c.payment != nil {
		if promo, granted := p.GrantFirstPaymentBonus(s.events.NewID(), s.rules, now); granted {
			activated, _ := promotionActivated(p, promo, *c.payment, now) // a snapshot is known: one was just applied or a newer one kept
			out = append(out, activated)
		}
	}
	ev := p.Evaluate(s.rules, now)
	if c.announce {
		out = append(out, profiled(p, now, c.trigger, fmt.Sprintf("profiling score %d", ev.Score), ev.Promotes()))
	}
	return s.events.New(ctx, now, out...)
}

// erase drops the profile of a customer erased at their request, and the
// copies of their data the database keeps, leaving a tombstone.
func (s *Service) erase(ctx context.Context, customerID string) error {
	_, err := s.profiles.Save(ctx, customerID, func(p *profiling.Profile) ([]event.Event, error) {
		if p.Erased() {
			return nil, nil
		}
		p.Erase(s.clock.Now())
		return nil, s.forget.Forget(ctx, customerID)
	})
	if err == nil {
		s.log.InfoContext(ctx, "profile erased", "customerId", customerID)
	}
	return err
}
