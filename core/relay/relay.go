// Package relay publishes a service's transactional outbox: it wakes after
// each commit (and on a timer, in case a wake-up is missed), sends pending
// messages in commit order and in batches, marks them published, and backs
// off while the broker is unreachable. Because it stops at the first message
// that fails, a customer's events never overtake each other.
package relay

import (
	"context"
	"log/slog"
	"time"

	"github.com/fintechlabs/customers/core/backoff"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/ports"
)

// Options tune a Relay. Zero fields take the defaults.
type Options struct {
	// Batch is the most messages sent in one publish (default 250).
	Batch int
	// MaxBytes bounds the payload bytes of one publish (default 512 KiB;
	// a publish carries at least one message). Kept under the producer's
	// and the broker's batch limits (1 MiB), each partition's share of a
	// publish travels as one produce request, which lands whole or not at
	// all: a failed part can never let a later event of its partition
	// overtake it.
	MaxBytes int
	// Poll is how often the outbox is checked without a wake-up
	// (default 1s).
	Poll time.Duration
	// Backoff spaces retries while the broker is away (default 100ms to 5s).
	Backoff backoff.Policy
}

// Relay moves outbox messages to the broker.
type Relay struct {
	outbox ports.Outbox
	pub    ports.Publisher
	log    *slog.Logger
	opts   Options
}

// New returns a Relay.
func New(outbox ports.Outbox, pub ports.Publisher, log *slog.Logger, opts Options) *Relay {
	if opts.Batch <= 0 {
		opts.Batch = 250
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 512 << 10
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Backoff.Max <= 0 {
		opts.Backoff = backoff.Policy{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	}
	return &Relay{outbox: outbox, pub: pub, log: log, opts: opts}
}

// Run publishes until ctx ends, then returns. Messages still pending then
// stay in the outbox for the next run (or for Drain at shutdown).
func (r *Relay) Run(ctx context.Context) {
	tick := time.NewTicker(r.opts.Poll)
	defer tick.Stop()
	wake := r.outbox.Committed()
	failures := 0
	for {
		_, err := r.Drain(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			wait := r.opts.Backoff.Delay(failures)
			failures++
			r.log.WarnContext(ctx, "outbox not published, retrying", "error", err, "retryIn", wait, "failures", failures)
			if !backoff.Sleep(ctx, wait) {
				return
			}
			continue
		}
		if failures > 0 {
			r.log.InfoContext(ctx, "outbox publishing again", "after", failures)
			failures = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-tick.C:
		}
	}
}

// Drain publishes everything pending now, batch by batch, and returns how
// many messages it published. It stops at the first failure.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		pending, err := r.outbox.Pending(ctx, r.opts.Batch)
		if err != nil || len(pending) == 0 {
			return total, err
		}
		more := len(pending) == r.opts.Batch
		if n := r.withinBytes(pending); n < len(pending) {
			pending, more = pending[:n], true
		}
		msgs := make([]event.Message, len(pending))
		for i, p := range pending {
			msgs[i] = p.Message
		}
		n, err := r.pub.Publish(ctx, msgs)
		if n > 0 {
			if err := r.outbox.Published(ctx, pending[n-1].Seq); err != nil {
				return total, err
			}
			total += n
			r.log.DebugContext(ctx, "outbox published", "messages", n)
		}
		if err != nil {
			return total, err
		}
		if !more {
			return total, nil
		}
	}
}

// withinBytes returns how many of pending, from the first, fit in
// MaxBytes of payload; at least one.
func (r *Relay) withinBytes(pending []ports.Pending) int {
	size := 0
	for i, p := range pending {
		size += len(p.Message.Payload)
		if size > r.opts.MaxBytes && i > 0 {
			return i
		}
	}
	return len(pending)
}
