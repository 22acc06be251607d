package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/notification/app"
)

// withPreferences is an envelope whose snapshot, of version, carries
// preferences.
func withPreferences(version int64, email, sms, marketing bool) event.Envelope {
	env := envelope("+34600111222")
	env.Customer.Version = version
	env.Customer.Preferences = &event.Preferences{Email: event.Consent{Given: email, At: now, Via: "api"},
		SMS: event.Consent{Given: sms, At: now, Via: "api"}, Marketing: event.Consent{Given: marketing, At: now, Via: "api"}}
	return env
}

func TestMessagesGoOnlyWhereTheCustomerConsents(t *testing.T) {
	tests := []struct {
		name    string
		data    event.Data
		prefs   event.Envelope
		sent    []notification.Channel // in order
		skipped map[notification.Channel]string
	}{
		{"an activation goes by email only to a customer who refused SMS",
			event.Activated{Envelope: withPreferences(3, true, false, true)}, withPreferences(3, true, false, true),
			[]notification.Channel{notification.Email}, map[notification.Channel]string{notification.SMS: "does not accept messages by sms"}},
		{"a promotion is marketing: skipped without consent",
			event.Promoted{Envelope: withPreferences(3, true, true, false), NewTier: "premium"}, withPreferences(3, true, true, false),
			nil, map[notification.Channel]string{notification.Email: "not consented to marketing"}},
		{"a transactional message goes without marketing consent",
			event.Onboarded{Envelope: withPreferences(1, true, true, false)}, withPreferences(1, true, true, false),
			[]notification.Channel{notification.Email}, nil},
		{"a withdrawal that arrived after the event was planned wins",
			event.Promoted{Envelope: withPreferences(3, true, true, true), NewTier: "premium"}, withPreferences(4, true, true, false),
			nil, map[notification.Channel]string{notification.Email: "not consented to marketing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.inbox.EXPECT().Handled(gomock.Any(), gomock.Any()).Return(false, nil).AnyTimes()
			f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound).AnyTimes()
			if err := f.svc.Handle(context.Background(), event.Event{Metadata: event.Metadata{ID: "evt-0", Type: event.TopicPreferencesChanged},
				Data: event.PreferencesChanged{Envelope: tt.prefs}}); err != nil {
				t.Fatal(err)
			}
			var sent []notification.Channel
			f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, any) (string, error) {
				sent = append(sent, notification.Email)
				return "e-1", nil
			}).AnyTimes()
			var recs []recorded
			f.expectRecord(&recs, nil).AnyTimes()
			if err := f.svc.Handle(context.Background(), consumed(tt.data)); err != nil {
				t.Fatal(err)
			}
			if len(sent) != len(tt.sent) {
				t.Fatalf("sent on %v, want %v", sent, tt.sent)
			}
			skipped := 0
			for _, r := range recs {
				if r.delivery.Status != notification.Skipped {
					continue
				}
				skipped++
				if want := tt.skipped[r.delivery.Channel]; want == "" || !strings.Contains(r.delivery.Error, want) || r.events != nil {
					t.Errorf("skipped %s: %q, want a reason with %q and no event", r.delivery.Channel, r.delivery.Error, want)
				}
			}
			if skipped != len(tt.skipped) || recs[len(recs)-1].handled != "evt-1" {
				t.Fatalf("recorded %+v; want %d skipped, the last with the event marked handled", recs, len(tt.skipped))
			}
		})
	}
}

func TestAMarketingMessageToOurCustomerWaitsForTheirPreferences(t *testing.T) {
	f := setup(t) // no preferences kept yet, and profiling's snapshot carries none
	f.inbox.EXPECT().Handled(gomock.Any(), gomock.Any()).Return(false, nil)
	bonus := event.PromotionActivated{Envelope: envelope("+34600111222"), Promotion: event.Promotion{ID: "p1", Code: "FIRST_PAYMENT_BONUS",
		DiscountPercent: 60, ActivatedAt: now, ExpiresAt: now.AddDate(0, 1, 0)}}
	err := f.svc.Handle(context.Background(), consumed(bonus))
	if !errors.Is(err, app.ErrPreferencesPending) || fault.KindOf(err).Permanent() {
		t.Fatalf("Handle = %v, want %v, retried rather than dead-lettered", err, app.ErrPreferencesPending)
	}
}

func TestTheOriginalsCustomersGetEveryMessage(t *testing.T) {
	f := setup(t) // no preferences kept: the original's snapshots carry none, nor a version
	f.inbox.EXPECT().Handled(gomock.Any(), gomock.Any()).Return(false, nil)
	f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
	f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("e-1", nil)
	var recs []recorded
	f.expectRecord(&recs, nil)
	original := envelope("+34600111222")
	original.Customer.Version = 0
	if err := f.svc.Handle(context.Background(), consumed(event.Promoted{Envelope: original, NewTier: "vip"})); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].delivery.Status != notification.Sent {
		t.Fatalf("recorded %+v", recs)
	}
}
