package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/notification/app"
	"github.com/fintechlabs/customers/core/page"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/deliveries"
	"github.com/fintechlabs/customers/ports/mocks"
)

var now = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

type fixture struct {
	svc        *app.Service
	deliveries *mocks.MockDeliveryStore
	inbox      *mocks.MockInbox
	// claimErr is what claiming an event in the inbox returns.
	claimErr *error
	// intents are the deliveries recorded as pending, in order.
	intents *[]notification.Delivery
	// newest is the newest customer version reserved, and saw the versions
	// reserved, in order.
	newest *int64
	saw    *[]int64
	email  *mocks.MockEmailSender
	sms    *mocks.MockSMSSender
	erased *bool // what the store says of every customer
	forget *mocks.MockForgetter
	// prefs are the customer's preferences the store keeps, nil for none.
	prefs **notification.Preferences
}

func setup(t *testing.T) fixture {
	t.Helper()
	return setupWith(t, func(m *mocks.MockEmailSender) deliveries.EmailSender { return m })
}

// setupWith builds the fixture with the email sender that email makes of
// the mock (keyed: one whose provider honours idempotency keys).
func setupWith(t *testing.T, email func(*mocks.MockEmailSender) deliveries.EmailSender) fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	clock := mocks.NewMockClock(ctrl)
	clock.EXPECT().Now().Return(now).AnyTimes()
	ids := mocks.NewMockIDGenerator(ctrl)
	n := 0
	ids.EXPECT().NewID().DoAndReturn(func() string { n++; return fmt.Sprintf("id-%d", n) }).AnyTimes()
	f := fixture{deliveries: mocks.NewMockDeliveryStore(ctrl), inbox: mocks.NewMockInbox(ctrl), claimErr: new(error),
		intents: new([]notification.Delivery), newest: new(int64), saw: new([]int64),
		email: mocks.NewMockEmailSender(ctrl), sms: mocks.NewMockSMSSender(ctrl), erased: new(bool), forget: mocks.NewMockForgetter(ctrl),
		prefs: new(*notification.Preferences)}
	// A unit of work runs its function as it is, remembering the event it
	// claimed, so that a test sees which record committed with the claim.
	tx := mocks.NewMockTransactor(ctrl)
	tx.EXPECT().Transact(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		return fn(context.WithValue(ctx, claimKey{}, new(string)))
	}).AnyTimes()
	f.inbox.EXPECT().Claim(gomock.Any(), gomock.Any()).DoAndReturn(func(ctx context.Context, id string) error {
		if *f.claimErr == nil {
			*ctx.Value(claimKey{}).(*string) = id
		}
		return *f.claimErr
	}).AnyTimes()
	var versions sync.Mutex // reservations may be made at once
	f.deliveries.EXPECT().Reserve(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, _ string, _ notification.Fact, v int64) (int64, error) {
			versions.Lock()
			defer versions.Unlock()
			*f.saw = append(*f.saw, v)
			*f.newest = max(*f.newest, v)
			return *f.newest, nil
		}).AnyTimes()
	f.deliveries.EXPECT().Intend(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, d notification.Delivery) error {
		*f.intents = append(*f.intents, d)
		return nil
	}).AnyTimes()
	f.deliveries.EXPECT().Erased(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, string) (bool, error) {
		return *f.erased, nil
	}).AnyTimes()
	f.deliveries.EXPECT().Preferences(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, string) (notification.Preferences, bool, error) {
		if *f.prefs == nil {
			return notification.Preferences{}, false, nil
		}
		return **f.prefs, true, nil
	}).AnyTimes()
	f.deliveries.EXPECT().SavePreferences(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, _ string, p notification.Preferences) error {
		if *f.prefs == nil || (*f.prefs).Version < p.Version {
			*f.prefs = &p
		}
		return nil
	}).AnyTimes()
	store := app.Storage{Deliveries: f.deliveries, Inbox: f.inbox, Tx: tx, Forget: f.forget}
	f.svc = app.New(store, email(f.email), f.sms, notification.Templates(), clock, ids, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return f
}

// expectNew expects eventID to be new: not handled, with no delivery yet.
func (f fixture) expectNew(eventID string) {
	f.inbox.EXPECT().Handled(gomock.Any(), eventID).Return(false, nil)
	f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
}

// keyedEmail is an email sender whose provider honours idempotency keys.
type keyedEmail struct{ *mocks.MockEmailSender }

func keyed(m *mocks.MockEmailSender) deliveries.EmailSender { return keyedEmail{m} }

func (keyedEmail) HonoursIdempotencyKeys() bool { return true }

// claimKey holds, in a unit of work's context, the event it claimed.
type claimKey struct{}

var notFound = fault.NotFoundf("delivery not found")

func envelope(phone string) event.Envelope {
	return event.Envelope{CustomerID: "c1", Timestamp: now, Customer: event.Customer{
		ID: "c1", Name: "Ana López", Email: "ana@example.es", Phone: phone, Language: "es", Version: 2}}
}

