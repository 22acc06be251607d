package circuit_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/circuit"
	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/devprovider"
	"github.com/fintechlabs/customers/adapters/smtp"
	"github.com/fintechlabs/customers/core/backoff"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/ports/deliveries"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// provider is the development provider on a mailbox file, failing a send
// transiently when fails says so, and counting the sends it was handed.
type provider struct {
	*devprovider.Provider
	box   *devprovider.FileMailbox
	tried atomic.Int64
}

func newProvider(t *testing.T, fails func(try int64) bool) *provider {
	t.Helper()
	box, err := devprovider.OpenMailbox(context.Background(), filepath.Join(t.TempDir(), "mailbox.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = box.Close() })
	p := &provider{box: box}
	p.Provider = devprovider.NewProvider(box, clock.UTC{}, quiet, devprovider.Options{FailureRate: 0.5,
		Random: func() float64 {
			if fails(p.tried.Add(1)) {
				return 0 // below the rate: this send fails
			}
			return 1
		}})
	return p
}

// fast are options that let a test open and close a circuit quickly.
func fast() circuit.Options {
	o := circuit.Defaults()
	o.Backoff = backoff.Policy{Min: time.Millisecond, Max: 2 * time.Millisecond}
	o.MinSends, o.OpenFor = 10, 100*time.Millisecond
	return o
}

func email(i int) deliveries.Email {
	return deliveries.Email{ID: "msg-" + strconv.Itoa(i), To: "ana." + strconv.Itoa(i) + "@example.com", Subject: "Hola", Body: "Hola"}
}

func TestATransientFailureIsTriedAgainAtOnceAndTheMessageGoesOutOnce(t *testing.T) {
	tests := []struct {
		name   string
		fails  int64 // the first sends that fail
		wantOK bool
		tries  int64
	}{
		{name: "one failure, then sent", fails: 1, wantOK: true, tries: 2},
		{name: "three failures, then sent on the last retry", fails: 3, wantOK: true, tries: 4},
		{name: "four failures: the caller's to retry later", fails: 4, wantOK: false, tries: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var at []time.Time // of each try
			p := newProvider(t, func(try int64) bool {
				at = append(at, time.Now())
				return try <= tt.fails
			})
			opts := circuit.Defaults()
			send := circuit.NewEmail(p, circuit.New("email", opts, quiet))
			_, err := send.SendEmail(context.Background(), email(1))
			if (err == nil) != tt.wantOK || p.tried.Load() != tt.tries {
				t.Fatalf("SendEmail = %v after %d tries; want ok %v after %d", err, p.tried.Load(), tt.wantOK, tt.tries)
			}
			// The retries are spaced as the options say: Min, doubling,
			// jittered down to half, capped at Max; a second is far more
			// than all of them.
			for i := 1; i < len(at); i++ {
				gap, least := at[i].Sub(at[i-1]), min(opts.Backoff.Min<<(i-1), opts.Backoff.Max)/2
				if gap < least {
					t.Errorf("retry %d came %v after the try before, want at least %v", i, gap, least)
				}
			}
			if took := at[len(at)-1].Sub(at[0]); took > time.Second {
				t.Errorf("the retries took %v, want far less than a second", took)
			}
			if err != nil && fault.KindOf(err) != fault.Unavailable {
				t.Fatalf("the failure is %v, want unavailable", fault.KindOf(err))
			}
			mails, err := p.box.List(context.Background(), "", 10)
			if want := map[bool]int{true: 1, false: 0}[tt.wantOK]; err != nil || len(mails) != want {
				t.Fatalf("the mailbox holds %d messages (%v), want %d", len(mails), err, want)
			}
		})
	}
}

func TestARefusalIsNeitherRetriedNorCountedAgainstTheProvider(t *testing.T) {
	p := newProvider(t, func(int64) bool { return false })
	b := circuit.New("email", fast(), quiet)
	send := circuit.NewEmail(p, b)
	for i := range 50 {
		m := email(i)
		m.To = "nobody@" + devprovider.BounceDomain
		if _, err := send.SendEmail(context.Background(), m); fault.KindOf(err) != fault.Invalid {
			t.Fatalf("a bounce = %v, want invalid", err)
		}
	}
	if err := b.Err(); err != nil || p.tried.Load() != 0 {
		t.Fatalf("refusals opened the circuit (%v), or were tried again (%d tries)", err, p.tried.Load())
	}
}

func TestHalfOfAllSendsFailingDoesNotOpenTheCircuit(t *testing.T) {
	p := newProvider(t, func(try int64) bool { return try%2 == 1 })
	b := circuit.New("email", fast(), quiet)
	send := circuit.NewEmail(p, b)
	for i := range 200 {
		if _, err := send.SendEmail(context.Background(), email(i)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := b.Err(); err != nil {
		t.Fatalf("the circuit opened: %v", err)
	}
	if mails, _ := p.box.List(context.Background(), "", 500); len(mails) != 200 {
		t.Fatalf("%d messages went out, want 200", len(mails))
	}
}

func TestAProviderDownForEveryoneIsNotTriedUntilItsCircuitLetsOneSendThrough(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	p := newProvider(t, func(int64) bool { return down.Load() })
	b := circuit.New("email", fast(), quiet)
	send := circuit.NewEmail(p, b)
	for i := 0; b.Err() == nil; i++ {
		if i == 100 {
			t.Fatal("the circuit did not open after 100 sends to a provider that is down")
		}
		_, _ = send.SendEmail(context.Background(), email(i))
	}
	tried := p.tried.Load()
	_, err := send.SendEmail(context.Background(), email(1000))
	var e *fault.Error
	if !errors.As(err, &e) || !errors.Is(err, circuit.ErrOpen) || e.RetryAfter <= 0 || e.RetryAfter > fast().OpenFor {
		t.Fatalf("a send while open = %v (%+v), want %v with a retry after of at most %v", err, e, circuit.ErrOpen, fast().OpenFor)
	}
	if got := fault.RetryAfter(fault.Wrap(fault.Unavailable, err, "the email provider is unavailable")); got != e.RetryAfter {
		t.Fatalf("fault.RetryAfter through a wrapper = %v, want %v", got, e.RetryAfter)
	}
	if p.tried.Load() != tried {
		t.Fatal("the provider was tried while its circuit was open")
	}
	down.Store(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err = send.SendEmail(context.Background(), email(2000)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the provider is back but sends still fail: %v", err)
		}
		backoff.Sleep(context.Background(), 10*time.Millisecond) // polling interval
	}
	if err := b.Err(); err != nil {
		t.Fatalf("a send went out but the circuit says %v", err)
	}
	if mails, _ := p.box.List(context.Background(), "", 10); len(mails) != 1 {
		t.Fatalf("%d messages went out, want the one after the outage", len(mails))
	}
}

func TestAProviderTooSlowForItsCallersOpensItsCircuitAndAShutdownDoesNot(t *testing.T) {
	tests := []struct {
		name  string
		ctx   func() (context.Context, context.CancelFunc)
		opens bool
	}{
		{name: "each send outlasts its deadline", opens: true,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), time.Millisecond)
			}},
		{name: "each send's caller stops", opens: false, ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			box, err := devprovider.OpenMailbox(context.Background(), filepath.Join(t.TempDir(), "mailbox.db"), quiet)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = box.Close() })
			slow := devprovider.NewProvider(box, clock.UTC{}, quiet, devprovider.Options{Latency: time.Second})
			b := circuit.New("email", fast(), quiet)
			send := circuit.NewEmail(slow, b)
			for i := range int(fast().MinSends) * 2 {
				ctx, cancel := tt.ctx()
				if _, err := send.SendEmail(ctx, email(i)); err == nil {
					t.Fatal("a send went out before its deadline")
				}
				cancel()
			}
			if opened := b.Err() != nil; opened != tt.opens {
				t.Fatalf("circuit open = %v, want %v", opened, tt.opens)
			}
		})
	}
}

