// Package app holds the profiling service's use cases: keeping profiles
// current from customer events, granting the first-payment bonus, and
// evaluating or promoting customers on request.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/core/text"
	"github.com/fintechlabs/customers/core/tier"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/profiles"
)

// maxReasonLen bounds an operator's reason for a manual tier.
const maxReasonLen = 500

// Source names the profiling service in the events it emits.
const Source = event.SourceProfiling

// TriggerAPI marks evaluations requested over the REST API.
const TriggerAPI = "api"

// Consumes lists the topics the profiling service consumes.
var Consumes = []string{
	event.TopicOnboarded, event.TopicActivated, event.TopicDeactivated, event.TopicFirstPayment, event.TopicPromoted, event.TopicErased,
}

// Emits lists the topics the profiling service publishes.
var Emits = []string{event.TopicProfiled, event.TopicPromotionActivated}

// Service runs the profiling use cases.
type Service struct {
	profiles profiles.Store
	inbox    ports.Inbox
	tx       ports.Transactor
	forget   ports.Forgetter
	rules    profiling.Rules
	clock    ports.Clock
	events   event.Factory
	log      *slog.Logger
}

// Storage is where the profiling service keeps its data.
type Storage struct {
	Profiles profiles.Store
	Inbox    ports.Inbox
	Tx       ports.Transactor
	// Forget erases the copies of an erased customer's data that the
	// database keeps beside the profiles (outbox, idempotency answers).
	Forget ports.Forgetter
}

// New returns a Service applying rules.
func New(store Storage, rules profiling.Rules, clock ports.Clock, ids ports.IDGenerator, log *slog.Logger) *Service {
	return &Service{profiles: store.Profiles, inbox: store.Inbox, tx: store.Tx, forget: store.Forget, rules: rules, clock: clock, log: log,
		events: event.Factory{Source: Source, NewID: ids.NewID}}
}

// Rules returns the rule table in use.
func (s *Service) Rules() profiling.Rules { return s.rules }

// Get returns a customer's profile. Errors: profiling.ErrNotFound.
func (s *Service) Get(ctx context.Context, customerID string) (profiling.Profile, error) {
	p, err := s.profiles.Get(ctx, customerID)
	if err == nil && p.Erased() {
		return profiling.Profile{}, profiling.ErrErased
	}
	return p, err
}

// Promote merges the stated facts into the customer's profile, evaluates it
// and emits customer.profiled. The customer service then promotes the
// customer if the recommended tier is higher than theirs. A NewTier overrides
// the rules' tier for any customer not known to be a minor. Errors:
// fault.Invalid for bad input; profiling.ErrNotEligible when NewTier is
// given for a customer under the eligibility age.
func (s *Service) Promote(ctx context.Context, r profiling.PromoteRequest) (profiling.Decision, error) {
	u, override, reason, err := s.parse(r)
	if err != nil {
		return profiling.Decision{}, err
	}
	var promoted bool
	p, err := s.profiles.Save(ctx, r.CustomerID, func(p *profiling.Profile) ([]event.Event, error) {
		if p.Erased() {
			return nil, profiling.ErrErased
		}
		now := s.clock.Now()
		p.Touch(now)
		p.State(u)
		p.Evaluate(s.rules, now)
		promoted = p.Evaluation.Promotes()
		if override != "" {
			// Rules promote only customers known to be adults; an operator
			// may vouch for a customer of unknown age, never for a minor.
			if age, known := p.Facts.AgeAt(now); known && age < s.rules.MinAge {
				return nil, profiling.ErrNotEligible.With(fmt.Sprintf("age %d is under %d", age, s.rules.MinAge), nil)
			}
			p.Evaluation.RecommendedTier = override
			p.Evaluation.Reasons = append(p.Evaluation.Reasons, profiling.Reason{
				Rule: "manualOverride", Detail: fmt.Sprintf("operator asked for %s: %s", override, reason)})
			promoted = override.Above(p.Evaluation.CurrentTier)
		}
		if reason == "" {
			reason = fmt.Sprintf("profiling score %d", p.Evaluation.Score)
		}
		announce := profiled(p, now, TriggerAPI, reason, promoted)
		if override != "" {
			promo := tierPromotion(p.CustomerID, s.events.NewID(), override, reason, now)
			announce.Promotion = &promo
		}
		return s.events.New(ctx, now, announce), nil
	})
	if err != nil {
		return profiling.Decision{}, err
	}
	s.log.InfoContext(ctx, "customer profiled", "customerId", p.CustomerID, "score", p.Evaluation.Score,
		"recommendedTier", p.Evaluation.RecommendedTier, "promote", promoted)
	return profiling.Decision{Profile: p, Promoted: promoted}, nil
}

// Evaluate is a dry run: it evaluates the customer's known facts (none when
// customerID is empty or unknown) merged with the stated ones, and saves and
// emits nothing. Errors: fault.Invalid for bad facts.
func (s *Service) Evaluate(ctx context.Context, customerID string, facts profiling.Statement) (profiling.Evaluation, error) {
	u, err := facts.Parse(s.rules)
	if err != nil {
		return profiling.Evaluation{}, err
	}
	var p profiling.Profile
	if customerID != "" {
		p, err = s.Get(ctx, customerID)
		if err != nil && !errors.Is(err, profiling.ErrNotFound) {
			return profiling.Evaluation{}, err
		}
	}
	p.State(u)
	return s.rules.Evaluate(p.Facts, s.clock.Now()), nil
}

func (s *Service) parse(r profiling.PromoteRequest) (profiling.Update, tier.Tier, string, error) {
	var bad fault.Fields
	if strings.TrimSpace(r.CustomerID) == "" {
		bad.Add("customerId", "is required")
	}
	u, err := r.Facts.Parse(s.rules)
	if e, ok := fault.As(err); ok {
		bad = append(bad, e.Fields...)
	}
	var want tier.Tier
	if strings.TrimSpace(r.NewTier) != "" {
		want, err = tier.Parse(r.NewTier)
		bad.Check("newTier", err)
	}
	reason := strings.TrimSpace(r.Reason)
	if reason != "" {
		bad.Check("reason", text.Check(reason, maxReasonLen))
	}
	return u, want, reason, bad.Err("invalid profiling request")
}