func consumed(d event.Data) event.Event {
	return event.Event{Metadata: event.Metadata{ID: "evt-1", Type: d.Topic(), Subject: "c1"}, Data: d}
}

// recorded captures what Record commits, and the event claimed in the same
// unit of work ("" when none).
type recorded struct {
	delivery notification.Delivery
	events   []event.Event
	handled  string
}

func (f fixture) expectRecord(into *[]recorded, err error) *gomock.Call {
	return f.deliveries.EXPECT().Record(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, d notification.Delivery, events []event.Event) error {
			handled := ""
			if claimed, ok := ctx.Value(claimKey{}).(*string); ok {
				handled = *claimed
			}
			*into = append(*into, recorded{d, events, handled})
			return err
		})
}

func TestOnboardingSendsTheWelcomeEmailAndReportsIt(t *testing.T) {
	f := setup(t)
	var recs []recorded
	f.expectNew("evt-1")
	var sent deliveries.Email
	f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m deliveries.Email) (string, error) {
		sent = m
		return "provider-1", nil
	})
	f.expectRecord(&recs, nil)

	if err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: envelope("+34600111222")})); err != nil {
		t.Fatal(err)
	}
	if sent.To != "ana@example.es" || sent.Subject != "¡Bienvenido/a, Ana López!" || !strings.Contains(sent.Body, "Hola Ana López") {
		t.Fatalf("email = %+v", sent)
	}
	d := recs[0].delivery
	if d.ID != sent.ID || d.Status != notification.Sent || d.ProviderID != "provider-1" || d.Template != "welcome" ||
		d.Cause.EventID != "evt-1" || d.Cause.EventType != event.TopicOnboarded || recs[0].handled != "evt-1" {
		t.Fatalf("delivery = %+v, handled %q", d, recs[0].handled)
	}
	ns := recs[0].events[0].Data.(event.NotificationSent)
	if ns.NotificationID != d.ID || ns.CustomerID != "c1" || ns.Status != "sent" || ns.TriggeredBy.EventID != "evt-1" ||
		recs[0].events[0].Source != app.Source {
		t.Fatalf("notification.sent = %+v", recs[0].events[0])
	}
}

func TestActivationSendsEmailThenSMSAndMarksTheEventWithTheLast(t *testing.T) {
	f := setup(t)
	var recs []recorded
	f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
	f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound).Times(2)
	f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("e-1", nil)
	f.sms.EXPECT().SendSMS(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m deliveries.SMS) (string, error) {
		if m.To != "+34600111222" || !strings.Contains(m.Body, "activada") {
			t.Errorf("sms = %+v", m)
		}
		return "s-1", nil
	})
	f.expectRecord(&recs, nil).Times(2)
	if err := f.svc.Handle(context.Background(), consumed(event.Activated{Envelope: envelope("+34600111222")})); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].handled != "" || recs[1].handled != "evt-1" || recs[1].delivery.Channel != notification.SMS {
		t.Fatalf("recorded = %+v", recs)
	}
	if recs[0].delivery.ID == recs[1].delivery.ID {
		t.Fatal("each channel needs its own delivery id")
	}
}

func TestARetryAfterAPartialFailureSendsOnlyWhatIsMissing(t *testing.T) {
	// First attempt: the email goes out, the SMS provider is down.
	f := setup(t)
	var recs []recorded
	f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
	f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound).Times(2)
	f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("e-1", nil)
	down := fault.Unavailablef("sms gateway down")
	f.sms.EXPECT().SendSMS(gomock.Any(), gomock.Any()).Return("", down)
	f.expectRecord(&recs, nil).Times(2)
	activated := consumed(event.Activated{Envelope: envelope("+34600111222")})
	if err := f.svc.Handle(context.Background(), activated); !errors.Is(err, down) {
		t.Fatalf("error = %v, want the provider failure for a retry", err)
	}
	// The email is sent; the SMS the provider did not take is recorded as
	// such, and the event is not handled yet.
	if len(recs) != 2 || recs[0].delivery.Channel != notification.Email || recs[0].delivery.Status != notification.Sent ||
		recs[1].delivery.Channel != notification.SMS || recs[1].delivery.Status != notification.Failed || recs[1].handled != "" {
		t.Fatalf("recorded = %+v", recs)
	}

	// Second attempt: the email is already sent and must not go out again.
	f2 := setup(t)
	emailDelivery := recs[0].delivery
	f2.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
	f2.deliveries.EXPECT().Get(gomock.Any(), emailDelivery.ID).Return(emailDelivery, nil)
	f2.deliveries.EXPECT().Get(gomock.Any(), gomock.Not(emailDelivery.ID)).Return(recs[1].delivery, nil)
	f2.sms.EXPECT().SendSMS(gomock.Any(), gomock.Any()).Return("s-1", nil)
	var recs2 []recorded
	f2.expectRecord(&recs2, nil)
	if err := f2.svc.Handle(context.Background(), activated); err != nil {
		t.Fatal(err)
	}
	if len(recs2) != 1 || recs2[0].delivery.Channel != notification.SMS || recs2[0].handled != "evt-1" {
		t.Fatalf("recorded = %+v", recs2)
	}
}