func TestTheBreakerKeepsWhatTheProviderSaysOfItself(t *testing.T) {
	p := newProvider(t, func(int64) bool { return false })
	b := circuit.New("sms", fast(), quiet)
	send := circuit.NewSMS(p, b)
	if !send.HonoursIdempotencyKeys() {
		t.Fatal("the development provider honours idempotency keys, its guarded self does not")
	}
	if _, err := send.SendSMS(context.Background(), deliveries.SMS{ID: "s1", To: "+34600111222", Body: "code 1234"}); err != nil {
		t.Fatal(err)
	}
	if err := send.Forget(context.Background(), []string{"+34600111222"}); err != nil {
		t.Fatal(err)
	}
	if mails, _ := p.box.List(context.Background(), "", 10); len(mails) != 0 {
		t.Fatalf("Forget left %d messages in the mailbox", len(mails))
	}
	server, err := smtp.New(smtp.Options{Addr: "127.0.0.1:2525", From: "bank@example.com", Security: smtp.None})
	if err != nil {
		t.Fatal(err)
	}
	if keyed := circuit.NewEmail(server, b); keyed.HonoursIdempotencyKeys() || keyed.Forget(context.Background(), []string{"x"}) != nil {
		t.Fatal("an SMTP server, which knows no keys and keeps no copies, is taken to honour keys, or cannot forget")
	}
}
