package sqlstore

import "time"

// Times are stored as integer Unix nanoseconds: exact round trips, and they
// sort as numbers.

// Nanos is t as stored.
func Nanos(t time.Time) int64 { return t.UnixNano() }

// Time is a stored time back, in UTC.
func Time(n int64) time.Time { return time.Unix(0, n).UTC() }

// OptNanos stores a zero time as NULL.
func OptNanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}

// OptTime reads a NULL time as the zero time.
func OptTime(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return Time(*n)
}