func TestTheIntentIsRecordedBeforeTheProviderHasTheMessage(t *testing.T) {
	f := setup(t)
	var recs []recorded
	f.expectNew("evt-1")
	f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m deliveries.Email) (string, error) {
		if len(*f.intents) != 1 || (*f.intents)[0].ID != m.ID || (*f.intents)[0].Status != "" {
			t.Fatalf("the provider got %s before its intent was recorded: %+v", m.ID, *f.intents)
		}
		return "e-1", nil
	})
	f.expectRecord(&recs, nil)
	if err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: envelope("+34600111222")})); err != nil {
		t.Fatal(err)
	}
	if recs[0].delivery.Status != notification.Sent || recs[0].handled != "evt-1" {
		t.Fatalf("recorded %+v", recs[0])
	}
}

func TestThroughAProviderThatHonoursKeysNoIntentIsWrittenAndARedeliverySendsUnderTheSameKey(t *testing.T) {
	onboarded := consumed(event.Onboarded{Envelope: envelope("+34600111222")})
	var keys []string
	for try := range 2 { // the first as a crash after the send left it: nothing recorded
		f := setupWith(t, keyed)
		f.expectNew("evt-1")
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m deliveries.Email) (string, error) {
			keys = append(keys, m.ID)
			return "e-1", nil
		})
		var recs []recorded
		f.expectRecord(&recs, nil)
		if err := f.svc.Handle(context.Background(), onboarded); err != nil {
			t.Fatal(err)
		}
		if len(*f.intents) != 0 || len(recs) != 1 || recs[0].delivery.Status != notification.Sent {
			t.Fatalf("try %d: intents %+v, recorded %+v; want no intent and the sent delivery", try, *f.intents, recs)
		}
	}
	if keys[0] != keys[1] {
		t.Fatalf("the redelivery handed the message over as %s, the first time as %s", keys[1], keys[0])
	}
}

func TestAPendingDeliveryFoundAfterACrashIsNeverSentBlindly(t *testing.T) {
	pending := func(f fixture) {
		f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
		f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, id string) (notification.Delivery, error) {
			return notification.Delivery{ID: id, Channel: notification.Email, Status: notification.Pending}, nil
		})
	}
	t.Run("a provider that honours keys gets it again under the same key", func(t *testing.T) {
		f := setupWith(t, keyed)
		pending(f)
		var sent deliveries.Email
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m deliveries.Email) (string, error) {
			sent = m
			return "e-1", nil
		})
		var recs []recorded
		f.expectRecord(&recs, nil)
		if err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: envelope("+34600111222")})); err != nil {
			t.Fatal(err)
		}
		if sent.ID != recs[0].delivery.ID || recs[0].delivery.Status != notification.Sent {
			t.Fatalf("resent %q, recorded %+v", sent.ID, recs[0])
		}
	})
	t.Run("any other provider is not called: the delivery is marked unknown", func(t *testing.T) {
		f := setup(t) // no SendEmail expected: a call fails the test
		pending(f)
		var recs []recorded
		f.expectRecord(&recs, nil)
		if err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: envelope("+34600111222")})); err != nil {
			t.Fatal(err)
		}
		if d := recs[0].delivery; d.Status != notification.Unknown || d.Error == "" || recs[0].handled != "evt-1" || recs[0].events != nil {
			t.Fatalf("recorded %+v", recs[0])
		}
	})
}

func TestAMessageCausedByAnOlderSnapshotIsSkippedNotSent(t *testing.T) {
	f := setup(t) // no sender call expected
	*f.newest = 3 // the deactivation (version 3) was handled first
	var recs []recorded
	f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
	f.expectRecord(&recs, nil).Times(2)
	activation := consumed(event.Activated{Envelope: envelope("+34600111222")}) // version 2
	if err := f.svc.Handle(context.Background(), activation); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.delivery.Status != notification.Skipped || !strings.Contains(r.delivery.Error, "stale") || r.events != nil || r.handled != "evt-1" {
			t.Fatalf("recorded %+v", r)
		}
	}
}

func TestAWelcomeOrABonusIsNeverStale(t *testing.T) {
	f := setup(t)
	*f.newest = 9
	var recs []recorded
	f.expectNew("evt-1")
	f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("e-1", nil)
	f.expectRecord(&recs, nil)
	if err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: envelope("+34600111222")})); err != nil {
		t.Fatal(err)
	}
	if recs[0].delivery.Status != notification.Sent || len(*f.saw) != 0 {
		t.Fatalf("recorded %+v, versions remembered %v", recs[0], *f.saw)
	}
}

func TestTheVersionIsReservedBeforeTheMessageGoesOut(t *testing.T) {
	f := setup(t)
	var recs []recorded
	f.expectNew("evt-1")
	f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, deliveries.Email) (string, error) {
		if fmt.Sprint(*f.saw) != "[2]" {
			t.Errorf("versions reserved before the send: %v", *f.saw)
		}
		return "e-1", nil
	})
	f.expectRecord(&recs, nil)
	if err := f.svc.Handle(context.Background(), consumed(event.Deactivated{Envelope: envelope("+34600111222"), Reason: "r"})); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*f.saw) != "[2]" {
		t.Fatalf("versions reserved: %v", *f.saw)
	}
}

