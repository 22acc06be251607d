package ports

import "context"

// Transactor runs units of work. The writes that stores make with the
// context fn receives join one transaction, which commits when fn returns
// nil and rolls back whole when it returns an error: a handled event's inbox
// entry, the state it changed and the events it caused commit together.
type Transactor interface {
	Transact(ctx context.Context, fn func(ctx context.Context) error) error
}

// Inbox records the events a service has handled, so that a redelivered one
// has no second effect.
type Inbox interface {
	// Claim records eventID as handled, in the unit of work of ctx. Errors:
	// ErrAlreadyHandled when it was handled before: the unit of work must
	// stop, its effect happened already.
	Claim(ctx context.Context, eventID string) error

	// Handled reports whether eventID was handled.
	Handled(ctx context.Context, eventID string) (bool, error)
}

// HandleOnce runs fn in a unit of work that first claims eventID in the
// inbox. An event handled before is skipped without error.
func HandleOnce(ctx context.Context, tx Transactor, inbox Inbox, eventID string, fn func(ctx context.Context) error) error {
	return IgnoreHandled(tx.Transact(ctx, func(ctx context.Context) error {
		if err := inbox.Claim(ctx, eventID); err != nil {
			return err
		}
		return fn(ctx)
	}))
}

// Forgetter erases what a service's database keeps about a customer beside
// its own rows, when the customer is erased: the outbox's events about
// them, and the answers to idempotent requests that name them.
type Forgetter interface {
	// Forget deletes, in the unit of work of ctx, every outbox event whose
	// subject is customerID (published or not: one not yet published would
	// carry the customer's data after the erasure) and every stored
	// idempotency answer that names them.
	Forget(ctx context.Context, customerID string) error
	// Purge, after Forget's unit of work committed, rewrites the database's
	// files so that no copy of the deleted rows stays in them (SQLite's
	// write-ahead log). It may fail while the database is busy; the copies
	// then go at the next checkpoint.
	Purge(ctx context.Context) error
}
