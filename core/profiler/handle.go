package profiler

import (
	"context"
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
	var env event.Envelope
	var announce, firstPayment bool
	var payment event.Payment
	switch d := e.Data.(type) {
	case event.Onboarded:
		env, announce = d.Envelope, true
	case event.Activated:
		env, announce = d.Envelope, true
	case event.FirstPayment:
		env, announce, firstPayment, payment = d.Envelope, true, true, d.Payment
	case event.Deactivated:
		env = d.Envelope
	case event.Promoted:
		env = d.Envelope
	default:
		return fault.Invalidf("the profiling service does not consume %s", e.Type)
	}
	p, err := s.profiles.Save(ctx, env.CustomerID, e.ID, func(p *profiling.Profile) ([]event.Event, error) {
		now := s.clock.Now()
		snapshot, err := snapshotOf(env.Customer)
		if err != nil {
			return nil, err
		}
		p.ApplySnapshot(snapshot)
		var out []event.Data
		if firstPayment {
			if promo, granted := p.GrantFirstPaymentBonus(s.events.NewID(), s.rules, now); granted {
				activated, _ := promotionActivated(p, promo, payment, now) // a snapshot is known: one was just applied or a newer one kept
				out = append(out, activated)
			}
		}
		ev := p.Evaluate(s.rules, now)
		if announce {
			out = append(out, profiled(p, now, e.Type, fmt.Sprintf("profiling score %d", ev.Score), ev.Promotes()))
		}
		return s.events.New(ctx, now, out...), nil
	})
	if err != nil {
		return ports.IgnoreHandled(err)
	}
	s.log.InfoContext(ctx, "profile updated", "customerId", p.CustomerID, "trigger", e.Type,
		"score", p.Evaluation.Score, "recommendedTier", p.Evaluation.RecommendedTier)
	return nil
}