func TestAnAnnouncementHandledWhileANewerOneIsBeingSentIsSkipped(t *testing.T) {
	f := setup(t)
	var recs []recorded
	var mu sync.Mutex
	f.inbox.EXPECT().Handled(gomock.Any(), gomock.Any()).Return(false, nil).Times(2)
	f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
	sending, release := make(chan struct{}), make(chan struct{})
	// Only the deactivation's email goes out, and it is in the provider's
	// hands while the activation before it is handled.
	f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, deliveries.Email) (string, error) {
		close(sending)
		<-release
		return "e-1", nil
	}).Times(1)
	f.deliveries.EXPECT().Record(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(_ context.Context, d notification.Delivery, events []event.Event) error {
			mu.Lock()
			defer mu.Unlock()
			recs = append(recs, recorded{delivery: d, events: events})
			return nil
		}).Times(3) // the deactivation's email; the activation's email and SMS, skipped
	deactivation := event.Deactivated{Envelope: envelope("+34600111222"), Reason: "r"}
	deactivation.Customer.Version = 3
	done := make(chan error, 1)
	go func() {
		e := consumed(deactivation)
		e.ID = "evt-3"
		done <- f.svc.Handle(context.Background(), e)
	}()
	<-sending
	activation := consumed(event.Activated{Envelope: envelope("+34600111222")}) // version 2
	if err := f.svc.Handle(context.Background(), activation); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, r := range recs {
		if r.delivery.Status == notification.Skipped && strings.Contains(r.delivery.Error, "stale") {
			skipped++
		}
	}
	if skipped != 2 {
		t.Fatalf("recorded %+v; want the activation's two messages skipped as stale", recs)
	}
}

func TestAnEventWhoseMessagesAllWentOutIsMarkedHandled(t *testing.T) {
	f := setup(t)
	f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
	f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{Status: notification.Sent}, nil)
	*f.claimErr = ports.ErrAlreadyHandled // a concurrent duplicate claimed it first: not an error
	if err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: envelope("+34600111222")})); err != nil {
		t.Fatal(err)
	}
}

func TestAHandledEventSendsNothing(t *testing.T) {
	f := setup(t) // no sender call expected
	f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(true, nil)
	if err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: envelope("+34600111222")})); err != nil {
		t.Fatal(err)
	}
}

func TestMessagesThatCannotEverBeSentAreRecordedAsFailed(t *testing.T) {
	t.Run("an SMS to a customer without a valid phone", func(t *testing.T) {
		f := setup(t)
		var recs []recorded
		f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
		f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound).Times(2)
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("e-1", nil)
		f.expectRecord(&recs, nil).Times(2)
		if err := f.svc.Handle(context.Background(), consumed(event.Activated{Envelope: envelope("12")})); err != nil {
			t.Fatal(err)
		}
		sms := recs[1]
		if sms.delivery.Status != notification.Failed || !strings.Contains(sms.delivery.Error, "E.164") ||
			sms.events != nil || sms.handled != "evt-1" {
			t.Fatalf("sms delivery = %+v", sms)
		}
	})
	t.Run("an email the provider refuses for good", func(t *testing.T) {
		f := setup(t)
		var recs []recorded
		f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
		f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("", fault.Invalidf("mailbox does not exist"))
		f.expectRecord(&recs, nil)
		if err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: envelope("+34600111222")})); err != nil {
			t.Fatal(err)
		}
		if recs[0].delivery.Status != notification.Failed || recs[0].events != nil {
			t.Fatalf("delivery = %+v", recs[0])
		}
	})
}

func TestHandlingErrors(t *testing.T) {
	boom := errors.New("disk")
	onboarded := consumed(event.Onboarded{Envelope: envelope("+34600111222")})
	t.Run("an event the service does not consume is poison", func(t *testing.T) {
		f := setup(t)
		if err := f.svc.Handle(context.Background(), consumed(event.Registered{})); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a failing inbox lookup is returned", func(t *testing.T) {
		f := setup(t)
		f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, boom)
		if err := f.svc.Handle(context.Background(), onboarded); !errors.Is(err, boom) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a failing delivery lookup is returned", func(t *testing.T) {
		f := setup(t)
		f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
		f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, boom)
		if err := f.svc.Handle(context.Background(), onboarded); !errors.Is(err, boom) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a concurrent duplicate that wins the race is not an error", func(t *testing.T) {
		f := setup(t)
		var recs []recorded
		f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
		f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("e-1", nil)
		*f.claimErr = ports.ErrAlreadyHandled
		if err := f.svc.Handle(context.Background(), onboarded); err != nil || len(recs) != 0 {
			t.Fatalf("error %v, recorded %+v", err, recs)
		}
	})
}

