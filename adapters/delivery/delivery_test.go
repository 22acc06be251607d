package delivery_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/delivery"
	"github.com/fintechlabs/customers/adapters/memory"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/ports"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestTheProviderDeliversEachIdempotencyKeyOnce(t *testing.T) {
	store := memory.New()
	p := delivery.NewProvider(store.Mailbox(), quiet, delivery.Options{})
	ctx := context.Background()
	first, err := p.SendEmail(ctx, ports.Email{ID: "d1", To: "ana@example.es", Subject: "s", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.SendEmail(ctx, ports.Email{ID: "d1", To: "ana@example.es", Subject: "s", Body: "b"})
	if err != nil || again != first {
		t.Fatalf("a resend got provider id %q, want %q (%v)", again, first, err)
	}
	sms, err := p.SendSMS(ctx, ports.SMS{ID: "d2", To: "+34600111222", Body: "hola"})
	if err != nil || sms == first {
		t.Fatalf("SendSMS = %q, %v", sms, err)
	}
	m, fresh, _ := store.Mailbox().Accept(ctx, delivery.Mail{IdempotencyKey: "d1"})
	if fresh || m.Attempts != 3 || m.Channel != "email" {
		t.Fatalf("mailbox entry = %+v", m)
	}
}

func TestBounceAddressesAreRefusedForGood(t *testing.T) {
	p := delivery.NewProvider(memory.New().Mailbox(), quiet, delivery.Options{})
	_, err := p.SendEmail(context.Background(), ports.Email{ID: "d", To: "x@" + delivery.BounceDomain})
	if fault.KindOf(err) != fault.Invalid {
		t.Fatalf("email: %v", err)
	}
	_, err = p.SendSMS(context.Background(), ports.SMS{ID: "d", To: delivery.BouncePrefix + "1234567"})
	if fault.KindOf(err) != fault.Invalid {
		t.Fatalf("sms: %v", err)
	}
}

func TestSimulatedFailuresAreTransient(t *testing.T) {
	p := delivery.NewProvider(memory.New().Mailbox(), quiet, delivery.Options{FailureRate: 0.5, Random: func() float64 { return 0.4 }})
	if _, err := p.SendSMS(context.Background(), ports.SMS{ID: "d", To: "+34600111222"}); fault.KindOf(err) != fault.Unavailable {
		t.Fatalf("error = %v", err)
	}
	lucky := delivery.NewProvider(memory.New().Mailbox(), quiet, delivery.Options{FailureRate: 0.5, Random: func() float64 { return 0.6 }})
	if _, err := lucky.SendSMS(context.Background(), ports.SMS{ID: "d", To: "+34600111222"}); err != nil {
		t.Fatal(err)
	}
}

func TestLatencyRespectsCancellation(t *testing.T) {
	p := delivery.NewProvider(memory.New().Mailbox(), quiet, delivery.Options{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.SendEmail(ctx, ports.Email{ID: "d", To: "a@example.com"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v", err)
	}
}
