package ports

import (
	"context"

	"github.com/fintechlabs/customers/core/event"
)

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

	// Published records that every message up to sequence number through
	// was published, so Pending no longer returns them.
	Published(ctx context.Context, through int64) error

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