func TestTheOriginalEmailRequestsWork(t *testing.T) {
	tests := []struct {
		name    string
		req     notification.Request
		subject string
		body    string
	}{
		{"to, subject and template with data", notification.Request{Channel: notification.Email, To: "cliente@example.com",
			Subject: "Bienvenido", Template: "welcome", Data: map[string]string{"customerName": "Juan Pérez"}},
			"Bienvenido", "Hola Juan Pérez"},
		{"customerId and email with template", notification.Request{Channel: notification.Email, To: "john.doe@example.com",
			CustomerID: "customer_1234567890", Template: "welcome", Data: map[string]string{"customerName": "John Doe"}},
			"¡Bienvenido/a, John Doe!", "Hola John Doe"},
		{"an English template", notification.Request{Channel: notification.Email, To: "a@example.com", Language: "en",
			Template: "welcome", Data: map[string]string{"customerName": "John"}}, "Welcome, John!", "Hello John"},
		{"an ad-hoc email", notification.Request{Channel: notification.Email, To: "a@example.com",
			Subject: "Hola {{name}}", Body: "Cuerpo", Data: map[string]string{"name": "Ana"}}, "Hola Ana", "Cuerpo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			var recs []recorded
			f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("e-1", nil)
			f.expectRecord(&recs, nil)
			out, err := f.svc.Send(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			d := out.Delivery
			if d.Subject != tt.subject || !strings.Contains(d.Body, tt.body) || d.Status != notification.Sent || out.Replayed {
				t.Fatalf("delivery = %+v", d)
			}
			if recs[0].handled != "" || recs[0].events[0].Data.(event.NotificationSent).TriggeredBy != nil {
				t.Fatalf("an API send has no cause: %+v", recs[0])
			}
		})
	}
}

// The original's clients name templates of their own ("welcome-template",
// "verification-sms"): their messages go out ad hoc, labelled with the name.
func TestMessagesWithATemplateNotOursAreSentAdHocWithItsLabel(t *testing.T) {
	tests := []struct {
		name          string
		req           notification.Request
		subject, body string
	}{
		{"an email renders its subject and lists the data", notification.Request{Channel: notification.Email, To: "a@example.com",
			CustomerID: "c1", Subject: "Bienvenido {{customerName}}", Template: "welcome-template",
			Data: map[string]string{"customerName": "Juan", "plan": "{{not rendered}}"}},
			"Bienvenido Juan", "Bienvenido Juan\n\ncustomerName: Juan\nplan: {{not rendered}}"},
		{"an email with a body of its own sends that body", notification.Request{Channel: notification.Email, To: "a@example.com",
			Subject: "Hola", Body: "Código {{code}}", Template: "otp-email", Data: map[string]string{"code": "42"}},
			"Hola", "Código 42"},
		{"an SMS fills its message", notification.Request{Channel: notification.SMS, To: "+1234567890", CustomerID: "c1",
			Body: "Tu código de verificación es: {{code}}", Template: "verification-sms", Data: map[string]string{"code": "123456"}},
			"", "Tu código de verificación es: 123456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			var recs []recorded
			if tt.req.Channel == notification.SMS {
				f.sms.EXPECT().SendSMS(gomock.Any(), gomock.Any()).Return("s-1", nil)
			} else {
				f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("e-1", nil)
			}
			f.expectRecord(&recs, nil)
			out, err := f.svc.Send(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			d := out.Delivery
			if d.Subject != tt.subject || d.Body != tt.body || d.Template != tt.req.Template || d.Status != notification.Sent {
				t.Fatalf("delivery = %+v", d)
			}
			ns := recs[0].events[0].Data.(event.NotificationSent)
			if ns.Template != tt.req.Template || ns.Type != string(tt.req.Channel) || ns.Channel != ns.Type {
				t.Fatalf("notification.sent = %+v", ns)
			}
		})
	}
}

