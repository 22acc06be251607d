package ports

import (
	"context"
	"errors"

	"github.com/fintechlabs/customers/core/event"
)

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

// Pending is an outbox entry waiting to be published.
type Pending struct {
	Seq     int64 // commit order
	Message event.Message
}

// Outbox is the read side of a service's transactional outbox, used by the
// relay that publishes it.
type Outbox interface {
	// Pending returns up to limit unpublished messages in commit order.
	Pending(ctx context.Context, limit int) ([]Pending, error)

	// MarkPublished records that the messages with these sequence numbers
	// were published, so Pending no longer returns them.
	MarkPublished(ctx context.Context, seqs []int64) error

	// Committed returns a channel that receives a value after each commit
	// that added outbox messages, so the relay need not poll. Sends never
	// block: a wake-up that finds the channel full is dropped, since one
	// pending wake-up is enough.
	Committed() <-chan struct{}
}

// Publisher sends messages to the broker.
type Publisher interface {
	// Publish sends messages, keyed by subject, in order per key, and
	// returns once the broker acknowledged all of them. On error, the first
	// n messages (n is returned) are known to be published; the rest may or
	// may not be. Errors: fault.Invalid for a topic the service may not
	// publish to; fault.Unavailable while the broker cannot be reached.
	Publish(ctx context.Context, msgs []event.Message) (n int, err error)
}
