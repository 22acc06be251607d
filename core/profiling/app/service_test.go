package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/core/profiling/app"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/mocks"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

type fixture struct {
	svc      *app.Service
	profiles *mocks.MockProfileStore
	inbox    *mocks.MockInbox
	forget   *mocks.MockForgetter
	stored   *profiling.Profile // what storage holds for c1
	saved    []event.Event      // events of the last committed Save
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	clock := mocks.NewMockClock(ctrl)
	clock.EXPECT().Now().Return(now).AnyTimes()
	ids := mocks.NewMockIDGenerator(ctrl)
	n := 0
	ids.EXPECT().NewID().DoAndReturn(func() string { n++; return fmt.Sprintf("id-%d", n) }).AnyTimes()
	f := &fixture{profiles: mocks.NewMockProfileStore(ctrl), inbox: mocks.NewMockInbox(ctrl), forget: mocks.NewMockForgetter(ctrl),
		stored: &profiling.Profile{CustomerID: "c1"}}
	tx := mocks.NewMockTransactor(ctrl)
	tx.EXPECT().Transact(gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }).AnyTimes()
	store := app.Storage{Profiles: f.profiles, Inbox: f.inbox, Tx: tx, Forget: f.forget}
	f.svc = app.New(store, profiling.DefaultRules(), clock, ids, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return f
}

// expectSave makes Profiles.Save run the change on a copy of the stored
// profile and commit it, as a repository would, after the inbox claimed
// the event it handles ("" for a request over the API).
func (f *fixture) expectSave(claim string) {
	if claim != "" {
		f.inbox.EXPECT().Claim(gomock.Any(), claim).Return(nil)
	}
	f.profiles.EXPECT().Save(gomock.Any(), "c1", gomock.Any()).DoAndReturn(
		func(_ context.Context, _ string, change func(*profiling.Profile) ([]event.Event, error)) (profiling.Profile, error) {
			p := *f.stored
			p.Promotions = append([]profiling.Promotion(nil), f.stored.Promotions...)
			events, err := change(&p)
			if err != nil {
				return profiling.Profile{}, err
			}
			if p.Version != f.stored.Version+1 || !p.UpdatedAt.Equal(now) {
				return profiling.Profile{}, fmt.Errorf("the change did not touch the profile: version %d", p.Version)
			}
			*f.stored, f.saved = p, events
			return p, nil
		})
}

func topics(events []event.Event) string {
	var ts []string
	for _, e := range events {
		ts = append(ts, e.Type)
	}
	return strings.Join(ts, ",")
}

