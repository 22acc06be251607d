// Package ports declares what the core needs from the outside world: storage
// with transactional outboxes, message senders, a clock and ids. Adapters
// implement these interfaces; the core depends only on them.
//
// Errors: unless a method says otherwise, failures are returned as
// fault.Internal (possibly transient; worth retrying) and ctx's error when ctx
// ends first.
package ports

import (
	"errors"
	"time"
)

//go:generate go tool mockgen -destination=mocks/ports.go -package=mocks . Clock,IDGenerator,Transactor,Inbox,Outbox,Publisher,Forgetter

// ErrAlreadyHandled is returned by a unit of work given the id of an event
// that was already handled: the caller skips it, since handling it again
// would repeat its effect.
var ErrAlreadyHandled = errors.New("event already handled")

// IgnoreHandled turns ErrAlreadyHandled into success: a redelivered event
// has already had its effect. Other errors pass through.
func IgnoreHandled(err error) error {
	if errors.Is(err, ErrAlreadyHandled) {
		return nil
	}
	return err
}

// Clock tells the time. Injected so that the core never calls time.Now.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
}

// IDGenerator makes unique, time-ordered ids (UUIDv7).
type IDGenerator interface {
	// NewID returns a new id; it cannot fail.
	NewID() string
}
