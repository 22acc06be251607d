// Package circuit stands in front of a message provider: it retries a send
// that failed transiently a few times at once, and when most sends fail
// (the provider down for everyone) it stops trying the provider for a
// while, a circuit breaker (sony/gobreaker), so that every waiting message
// does not retry into it. While the circuit is open, a send fails at once
// with fault.Unavailable and the time left as its RetryAfter: the consumer
// waits that long, and the API answers 503 with Retry-After.
package circuit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/fintechlabs/customers/core/backoff"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/ports/deliveries"
)

// Options tune a Breaker.
type Options struct {
	// Retries is how often a send that failed transiently is tried again
	// at once, Backoff apart, before the failure is the caller's.
	Retries int
	Backoff backoff.Policy
	// The circuit opens when, over the last Window, at least MinSends
	// tries were made and at least FailureShare of them failed.
	Window       time.Duration
	MinSends     uint32
	FailureShare float64
	// OpenFor is how long an open circuit lets nothing through; then one
	// send tries the provider, and closes the circuit if it goes out.
	OpenFor time.Duration
}

// Defaults are the options of the services' providers. With half of all
// sends failing at random, four tries fail together one time in sixteen,
// and a circuit opens by chance about once in 10^9 windows. The retries
// are 5 to 20 ms apart: a message waiting for its next try holds its
// customer's later records, and the unluckiest messages' waits are what
// a burst of onboardings waits for last. 20 to 100 ms apart, the flaky
// benchmark completed 616/s, at worst 54% of the healthy rate; 5 to 20 ms
// apart, 683/s, at worst 68% (medians of six, in turns).
func Defaults() Options {
	return Options{Retries: 3, Backoff: backoff.Policy{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond},
		Window: 30 * time.Second, MinSends: 50, FailureShare: 0.9, OpenFor: 5 * time.Second}
}

// Breaker guards one provider.
type Breaker struct {
	name string
	opts Options
	cb   *gobreaker.CircuitBreaker[string]
	log  *slog.Logger

	mu       sync.Mutex
	openedAt time.Time // of the open state, zero when not open
	last     error     // the last failure that counted
}

// New returns a breaker for the provider called name ("email", "sms").
func New(name string, opts Options, log *slog.Logger) *Breaker {
	b := &Breaker{name: name, opts: opts, log: log}
	b.cb = gobreaker.NewCircuitBreaker[string](gobreaker.Settings{
		Name: name, MaxRequests: 1, Interval: opts.Window, BucketPeriod: opts.Window / 6, Timeout: opts.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			tries := c.Requests - c.TotalExclusions
			return tries >= opts.MinSends && float64(c.TotalFailures) >= opts.FailureShare*float64(tries)
		},
		IsSuccessful: func(err error) bool {
			if up(err) {
				return true
			}
			b.mu.Lock()
			b.last = err
			b.mu.Unlock()
			return false
		},
		// A send its caller gave up on (a shutdown) says nothing of the
		// provider; one that outlasted its deadline does: it is too slow.
		IsExcluded:    func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: b.changed,
	})
	return b
}

// up reports whether a send's outcome shows the provider working: it took
// the message, or refused it for good (a bad address).
func up(err error) bool {
	return err == nil || fault.KindOf(err).Permanent() && !errors.Is(err, deliveries.ErrOutcomeUnknown)
}

func (b *Breaker) changed(_ string, _, to gobreaker.State) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch to {
	case gobreaker.StateOpen:
		b.openedAt = time.Now()
		b.log.Warn("provider circuit open: most sends fail, the provider is not tried for a while", "provider", b.name,
			"for", b.opts.OpenFor, "error", b.last)
	case gobreaker.StateClosed:
		b.openedAt = time.Time{}
		b.log.Info("provider circuit closed: sends go through again", "provider", b.name)
	default: // half-open: the next send tries the provider
		b.openedAt = time.Time{}
	}
}

// Name names the provider: "email", "sms".
func (b *Breaker) Name() string { return b.name }

// Err says why the provider is not tried now: nil unless the circuit is
// open.
func (b *Breaker) Err() error {
	if b.cb.State() != gobreaker.StateOpen {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return fmt.Errorf("circuit open since %s: most sends failed (last: %v)", b.openedAt.UTC().Format(time.RFC3339), b.last)
}

// ErrOpen is the code of the error a send gets while the circuit is open.
var ErrOpen = fault.New(fault.Unavailable, "provider.circuit_open", "the provider is not tried for now: most sends failed")

// send runs try through the breaker, trying a transient failure again at
// once up to Retries times.
func (b *Breaker) send(ctx context.Context, try func(ctx context.Context) (string, error)) (string, error) {
	for retry := 0; ; retry++ {
		id, err := b.cb.Execute(func() (string, error) { return try(ctx) })
		switch {
		case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
			return "", b.refusal()
		case err == nil || up(err) || errors.Is(err, deliveries.ErrOutcomeUnknown) || ctx.Err() != nil:
			// Sent, refused for good, or perhaps sent: trying again is
			// not this layer's to decide.
			return id, err
		}
		if retry == b.opts.Retries || !backoff.Sleep(ctx, b.opts.Backoff.Delay(retry)) {
			return "", err
		}
	}
}

// refusal is the error of a send the open circuit did not let through,
// with the time left until it lets one through.
func (b *Breaker) refusal() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := ErrOpen.With(b.name, b.last)
	if !b.openedAt.IsZero() {
		e.RetryAfter = max(time.Until(b.openedAt.Add(b.opts.OpenFor)), b.opts.Backoff.Min)
	}
	return e
}

// guarded is a provider behind a breaker; it keeps what the provider says
// of itself.
type guarded[P any] struct {
	next P
	b    *Breaker
}

// HonoursIdempotencyKeys implements deliveries.IdempotentSender as the
// provider does.
func (g guarded[P]) HonoursIdempotencyKeys() bool {
	keyed, ok := any(g.next).(deliveries.IdempotentSender)
	return ok && keyed.HonoursIdempotencyKeys()
}

// Forget implements deliveries.Forgetting: it forgets through the provider
// when it keeps copies, and has nothing to do otherwise.
func (g guarded[P]) Forget(ctx context.Context, recipients []string) error {
	if f, ok := any(g.next).(deliveries.Forgetting); ok {
		return f.Forget(ctx, recipients)
	}
	return nil
}

// Email is an email provider behind a breaker.
type Email struct {
	guarded[deliveries.EmailSender]
}

// NewEmail puts email behind b.
func NewEmail(email deliveries.EmailSender, b *Breaker) Email {
	return Email{guarded[deliveries.EmailSender]{email, b}}
}

// SendEmail implements deliveries.EmailSender.
func (e Email) SendEmail(ctx context.Context, m deliveries.Email) (string, error) {
	return e.b.send(ctx, func(ctx context.Context) (string, error) { return e.next.SendEmail(ctx, m) })
}

// SMS is a text-message provider behind a breaker.
type SMS struct{ guarded[deliveries.SMSSender] }

// NewSMS puts sms behind b.
func NewSMS(sms deliveries.SMSSender, b *Breaker) SMS {
	return SMS{guarded[deliveries.SMSSender]{sms, b}}
}

// SendSMS implements deliveries.SMSSender.
func (s SMS) SendSMS(ctx context.Context, m deliveries.SMS) (string, error) {
	return s.b.send(ctx, func(ctx context.Context) (string, error) { return s.next.SendSMS(ctx, m) })
}
