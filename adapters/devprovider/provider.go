// Package devprovider is the development email and SMS provider: it
// "delivers" a message by storing it in a mailbox of its own (a SQLite file
// beside the notifications database in the running system) and logging it
// with the recipient masked, and serves that mailbox over HTTP. It honours
// idempotency keys like a real provider, and can be slowed down or made to
// fail to exercise retries. Only the composition root knows it: swapping it
// for a real provider is a change of wiring.
package devprovider

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/fintechlabs/customers/core/backoff"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/pii"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/deliveries"
)

// Mail is a message the provider accepted.
type Mail struct {
	IdempotencyKey string
	ProviderID     string
	Channel        string
	Recipient      string
	Subject        string
	Body           string
	AcceptedAt     time.Time
	// Attempts counts how often the message was handed over; only the first
	// was delivered.
	Attempts int
}

// Mailbox stores accepted messages.
type Mailbox interface {
	// Accept stores m unless a message with its idempotency key is there,
	// in which case it counts one more attempt; it returns the stored
	// message and whether m was new.
	Accept(ctx context.Context, m Mail) (Mail, bool, error)
	// List returns accepted messages, newest first, optionally to one
	// recipient, at most limit.
	List(ctx context.Context, recipient string, limit int) ([]Mail, error)
	// Forget deletes every message to these recipients, leaving no copy.
	Forget(ctx context.Context, recipients []string) error
}

// Addresses that the provider refuses for good, to exercise failed
// deliveries: any email at this domain, any phone with this prefix (999 is
// not an assigned country code).
const (
	BounceDomain = "bounce.example"
	BouncePrefix = "+999"
)

// Options tune the provider.
type Options struct {
	// Latency is how long each send takes.
	Latency time.Duration
	// FailureRate is the chance (0 to 1) that a send fails as if the
	// provider were down; the caller should retry.
	FailureRate float64
	// OutageFile, when set, names a file whose presence makes every send
	// fail as if the provider were down: touch it to start an outage,
	// remove it to end one.
	OutageFile string
	// BugFile, when set, names a file whose presence makes every send
	// panic: a bug in a release, whose messages end dead-lettered until
	// the bug is fixed (the file removed) and they are redriven.
	BugFile string
	// CrashAfter, when positive, stops the process right after the
	// provider accepted that many messages, before the caller can record
	// the delivery: a crash between a send and its record, for fault tests.
	CrashAfter int
	// Random may be replaced in tests.
	Random func() float64
	// Exit stops the process (os.Exit); replaced in tests.
	Exit func(code int)
}

// Provider implements deliveries.EmailSender and deliveries.SMSSender.
type Provider struct {
	box      Mailbox
	clock    ports.Clock
	opts     Options
	log      *slog.Logger
	accepted atomic.Int64
}

var (
	_ deliveries.EmailSender = (*Provider)(nil)
	_ deliveries.SMSSender   = (*Provider)(nil)
)

// NewProvider returns a provider storing messages in box.
func NewProvider(box Mailbox, clock ports.Clock, log *slog.Logger, opts Options) *Provider {
	if opts.Random == nil {
		opts.Random = rand.Float64
	}
	if opts.Exit == nil {
		opts.Exit = os.Exit
	}
	return &Provider{box: box, clock: clock, opts: opts, log: log}
}

// HonoursIdempotencyKeys implements deliveries.IdempotentSender: the mailbox
// keeps one message per key.
func (p *Provider) HonoursIdempotencyKeys() bool { return true }

// Forget implements deliveries.Forgetting: an erased customer's messages
// leave the mailbox.
func (p *Provider) Forget(ctx context.Context, recipients []string) error {
	return p.box.Forget(ctx, recipients)
}

// SendEmail implements deliveries.EmailSender.
func (p *Provider) SendEmail(ctx context.Context, m deliveries.Email) (string, error) {
	if strings.HasSuffix(strings.ToLower(m.To), "@"+BounceDomain) {
		return "", fault.Invalidf("the mailbox of %s does not exist", pii.Email(m.To).Masked())
	}
	return p.deliver(ctx, Mail{IdempotencyKey: m.ID, Channel: "email", Recipient: m.To, Subject: m.Subject, Body: m.Body})
}

// SendSMS implements deliveries.SMSSender.
func (p *Provider) SendSMS(ctx context.Context, m deliveries.SMS) (string, error) {
	if strings.HasPrefix(m.To, BouncePrefix) {
		return "", fault.Invalidf("%s is not a reachable number", pii.Phone(m.To).Masked())
	}
	return p.deliver(ctx, Mail{IdempotencyKey: m.ID, Channel: "sms", Recipient: m.To, Body: m.Body})
}

func (p *Provider) deliver(ctx context.Context, m Mail) (string, error) {
	if p.opts.Latency > 0 && !backoff.Sleep(ctx, p.opts.Latency) {
		return "", ctx.Err()
	}
	if exists(p.opts.BugFile) {
		panic(fmt.Sprintf("a simulated bug in the %s provider (%s exists)", m.Channel, p.opts.BugFile))
	}
	if exists(p.opts.OutageFile) {
		return "", fault.Unavailablef("the %s provider is down (%s exists)", m.Channel, p.opts.OutageFile)
	}
	if p.opts.FailureRate > 0 && p.opts.Random() < p.opts.FailureRate {
		p.log.WarnContext(ctx, "simulated provider failure", "channel", m.Channel, "to", pii.MaskRecipient(m.Recipient))
		return "", fault.Unavailablef("the %s provider is unavailable (simulated failure)", m.Channel)
	}
	m.ProviderID = "dev_" + uuid.NewSHA1(uuid.NameSpaceOID, []byte(m.IdempotencyKey)).String()
	m.AcceptedAt = p.clock.Now()
	stored, fresh, err := p.box.Accept(ctx, m)
	if err != nil {
		return "", err
	}
	if n := p.accepted.Add(1); p.opts.CrashAfter > 0 && n == int64(p.opts.CrashAfter) {
		p.log.ErrorContext(ctx, "crashing on purpose after a send", "accepted", n)
		p.opts.Exit(137)
	}
	if fresh {
		p.log.InfoContext(ctx, "message delivered", "channel", m.Channel, "to", pii.MaskRecipient(m.Recipient),
			"subject", m.Subject, "providerId", stored.ProviderID)
	} else {
		p.log.InfoContext(ctx, "duplicate suppressed by idempotency key", "channel", m.Channel, "to", pii.MaskRecipient(m.Recipient),
			"providerId", stored.ProviderID, "attempts", stored.Attempts)
	}
	return stored.ProviderID, nil
}

// exists reports whether the fault file name, if any, is there.
func exists(name string) bool {
	if name == "" {
		return false
	}
	_, err := os.Stat(name)
	return err == nil
}
