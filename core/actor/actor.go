// Package actor carries who caused a piece of work through a context: the
// name of the API key a request presented, and then of every event that
// request causes, down the flow (an activation by "ops-console" makes a
// customer.activated, then a notification.sent, each saying
// ce_actor: ops-console). Audits answer "who did it" from the events alone.
package actor

import "context"

// MaxLength bounds a name; a longer or unprintable one read from a record
// is dropped, not trusted.
const MaxLength = 128

type key struct{}

// With returns ctx carrying name; an invalid name carries none.
func With(ctx context.Context, name string) context.Context {
	if !Valid(name) {
		name = ""
	}
	return context.WithValue(ctx, key{}, name)
}

// From returns the actor in ctx, or "".
func From(ctx context.Context) string {
	name, _ := ctx.Value(key{}).(string)
	return name
}

// Valid reports whether name is a printable ASCII name of at most
// MaxLength bytes.
func Valid(name string) bool {
	if len(name) > MaxLength {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x21 || name[i] > 0x7e {
			return false
		}
	}
	return true
}