func TestTheOriginalSMSRequestsWork(t *testing.T) {
	f := setup(t)
	var recs []recorded
	var sent []deliveries.SMS
	f.sms.EXPECT().SendSMS(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m deliveries.SMS) (string, error) {
		sent = append(sent, m)
		return "s", nil
	}).Times(3)
	f.expectRecord(&recs, nil).Times(3)
	for _, r := range []notification.Request{
		{To: "+1234567890", Body: "Tu cuenta ha sido activada"},
		{To: "+1234567890", Body: "Tu código de verificación: {{code}}", Data: map[string]string{"code": "123456"}},
		{To: "+1234567890", Template: "account-activated", Language: "en", Data: map[string]string{"customerName": "Ana"}},
	} {
		r.Channel = notification.SMS
		if _, err := f.svc.Send(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if sent[0].Body != "Tu cuenta ha sido activada" || sent[1].Body != "Tu código de verificación: 123456" ||
		sent[2].Body != "Ana, your account has been activated." || recs[1].delivery.Subject != "" {
		t.Fatalf("sent = %+v", sent)
	}
}

func TestBadSendRequestsNameEveryProblemAndSendNothing(t *testing.T) {
	tests := []struct {
		name   string
		req    notification.Request
		fields string
	}{
		{"an email without recipient or text", notification.Request{Channel: notification.Email}, "to,body"},
		{"an email without subject", notification.Request{Channel: notification.Email, To: "a@example.com", Body: "b"}, "subject"},
		{"a malformed address", notification.Request{Channel: notification.Email, To: "nope", Template: "welcome"}, "to"},
		{"an unsupported language", notification.Request{Channel: notification.Email, To: "a@example.com", Template: "welcome",
			Language: "fr", Data: map[string]string{"customerName": "A"}}, "language"},
		{"a template not ours without subject", notification.Request{Channel: notification.Email, To: "a@example.com", Template: "newsletter"}, "subject"},
		{"an SMS template not ours without message", notification.Request{Channel: notification.SMS, To: "+1234567890", Template: "verification-sms"}, "message"},
		{"a label on two lines", notification.Request{Channel: notification.SMS, To: "+1234567890", Template: "a\nb", Body: "x"}, "template"},
		{"a label placeholder without data", notification.Request{Channel: notification.SMS, To: "+1234567890", Template: "verification-sms",
			Body: "Tu código es {{code}}"}, "data.code"},
		{"template data missing", notification.Request{Channel: notification.Email, To: "a@example.com", Template: "promotion",
			Data: map[string]string{"customerName": "A"}}, "data.newTier,data.previousTier"},
		{"an SMS without message", notification.Request{Channel: notification.SMS, To: "+1234567890"}, "message"},
		{"an SMS to an email address", notification.Request{Channel: notification.SMS, To: "a@example.com", Body: "x"}, "to"},
		{"an SMS that is too long", notification.Request{Channel: notification.SMS, To: "+1234567890", Body: strings.Repeat("x", 1000)}, "message"},
		{"an absurd customer id", notification.Request{Channel: notification.SMS, To: "+1234567890", Body: "x", CustomerID: strings.Repeat("c", 129)}, "customerId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t) // no sender or storage call expected
			_, err := f.svc.Send(context.Background(), tt.req)
			e, ok := fault.As(err)
			if !ok || e.Kind != fault.Invalid {
				t.Fatalf("error = %v", err)
			}
			var fields []string
			for _, fe := range e.Fields {
				fields = append(fields, fe.Field)
			}
			if got := strings.Join(fields, ","); got != tt.fields {
				// Missing data keys come in template order; compare as sets.
				if !sameSet(got, tt.fields) {
					t.Fatalf("fields = %s, want %s", got, tt.fields)
				}
			}
		})
	}
}

func sameSet(a, b string) bool {
	as, bs := strings.Split(a, ","), strings.Split(b, ",")
	if len(as) != len(bs) {
		return false
	}
	seen := map[string]bool{}
	for _, x := range as {
		seen[x] = true
	}
	for _, x := range bs {
		if !seen[x] {
			return false
		}
	}
	return true
}

func TestARetriedRequestWithTheSameIdempotencyKeySendsOnce(t *testing.T) {
	f := setup(t)
	req := notification.Request{Channel: notification.SMS, To: "+1234567890", Body: "hola", IdempotencyKey: "k-1"}
	var recs []recorded
	f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
	f.sms.EXPECT().SendSMS(gomock.Any(), gomock.Any()).Return("s-1", nil)
	f.expectRecord(&recs, nil)
	first, err := f.svc.Send(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	f.deliveries.EXPECT().Get(gomock.Any(), first.Delivery.ID).Return(first.Delivery, nil)
	again, err := f.svc.Send(context.Background(), req)
	if err != nil || !again.Replayed || again.Delivery.ID != first.Delivery.ID {
		t.Fatalf("replay = %+v, %v", again, err)
	}
}

func TestARetriedRequestAfterAFailureSendsAgain(t *testing.T) {
	f := setup(t)
	req := notification.Request{Channel: notification.SMS, To: "+1234567890", Body: "hola", IdempotencyKey: "k-1"}
	var recs []recorded
	f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
	f.sms.EXPECT().SendSMS(gomock.Any(), gomock.Any()).Return("", fault.Invalidf("unreachable"))
	f.expectRecord(&recs, nil).Times(2)
	if _, err := f.svc.Send(context.Background(), req); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("a refused message: %v", err)
	}
	f.deliveries.EXPECT().Get(gomock.Any(), recs[0].delivery.ID).Return(recs[0].delivery, nil)
	f.sms.EXPECT().SendSMS(gomock.Any(), gomock.Any()).Return("s-2", nil)
	out, err := f.svc.Send(context.Background(), req)
	if err != nil || out.Replayed || out.Delivery.ProviderID != "s-2" {
		t.Fatalf("got %+v, %v", out, err)
	}
}

