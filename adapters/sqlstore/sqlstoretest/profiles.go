package sqlstoretest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/core/tier"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/profiles"
)

// ProfileStore is what the profile contract needs from an implementation.
type ProfileStore struct {
	Profiles profiles.Store
	Outbox   ports.Outbox
	Units
}

func ptr[T any](v T) *T { return &v }

// TestProfiles runs the profiles.Store contract. open returns an empty store.
func TestProfiles(t *testing.T, open func(t *testing.T) ProfileStore) {
	rules := profiling.DefaultRules()
	snapshot := profiling.Snapshot{ID: "c1", Name: "Ana", Email: "ana@example.es", Phone: "+34600111222",
		BirthDate: time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC), Language: "es", Status: string(customer.Active), Tier: tier.Basic,
		CreatedAt: now, ActivatedAt: now, Version: 3}

	t.Run("an unknown profile is not found", func(t *testing.T) {
		_, err := open(t).Profiles.Get(ctx(t), "nobody")
		wantErr(t, err, profiling.ErrNotFound, "Get")
	})

	t.Run("a saved profile reads back whole, promotions included", func(t *testing.T) {
		s, f := open(t), factory("service-profiling")
		saved, err := s.Profiles.Save(ctx(t), "c1", func(p *profiling.Profile) ([]event.Event, error) {
			if p.CustomerID != "c1" || p.Version != 0 || p.Customer != nil {
				t.Fatalf("a new profile should be empty: %+v", p)
			}
			p.Touch(now)
			p.ApplySnapshot(snapshot)
			p.State(profiling.Update{Income: ptr(int64(7_500_000)), CreditScore: ptr(720)})
			p.GrantFirstPaymentBonus("promo-1", rules, now)
			p.Evaluate(rules, now)
			return f.New(ctx(t), now, onboarded("c1"), onboarded("c1")), nil
		})
		mustNot(t, err, "Save")
		if saved.Version != 1 || !saved.CreatedAt.Equal(now) || !saved.UpdatedAt.Equal(now) {
			t.Fatalf("saved = %+v", saved)
		}
		got, err := s.Profiles.Get(ctx(t), "c1")
		mustNot(t, err, "Get")
		if !reflect.DeepEqual(got.Facts, saved.Facts) || !reflect.DeepEqual(got.Evaluation, saved.Evaluation) ||
			got.Version != 1 || !got.CreatedAt.Equal(now) || !got.UpdatedAt.Equal(now) ||
			!reflect.DeepEqual(got.Promotions, saved.Promotions) || !reflect.DeepEqual(got.Customer, saved.Customer) {
			t.Fatalf("read back\n%+v\nwant\n%+v", got, saved)
		}
		if got.Facts.Tier != tier.Basic || got.Facts.BirthDate.Year() != 1990 || *got.Facts.Income != 7_500_000 ||
			!got.Facts.FirstPayment || len(got.Promotions) != 1 || got.Evaluation.Score == 0 {
			t.Fatalf("facts = %+v", got.Facts)
		}
		if ids := PendingIDs(t, s.Outbox); len(ids) != 2 {
			t.Fatalf("outbox = %v", ids)
		}
	})

	t.Run("each save bumps the version and keeps earlier promotions", func(t *testing.T) {
		s := open(t)
		for i := range 3 {
			p, err := s.Profiles.Save(ctx(t), "c1", func(p *profiling.Profile) ([]event.Event, error) {
				p.Touch(now.Add(time.Duration(i) * time.Second))
				if i == 1 {
					p.GrantFirstPaymentBonus("promo-1", rules, now)
				}
				p.State(profiling.Update{Age: ptr(30 + i)})
				return nil, nil
			})
			mustNot(t, err, "Save")
			if p.Version != int64(i+1) {
				t.Fatalf("save %d: version %d", i, p.Version)
			}
		}
		got, _ := s.Profiles.Get(ctx(t), "c1")
		if len(got.Promotions) != 1 || *got.Facts.Age != 32 || !got.Promotions[0].ExpiresAt.Equal(now.AddDate(0, 0, 30)) ||
			!got.CreatedAt.Equal(now) || !got.UpdatedAt.Equal(now.Add(2*time.Second)) {
			t.Fatalf("profile = %+v", got)
		}
	})

	t.Run("a refused change saves nothing", func(t *testing.T) {
		s := open(t)
		boom := errors.New("refused")
		_, err := s.Profiles.Save(ctx(t), "c1", func(p *profiling.Profile) ([]event.Event, error) {
			p.Touch(now)
			p.State(profiling.Update{Age: ptr(30)})
			return nil, boom
		})
		wantErr(t, err, boom, "Save")
		_, err = s.Profiles.Get(ctx(t), "c1")
		wantErr(t, err, profiling.ErrNotFound, "Get after a refused first save")
	})

	t.Run("a change that leaves the version alone saves nothing", func(t *testing.T) {
		s := open(t)
		_, err := s.Profiles.Save(ctx(t), "c1", func(p *profiling.Profile) ([]event.Event, error) {
			p.State(profiling.Update{Age: ptr(30)})
			return []event.Event{}, nil
		})
		mustNot(t, err, "Save")
		_, err = s.Profiles.Get(ctx(t), "c1")
		wantErr(t, err, profiling.ErrNotFound, "Get after an untouched save")
	})

	t.Run("a save and its claim commit together", func(t *testing.T) {
		TestUnitsOfWork(t, func(t *testing.T) Units {
			s := open(t)
			u := s.Units
			u.Write = func(c context.Context, n int) error {
				_, err := s.Profiles.Save(c, "c1", func(p *profiling.Profile) ([]event.Event, error) {
					p.Touch(now)
					p.State(profiling.Update{Age: ptr(30 + n)})
					return nil, nil
				})
				return err
			}
			u.Written = func(c context.Context) int {
				p, err := s.Profiles.Get(c, "c1")
				if errors.Is(err, profiling.ErrNotFound) {
					return 0
				}
				mustNot(t, err, "Get")
				return int(p.Version)
			}
			return u
		})
	})

	t.Run("concurrent saves of one profile all apply", func(t *testing.T) {
		s := open(t)
		errs := make(chan error, 8)
		for range 8 {
			go func() {
				_, err := s.Profiles.Save(ctx(t), "c1", func(p *profiling.Profile) ([]event.Event, error) {
					p.Touch(now)
					p.State(profiling.Update{CreditScore: ptr(700)})
					return nil, nil
				})
				errs <- err
			}()
		}
		for range 8 {
			mustNot(t, <-errs, "concurrent Save")
		}
		got, _ := s.Profiles.Get(ctx(t), "c1")
		if got.Version != 8 {
			t.Fatalf("version = %d after 8 saves", got.Version)
		}
	})

	t.Run("the outbox keeps commit order", func(t *testing.T) {
		s := open(t)
		TestOutbox(t, s.Outbox, func(t *testing.T, events []event.Event) {
			_, err := s.Profiles.Save(ctx(t), "c1", func(p *profiling.Profile) ([]event.Event, error) {
				p.Touch(now)
				return events, nil
			})
			mustNot(t, err, "Save")
		})
	})
}
