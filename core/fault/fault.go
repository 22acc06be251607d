// Package fault is the error model shared by every layer: a small set of kinds
// that adapters map to transport behaviour (an HTTP status, retry or
// dead-letter on Kafka) without inspecting messages.
package fault

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind classifies an error by what the caller should do about it.
type Kind uint8

// The kinds. The zero value is Internal so that an unclassified error is never
// mistaken for the caller's fault.
const (
	// Internal is an unexpected failure; it may succeed on retry.
	Internal Kind = iota
	// Invalid means the input breaks a validation rule; retrying cannot help.
	Invalid
	// NotFound means the addressed resource does not exist.
	NotFound
	// Conflict means the request is valid but impossible in the current state.
	Conflict
	// Unauthorized means the caller is not authenticated or not allowed.
	Unauthorized
	// Unavailable means a dependency (the broker, an email provider) is
	// down for now; retrying later may succeed.
	Unavailable
)

var kindNames = [...]string{"internal", "invalid", "not_found", "conflict", "unauthorized", "unavailable"}

// String returns the kind's stable lower-case name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Permanent reports whether retrying an operation that failed with this kind
// is pointless. Consumers dead-letter permanent failures at once.
func (k Kind) Permanent() bool { return k != Internal && k != Unavailable }

// FieldError names one input field and what is wrong with it.
type FieldError struct {
	Field   string
	Message string
}

// Error is a classified error. Message is safe to show to a caller; Err, the
// cause, is for logs only.
type Error struct {
	Kind Kind
	// Code is a stable machine-readable identifier such as
	// "customer.not_active"; optional.
	Code    string
	Message string
	Fields  []FieldError
	// RetryAfter, when positive, is how long a retry is pointless (an
	// Unavailable provider whose circuit is open): consumers wait that
	// long and HTTP answers say it in Retry-After.
	RetryAfter time.Duration
	Err        error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(" ")
		b.WriteString(f.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is match two coded errors of the same kind and code, so a
// sentinel such as customer.ErrNotActive matches a copy with more context.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e.Code != "" && t.Kind == e.Kind && t.Code == e.Code
}

// KindOf returns the kind of the first *Error in err's chain; Internal when
// there is none. KindOf(nil) is Internal too, but callers check nil first.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns the first *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// RetryAfter returns the first positive RetryAfter in err's tree (an
// Unavailable error often wraps the provider's), 0 when none names one.
func RetryAfter(err error) time.Duration {
	if e, ok := err.(*Error); ok && e.RetryAfter > 0 {
		return e.RetryAfter
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return RetryAfter(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, err := range u.Unwrap() {
			if d := RetryAfter(err); d > 0 {
				return d
			}
		}
	}
	return 0
}

// New returns an error of the given kind and code with a fixed message;
// useful for package-level sentinels.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// Invalidf returns an Invalid error.
func Invalidf(format string, args ...any) *Error {
	return &Error{Kind: Invalid, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a NotFound error.
func NotFoundf(format string, args ...any) *Error {
	return &Error{Kind: NotFound, Message: fmt.Sprintf(format, args...)}
}

// Conflictf returns a Conflict error.
func Conflictf(format string, args ...any) *Error {
	return &Error{Kind: Conflict, Message: fmt.Sprintf(format, args...)}
}

// Unavailablef returns an Unavailable error.
func Unavailablef(format string, args ...any) *Error {
	return &Error{Kind: Unavailable, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of the given kind whose cause is err. The message is
// shown to callers, the cause only logged.
func Wrap(kind Kind, err error, message string) *Error {
	return &Error{Kind: kind, Message: message, Err: err}
}

// With returns a copy of e whose message carries more context and whose cause
// is err (which may be nil). Sentinels stay untouched, and errors.Is still
// matches the copy against the sentinel.
func (e *Error) With(detail string, err error) *Error {
	c := *e
	if detail != "" {
		c.Message = e.Message + ": " + detail
	}
	c.Err = err
	return &c
}