func TestAnIdempotencyKeyIsBoundToItsMessageAndItsCaller(t *testing.T) {
	f := setup(t)
	req := notification.Request{Channel: notification.SMS, To: "+1234567890", Body: "your code is 1234", IdempotencyKey: "k-1", Caller: "alice"}
	var recs []recorded
	f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
	f.sms.EXPECT().SendSMS(gomock.Any(), gomock.Any()).Return("s-1", nil)
	f.expectRecord(&recs, nil)
	first, err := f.svc.Send(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}

	other := req
	other.To = "+1987654321"
	f.deliveries.EXPECT().Get(gomock.Any(), first.Delivery.ID).Return(first.Delivery, nil)
	out, err := f.svc.Send(context.Background(), other)
	if !errors.Is(err, notification.ErrIdempotencyKeyReused) || fault.KindOf(err) != fault.Invalid {
		t.Fatalf("the same key for another recipient: %v", err)
	}
	if out.Delivery.Recipient != "" || out.Delivery.Body != "" || strings.Contains(err.Error(), "1234") {
		t.Fatalf("the refusal shows the first request: %+v %v", out, err)
	}

	// Another caller's key of the same name is another key.
	bob := req
	bob.Caller = "bob"
	f.deliveries.EXPECT().Get(gomock.Any(), gomock.Not(first.Delivery.ID)).Return(notification.Delivery{}, notFound)
	f.sms.EXPECT().SendSMS(gomock.Any(), gomock.Any()).Return("s-2", nil)
	f.expectRecord(&recs, nil)
	theirs, err := f.svc.Send(context.Background(), bob)
	if err != nil || theirs.Replayed || theirs.Delivery.ID == first.Delivery.ID {
		t.Fatalf("another caller replayed the first answer: %+v %v", theirs, err)
	}
}

