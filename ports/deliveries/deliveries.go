// Package deliveries declares what the notifications service needs to
// deliver messages: the delivery log, with its outbox, and the providers
// that send email and text messages.
package deliveries

//go:generate go tool mockgen -destination=../mocks/deliveries.go -package=mocks -mock_names=Store=MockDeliveryStore . Store,EmailSender,SMSSender

import (
	"context"
	"errors"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/page"
)

// Store keeps the delivery log with the notifications service's outbox.
type Store interface {
	// Get returns one delivery. Errors: fault.NotFound.
	Get(ctx context.Context, id string) (notification.Delivery, error)

	// Record stores a delivery (replacing a failed one with the same id)
	// with its events, in one transaction (the unit of work of ctx, if
	// any).
	Record(ctx context.Context, d notification.Delivery, events []event.Event) error

	// Intend records d as pending, in a transaction of its own, before it
	// is handed to the provider: after a crash, the pending delivery tells
	// that the provider may have it.
	Intend(ctx context.Context, d notification.Delivery) error

	// List returns deliveries matching q, newest first.
	List(ctx context.Context, q notification.Query, w page.Window) (notification.Page, error)

	// Reserve claims the announcement of fact (status, tier) to
	// customerID from a snapshot of version, and returns the newest
	// version claimed so far: version when no newer snapshot's
	// announcement came first (the message may go out), a higher one when
	// one did (the message is stale). The check and the claim are one
	// atomic step, committed at once (with the unit of work of ctx, if
	// any): two announcements handled at the same time cannot both pass
	// for the newest.
	Reserve(ctx context.Context, customerID string, fact notification.Fact, version int64) (int64, error)

	// Erase forgets a customer erased at their request, in the unit of
	// work of ctx: the recipients, subjects and bodies of their deliveries
	// (a pending one becomes skipped), the outbox's events and the
	// idempotency answers about them; and it keeps a tombstone, so that
	// Erased reports them from then on. It returns the recipients the
	// deliveries had, for the providers' copies.
	Erase(ctx context.Context, customerID string) ([]string, error)

	// Erased reports whether the customer was erased.
	Erased(ctx context.Context, customerID string) (bool, error)

	// SavePreferences keeps a customer's preferences, unless a newer
	// version's are kept already; committed at once (with the unit of work
	// of ctx, if any).
	SavePreferences(ctx context.Context, customerID string, p notification.Preferences) error

	// Preferences returns a customer's preferences, and false when none
	// were ever kept (the original's customers: every message goes).
	Preferences(ctx context.Context, customerID string) (notification.Preferences, bool, error)
}

// Forgetting is implemented by senders that keep copies of what they sent
// (the development provider's mailbox): an erasure deletes those to its
// recipients.
type Forgetting interface {
	Forget(ctx context.Context, recipients []string) error
}

// Email is an email to send. ID is the idempotency key: sending the same ID
// twice delivers one message.
type Email struct {
	ID      string
	To      string
	Subject string
	Body    string
}

// SMS is a text message to send. ID is the idempotency key.
type SMS struct {
	ID   string
	To   string
	Body string
}

// EmailSender delivers email.
type EmailSender interface {
	// SendEmail delivers m and returns the provider's message id. Errors:
	// fault.Invalid when the provider refuses the message for good (a bad
	// address); fault.Unavailable when the provider did not take it (down
	// for now); one that also wraps ErrOutcomeUnknown when the provider
	// may have taken it (the answer to the handover was lost).
	SendEmail(ctx context.Context, m Email) (string, error)
}

// ErrOutcomeUnknown is wrapped by a sender's error when the message was
// handed over but the provider's answer never came: it may have gone out.
// Only a provider that honours idempotency keys may be handed it again.
var ErrOutcomeUnknown = errors.New("the provider may have taken the message: its answer was lost")

// SMSSender delivers text messages.
type SMSSender interface {
	// SendSMS delivers m and returns the provider's message id. Errors as
	// for EmailSender.SendEmail.
	SendSMS(ctx context.Context, m SMS) (string, error)
}

// IdempotentSender is implemented by senders whose provider honours
// idempotency keys: a message handed over twice with one ID is delivered
// once. Only through such a sender is a message that may or may not have
// gone out (a crash between the send and its record) sent again.
type IdempotentSender interface {
	HonoursIdempotencyKeys() bool
}