func TestTheOriginalPromoteRequestRecommendsPremium(t *testing.T) {
	f := setup(t)
	f.expectSave("")
	res, err := f.svc.Promote(context.Background(), profiling.PromoteRequest{CustomerID: "c1", Facts: profiling.Statement{
		Age: ptr(28), Income: ptr("75000"), CreditScore: ptr(720), FirstPayment: ptr(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Promoted || res.Profile.Evaluation.Score != 75 || res.Profile.Version != 1 {
		t.Fatalf("result = %+v", res)
	}
	p := f.saved[0].Data.(event.Profiled)
	if topics(f.saved) != event.TopicProfiled || !p.Promote || p.Profile.RecommendedTier != "premium" ||
		p.Trigger != app.TriggerAPI || p.Reason != "profiling score 75" || f.saved[0].Source != app.Source {
		t.Fatalf("event = %+v", f.saved[0])
	}
}

func TestManualTierRequests(t *testing.T) {
	tests := []struct {
		name     string
		age      *int
		tier     string
		err      error
		promoted bool
	}{
		{"an operator can ask for vip for an eligible customer", ptr(40), "vip", nil, true},
		{"an operator cannot promote a minor", ptr(17), "premium", profiling.ErrNotEligible, false},
		{"an operator may vouch for a customer of unknown age", nil, "premium", nil, true},
		{"asking for the current tier promotes nobody", ptr(40), "basic", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.expectSave("")
			res, err := f.svc.Promote(context.Background(), profiling.PromoteRequest{
				CustomerID: "c1", Facts: profiling.Statement{Age: tt.age}, NewTier: tt.tier, Reason: "High value customer"})
			if !errors.Is(err, tt.err) {
				t.Fatalf("error = %v, want %v", err, tt.err)
			}
			if err != nil {
				if f.saved != nil || f.stored.Version != 0 {
					t.Fatal("a refused request saved something")
				}
				return
			}
			p := f.saved[0].Data.(event.Profiled)
			if res.Promoted != tt.promoted || p.Promote != tt.promoted || p.Profile.RecommendedTier != tt.tier || p.Reason != "High value customer" {
				t.Fatalf("result %+v, event %+v", res, p)
			}
			last := p.Profile.Reasons[len(p.Profile.Reasons)-1]
			if last.Rule != "manualOverride" || !strings.Contains(last.Detail, "High value customer") {
				t.Fatalf("the override is not explained: %+v", last)
			}
		})
	}
}

func TestPromoteRequestsAreValidatedBeforeAnythingIsSaved(t *testing.T) {
	f := setup(t) // no Save expected
	_, err := f.svc.Promote(context.Background(), profiling.PromoteRequest{
		Facts: profiling.Statement{Age: ptr(-1), CreditScore: ptr(900), Income: ptr("x")}, NewTier: "gold", Reason: "a\x00"})
	e, ok := fault.As(err)
	if !ok || e.Kind != fault.Invalid {
		t.Fatalf("error = %v", err)
	}
	var fields []string
	for _, fe := range e.Fields {
		fields = append(fields, fe.Field)
	}
	if strings.Join(fields, ",") != "customerId,age,creditScore,income,newTier,reason" {
		t.Fatalf("fields = %v", fields)
	}
}

func TestStorageFailuresOnPromoteAreReturned(t *testing.T) {
	f := setup(t)
	boom := errors.New("disk")
	f.profiles.EXPECT().Save(gomock.Any(), "c1", gomock.Any()).Return(profiling.Profile{}, boom)
	if _, err := f.svc.Promote(context.Background(), profiling.PromoteRequest{CustomerID: "c1"}); !errors.Is(err, boom) {
		t.Fatalf("error = %v", err)
	}
}

func TestADryRunEvaluatesKnownAndStatedFactsAndSavesNothing(t *testing.T) {
	f := setup(t)
	known := profiling.Profile{CustomerID: "c1", Facts: profiling.Facts{Age: ptr(30), FirstPayment: true}}
	f.profiles.EXPECT().Get(gomock.Any(), "c1").Return(known, nil)
	ev, err := f.svc.Evaluate(context.Background(), "c1", profiling.Statement{CreditScore: ptr(800)})
	if err != nil || ev.Score != 15+35+20 {
		t.Fatalf("evaluation = %+v, %v", ev, err)
	}

	f.profiles.EXPECT().Get(gomock.Any(), "nobody").Return(profiling.Profile{}, profiling.ErrNotFound)
	ev, err = f.svc.Evaluate(context.Background(), "nobody", profiling.Statement{Age: ptr(30)})
	if err != nil || ev.Score != 15 {
		t.Fatalf("unknown customer: %+v, %v", ev, err)
	}
	if ev, err = f.svc.Evaluate(context.Background(), "", profiling.Statement{Age: ptr(17)}); err != nil || ev.Eligible {
		t.Fatalf("anonymous: %+v, %v", ev, err)
	}
	if _, err := f.svc.Evaluate(context.Background(), "", profiling.Statement{Age: ptr(200)}); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("error = %v", err)
	}
	boom := errors.New("disk")
	f.profiles.EXPECT().Get(gomock.Any(), "c2").Return(profiling.Profile{}, boom)
	if _, err := f.svc.Evaluate(context.Background(), "c2", profiling.Statement{}); !errors.Is(err, boom) {
		t.Fatalf("error = %v", err)
	}
	if f.svc.Rules().MinAge != 18 {
		t.Fatal("Rules() should return the table in use")
	}
}

func TestGetReturnsTheStoredProfile(t *testing.T) {
	f := setup(t)
	f.profiles.EXPECT().Get(gomock.Any(), "c9").Return(profiling.Profile{}, profiling.ErrNotFound)
	if _, err := f.svc.Get(context.Background(), "c9"); !errors.Is(err, profiling.ErrNotFound) {
		t.Fatalf("error = %v", err)
	}
}

func snapshot(version int64, status string, paid bool) event.Envelope {
	c := event.Customer{ID: "c1", Name: "Ana", Email: "ana@example.es", Phone: "+34600111222",
		BirthDate: "1990-01-01", Language: "es", Status: status, Tier: "basic", Version: version}
	if paid {
		c.FirstPaymentAt = &now
	}
	return event.Envelope{CustomerID: "c1", Customer: c, Timestamp: now}
}

func consumed(d event.Data) event.Event {
	return event.Event{Metadata: event.Metadata{ID: "evt-1", Type: d.Topic(), Subject: "c1"}, Data: d}
}

func TestCustomerEventsKeepTheProfileCurrent(t *testing.T) {
	tests := []struct {
		name   string
		data   event.Data
		topics string
	}{
		{"onboarding profiles the customer", event.Onboarded{Envelope: snapshot(1, "onboarded", false)}, event.TopicProfiled},
		{"activation profiles the customer again", event.Activated{Envelope: snapshot(2, "active", false)}, event.TopicProfiled},
		{"a first payment grants the bonus and re-profiles",
			event.FirstPayment{Envelope: snapshot(3, "active", true), Payment: event.Payment{AmountMinor: 1, Currency: "EUR"}},
			event.TopicPromotionActivated + "," + event.TopicProfiled},
		{"deactivation only updates the facts", event.Deactivated{Envelope: snapshot(4, "inactive", false)}, ""},
		{"a promotion only updates the facts", event.Promoted{Envelope: snapshot(4, "active", false)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.expectSave("evt-1")
			if err := f.svc.Handle(context.Background(), consumed(tt.data)); err != nil {
				t.Fatal(err)
			}
			if topics(f.saved) != tt.topics {
				t.Fatalf("emitted %q, want %q", topics(f.saved), tt.topics)
			}
			if f.stored.Customer == nil || f.stored.Facts.BirthDate.Year() != 1990 {
				t.Fatalf("profile = %+v", f.stored)
			}
		})
	}
}

func TestTheFirstPaymentBonusIsAnnouncedOnce(t *testing.T) {
	f := setup(t)
	pay := consumed(event.FirstPayment{Envelope: snapshot(3, "active", true), Payment: event.Payment{AmountMinor: 1, Currency: "EUR"}})
	f.expectSave("evt-1")
	if err := f.svc.Handle(context.Background(), pay); err != nil {
		t.Fatal(err)
	}
	bonus := f.saved[0].Data.(event.PromotionActivated)
	if bonus.Promotion.DiscountPercent != 60 || !bonus.Promotion.ExpiresAt.Equal(now.AddDate(0, 0, 30)) || bonus.Customer.Email != "ana@example.es" {
		t.Fatalf("bonus = %+v", bonus)
	}
	// A second first-payment event (another id: a replay from elsewhere)
	// grants nothing more.
	pay.ID = "evt-2"
	f.expectSave("evt-2")
	if err := f.svc.Handle(context.Background(), pay); err != nil {
		t.Fatal(err)
	}
	if topics(f.saved) != event.TopicProfiled || len(f.stored.Promotions) != 1 {
		t.Fatalf("second payment emitted %q with %d promotions", topics(f.saved), len(f.stored.Promotions))
	}
}

func TestAnActivationPromotesAnEligibleCustomer(t *testing.T) {
	f := setup(t)
	f.stored.Facts = profiling.Facts{Income: ptr(int64(20_000_000)), CreditScore: ptr(820)}
	f.expectSave("evt-1")
	if err := f.svc.Handle(context.Background(), consumed(event.Activated{Envelope: snapshot(2, "active", false)})); err != nil {
		t.Fatal(err)
	}
	p := f.saved[0].Data.(event.Profiled)
	if !p.Promote || p.Profile.RecommendedTier != "vip" || p.Trigger != event.TopicActivated {
		t.Fatalf("profiled = %+v", p)
	}
}

func TestHandlingFailures(t *testing.T) {
	t.Run("a redelivered event is skipped", func(t *testing.T) {
		f := setup(t)
		f.inbox.EXPECT().Claim(gomock.Any(), "evt-1").Return(ports.ErrAlreadyHandled) // and no Save
		if err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: snapshot(1, "onboarded", false)})); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a snapshot with an unknown tier is poison", func(t *testing.T) {
		f := setup(t) // refused before anything is claimed or saved
		env := snapshot(1, "onboarded", false)
		env.Customer.Tier = "gold"
		err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: env}))
		if fault.KindOf(err) != fault.Invalid || f.stored.Version != 0 {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("an event profiling does not consume is poison", func(t *testing.T) {
		f := setup(t)
		if err := f.svc.Handle(context.Background(), consumed(event.Registered{})); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a storage failure is returned for retry", func(t *testing.T) {
		f := setup(t)
		boom := errors.New("disk")
		f.inbox.EXPECT().Claim(gomock.Any(), "evt-1").Return(nil)
		f.profiles.EXPECT().Save(gomock.Any(), "c1", gomock.Any()).Return(profiling.Profile{}, boom)
		if err := f.svc.Handle(context.Background(), consumed(event.Promoted{Envelope: snapshot(1, "active", false)})); !errors.Is(err, boom) {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestOlderSnapshotsArrivingLateDoNotUndoNewerOnes(t *testing.T) {
	f := setup(t)
	f.expectSave("evt-1")
	if err := f.svc.Handle(context.Background(), consumed(event.Activated{Envelope: snapshot(2, "active", false)})); err != nil {
		t.Fatal(err)
	}
	late := consumed(event.Onboarded{Envelope: snapshot(1, "onboarded", false)})
	late.ID = "evt-0"
	f.expectSave("evt-0")
	if err := f.svc.Handle(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	if f.stored.Facts.Status != "active" || f.stored.Customer.Version != 2 {
		t.Fatalf("a late onboarded event undid the activation: %+v", f.stored.Facts)
	}
}