func TestSendFailures(t *testing.T) {
	req := notification.Request{Channel: notification.Email, To: "a@example.com", Subject: "s", Body: "b"}
	t.Run("a provider that is down makes the request unavailable and records the message as not sent", func(t *testing.T) {
		f := setup(t)
		var recs []recorded
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("", fault.Unavailablef("connection refused"))
		f.expectRecord(&recs, nil)
		if _, err := f.svc.Send(context.Background(), req); fault.KindOf(err) != fault.Unavailable {
			t.Fatalf("error = %v", err)
		}
		if len(*f.intents) != 1 || len(recs) != 1 || recs[0].delivery.Status != notification.Failed {
			t.Fatalf("intents %+v, recorded %+v", *f.intents, recs)
		}
	})
	t.Run("a provider not tried for now says so, and when to try again", func(t *testing.T) {
		f := setup(t)
		var recs []recorded
		open := &fault.Error{Kind: fault.Unavailable, Code: "provider.circuit_open", Message: "not tried for now", RetryAfter: 3 * time.Second}
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("", open)
		f.expectRecord(&recs, nil)
		_, err := f.svc.Send(context.Background(), req)
		if e, ok := fault.As(err); !ok || e.Kind != fault.Unavailable || e.Code != open.Code || fault.RetryAfter(err) != open.RetryAfter {
			t.Fatalf("error = %v (%+v), want unavailable with the provider's code and retry after", err, e)
		}
	})
	t.Run("a refused message is recorded as failed and reported as invalid", func(t *testing.T) {
		f := setup(t)
		var recs []recorded
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("", fault.Invalidf("mailbox full"))
		f.expectRecord(&recs, nil)
		out, err := f.svc.Send(context.Background(), req)
		if fault.KindOf(err) != fault.Invalid || out.Delivery.Status != notification.Failed || recs[0].events != nil {
			t.Fatalf("got %+v, %v", out, err)
		}
	})
	t.Run("a storage failure is returned", func(t *testing.T) {
		f := setup(t)
		var recs []recorded
		boom := errors.New("disk")
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("e", nil)
		f.expectRecord(&recs, boom)
		if _, err := f.svc.Send(context.Background(), req); !errors.Is(err, boom) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("a failing idempotency lookup is returned", func(t *testing.T) {
		f := setup(t)
		boom := errors.New("disk")
		f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, boom)
		keyed := req
		keyed.IdempotencyKey = "k"
		if _, err := f.svc.Send(context.Background(), keyed); !errors.Is(err, boom) {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestListingDeliveries(t *testing.T) {
	f := setup(t)
	f.deliveries.EXPECT().List(gomock.Any(), notification.Query{CustomerID: "c1", Channel: notification.SMS}, page.Window{Limit: 20}).
		Return(notification.Page{Deliveries: []notification.Delivery{{ID: "d1"}}}, nil)
	p, err := f.svc.List(context.Background(), "c1", "sms", page.Request{})
	if err != nil || len(p.Deliveries) != 1 {
		t.Fatalf("List = %+v, %v", p, err)
	}
	_, err = f.svc.List(context.Background(), "", "fax", page.Request{Limit: -1})
	if e, _ := fault.As(err); e == nil || len(e.Fields) != 2 {
		t.Fatalf("error = %v", err)
	}
	f.deliveries.EXPECT().Get(gomock.Any(), "d9").Return(notification.Delivery{}, notFound)
	if _, err := f.svc.Get(context.Background(), "d9"); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("Get error = %v", err)
	}
	if len(f.svc.Templates().Names()) != 5 {
		t.Fatal("Templates() should return the registry")
	}
}

// lost is a sender's error when the provider's answer to the handover was
// lost: it may have the message.
var lost = fault.Wrap(fault.Unavailable, fmt.Errorf("%w: connection reset", deliveries.ErrOutcomeUnknown), "the SMTP server is unavailable")

func TestAMessageThatMayHaveGoneOutIsNeverSentBlindlyOnRequest(t *testing.T) {
	req := notification.Request{Channel: notification.Email, To: "a@example.com", Subject: "s", Body: "b", IdempotencyKey: "k"}
	t.Run("the intent is recorded before the provider has the message", func(t *testing.T) {
		f := setup(t)
		var recs []recorded
		f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m deliveries.Email) (string, error) {
			if len(*f.intents) != 1 || (*f.intents)[0].ID != m.ID {
				t.Errorf("intents when the provider was called: %+v", *f.intents)
			}
			return "e-1", nil
		})
		f.expectRecord(&recs, nil)
		if out, err := f.svc.Send(context.Background(), req); err != nil || out.Delivery.Status != notification.Sent {
			t.Fatalf("Send = %+v, %v", out, err)
		}
	})
	t.Run("through a provider that ignores keys, a lost answer makes the delivery unknown, and a retry sends nothing", func(t *testing.T) {
		f := setup(t)
		var recs []recorded
		f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("", lost)
		f.expectRecord(&recs, nil)
		out, err := f.svc.Send(context.Background(), req)
		if !errors.Is(err, notification.ErrOutcomeUnknown) || out.Delivery.Status != notification.Unknown || recs[0].delivery.Status != notification.Unknown {
			t.Fatalf("Send = %+v, %v; recorded %+v", out, err, recs)
		}
		retry := setup(t) // no sender call expected
		retry.deliveries.EXPECT().Get(gomock.Any(), recs[0].delivery.ID).Return(recs[0].delivery, nil)
		if _, err := retry.svc.Send(context.Background(), req); !errors.Is(err, notification.ErrOutcomeUnknown) {
			t.Fatalf("the retry: %v, want the outcome still unknown", err)
		}
	})
	t.Run("an intent left pending by a crash is not sent again through a provider that ignores keys", func(t *testing.T) {
		f := setup(t) // no sender call expected
		var recs []recorded
		first := setup(t)
		first.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
		first.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("e-1", nil)
		first.expectRecord(&recs, nil)
		if _, err := first.svc.Send(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		pending := (*first.intents)[0] // as the crash left it
		pending.Status = notification.Pending
		f.deliveries.EXPECT().Get(gomock.Any(), pending.ID).Return(pending, nil)
		var marked []recorded
		f.expectRecord(&marked, nil)
		if _, err := f.svc.Send(context.Background(), req); !errors.Is(err, notification.ErrOutcomeUnknown) || marked[0].delivery.Status != notification.Unknown {
			t.Fatalf("the retry: %v, recorded %+v", err, marked)
		}
	})
	t.Run("through a provider that honours keys, a lost answer is retried under the same key", func(t *testing.T) {
		f := setupWith(t, keyed)
		var recs []recorded
		f.deliveries.EXPECT().Get(gomock.Any(), gomock.Any()).Return(notification.Delivery{}, notFound)
		f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("", lost)
		if _, err := f.svc.Send(context.Background(), req); fault.KindOf(err) != fault.Unavailable {
			t.Fatalf("Send: %v, want unavailable: try again", err)
		}
		retry := setupWith(t, keyed)
		pending := (*f.intents)[0]
		pending.Status = notification.Pending
		retry.deliveries.EXPECT().Get(gomock.Any(), pending.ID).Return(pending, nil)
		retry.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m deliveries.Email) (string, error) {
			if m.ID != pending.ID {
				t.Errorf("handed over again as %s, want the same key %s", m.ID, pending.ID)
			}
			return "e-1", nil
		})
		retry.expectRecord(&recs, nil)
		if out, err := retry.svc.Send(context.Background(), req); err != nil || out.Delivery.Status != notification.Sent {
			t.Fatalf("the retry: %+v, %v", out, err)
		}
	})
}

func TestAnEventsMessageTheProviderDidNotTakeIsSentByTheRetry(t *testing.T) {
	f := setup(t) // a provider that ignores keys
	var recs []recorded
	f.expectNew("evt-1")
	f.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("", fault.Unavailablef("connection refused"))
	f.expectRecord(&recs, nil)
	onboarded := consumed(event.Onboarded{Envelope: envelope("+34600111222")})
	if err := f.svc.Handle(context.Background(), onboarded); fault.KindOf(err) != fault.Unavailable {
		t.Fatalf("error = %v", err)
	}
	retry := setup(t)
	retry.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
	retry.deliveries.EXPECT().Get(gomock.Any(), recs[0].delivery.ID).Return(recs[0].delivery, nil)
	retry.email.EXPECT().SendEmail(gomock.Any(), gomock.Any()).Return("e-1", nil)
	var again []recorded
	retry.expectRecord(&again, nil)
	if err := retry.svc.Handle(context.Background(), onboarded); err != nil {
		t.Fatal(err)
	}
	if again[0].delivery.Status != notification.Sent || again[0].handled != "evt-1" {
		t.Fatalf("the retry recorded %+v", again)
	}
}
