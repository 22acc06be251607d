package sqlstore

import (
	"time"

	"github.com/fintechlabs/customers/core/fault"
)

// Times are stored as integer Unix nanoseconds: exact round trips, and they
// sort as numbers.
func nanos(t time.Time) int64 { return t.UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// optNanos stores a zero time as NULL.
func optNanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}

func fromOptNanos(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return fromNanos(*n)
}

// internal marks an unexpected database error as retryable, leaving errors
// that are already classified (a domain rule from a change closure) alone.
func (db *DB) internal(err error) error {
	if _, ok := fault.As(err); ok {
		return err
	}
	if db.engine.Invalid != nil && db.engine.Invalid(err) {
		return fault.New(fault.Invalid, "validation", "a value holds text that cannot be stored: it must be valid UTF-8, without NUL characters").With("", err)
	}
	if db.engine.Unavailable != nil && db.engine.Unavailable(err) {
		// The database is there but cannot take the work now (another
		// process holds it, the disk is full): an infrastructure fault,
		// which callers retry and API clients are told to retry.
		return fault.Wrap(fault.Unavailable, err, "the database is unavailable")
	}
	return fault.Wrap(fault.Internal, err, "storage failure")
}

// optTime leaves a zero time out of a JSON document.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// convert maps a slice, keeping nil nil and empty empty.
func convert[T, U any](xs []T, f func(T) U) []U {
	if xs == nil {
		return nil
	}
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}
