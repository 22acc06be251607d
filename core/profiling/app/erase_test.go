package app_test

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/profiling"
)

func TestAnErasureDropsTheProfileAndNothingRecreatesIt(t *testing.T) {
	f := setup(t)
	f.expectSave("evt-1")
	if err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: snapshot(1, "onboarded", true)})); err != nil {
		t.Fatal(err)
	}
	f.expectSave("evt-1")
	f.forget.EXPECT().Forget(gomock.Any(), "c1").Return(nil)
	f.forget.EXPECT().Purge(gomock.Any()).Return(nil)
	if err := f.svc.Handle(context.Background(), consumed(event.Erased{Envelope: snapshot(2, "erased", false)})); err != nil {
		t.Fatal(err)
	}
	p := *f.stored
	if !p.Erased() || p.Customer != nil || !p.Facts.BirthDate.IsZero() || p.Evaluation.Score != 0 || p.Promotions != nil || f.saved != nil {
		t.Fatalf("after the erasure the profile holds %+v and events %v", p, f.saved)
	}
	f.profiles.EXPECT().Get(gomock.Any(), "c1").Return(p, nil)
	if _, err := f.svc.Get(context.Background(), "c1"); !errors.Is(err, profiling.ErrErased) {
		t.Fatalf("reading an erased profile: %v, want ErrErased", err)
	}

	later := []struct {
		name string
		run  func() error
	}{
		{"an activation", func() error {
			f.expectSave("evt-1")
			f.inbox.EXPECT().Claim(gomock.Any(), "evt-1").Return(nil) // handled, with no effect
			return f.svc.Handle(context.Background(), consumed(event.Activated{Envelope: snapshot(3, "active", false)}))
		}},
		{"a request over the API", func() error {
			f.expectSave("")
			_, err := f.svc.Promote(context.Background(), profiling.PromoteRequest{CustomerID: "c1"})
			if !errors.Is(err, profiling.ErrErased) {
				return err
			}
			return nil
		}},
	}
	for _, tt := range later {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); err != nil {
				t.Fatal(err)
			}
			if p := *f.stored; !p.Erased() || p.Customer != nil || f.saved != nil {
				t.Fatalf("%s changed the tombstone: %+v", tt.name, p)
			}
		})
	}
}
