package memory

import (
	"context"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/ports"
)

type profileEntry = profiling.Profile

type profiles struct {
	byID map[string]profileEntry
}

// Profiles returns the store as ports.Profiles.
func (s *Store) Profiles() ports.Profiles { return profileStore{s} }

type profileStore struct{ s *Store }

var _ ports.Profiles = profileStore{}

func (p profileStore) Get(ctx context.Context, id string) (profiling.Profile, error) {
	defer p.s.enter(ctx)()
	pr, ok := p.s.profiles.byID[id]
	if !ok {
		return profiling.Profile{}, profiling.ErrNotFound.With(id, nil)
	}
	return clone(pr), nil
}

func (p profileStore) Save(ctx context.Context, id string, change func(*profiling.Profile) ([]event.Event, error)) (profiling.Profile, error) {
	s := p.s
	defer s.enter(ctx)()
	pr, ok := s.profiles.byID[id]
	if !ok {
		pr = profiling.Profile{CustomerID: id}
	}
	before := pr.Version
	pr = clone(pr)
	events, err := change(&pr)
	if err != nil {
		return profiling.Profile{}, err
	}
	if pr.Version == before {
		return pr, nil
	}
	if err := s.addEvents(events); err != nil {
		return profiling.Profile{}, err
	}
	s.profiles.byID[id] = clone(pr)
	return pr, nil
}

// clone deep-copies a profile so callers never share memory with the store.
func clone(p profiling.Profile) profiling.Profile {
	if p.Customer != nil {
		c := *p.Customer
		p.Customer = &c
	}
	p.Facts.Age = copyPtr(p.Facts.Age)
	p.Facts.Income = copyPtr(p.Facts.Income)
	p.Facts.CreditScore = copyPtr(p.Facts.CreditScore)
	p.Promotions = append([]profiling.Promotion(nil), p.Promotions...)
	p.Evaluation.Reasons = append([]profiling.Reason(nil), p.Evaluation.Reasons...)
	p.Evaluation.Recommendations = append([]profiling.Recommendation(nil), p.Evaluation.Recommendations...)
	return p
}

func copyPtr[T any](v *T) *T {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}
