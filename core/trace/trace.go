// Package trace carries a W3C trace context (the traceparent header) through a
// context, so that an HTTP request, the events it causes and the work those
// events cause in other services share one trace id in logs and headers.
package trace

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
)

type key struct{}

type stateKey struct{}

// State is a tracestate value: vendors' entries that travel with the trace
// context, untouched, as W3C Trace Context asks.
type State string

// ParseState validates a tracestate header: at most 512 printable ASCII
// characters, the specification's bound. It returns "" and false otherwise.
func ParseState(s string) (State, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 512 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return "", false
		}
	}
	return State(s), true
}

// WithState returns ctx carrying s.
func WithState(ctx context.Context, s State) context.Context {
	return context.WithValue(ctx, stateKey{}, s)
}

// StateFrom returns the tracestate in ctx, or "".
func StateFrom(ctx context.Context) State {
	s, _ := ctx.Value(stateKey{}).(State)
	return s
}

// Parent is a traceparent value: "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>".
type Parent string

// Parse validates a traceparent header. It returns "" and false for anything
// malformed, including the all-zero ids the specification forbids.
func Parse(s string) (Parent, bool) {
	s = strings.TrimSpace(s)
	parts := strings.Split(s, "-")
	if len(parts) != 4 || parts[0] != "00" || !hexOf(parts[1], 32) || !hexOf(parts[2], 16) || !hexOf(parts[3], 2) {
		return "", false
	}
	if strings.Trim(parts[1], "0") == "" || strings.Trim(parts[2], "0") == "" {
		return "", false
	}
	return Parent(strings.ToLower(s)), true
}

// New starts a trace with random ids, sampled.
func New() Parent {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return Parent("00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-01")
}

// Child keeps the trace id and flags and draws a new span id, for work done on
// behalf of the parent (handling an event, say).
func (p Parent) Child() Parent {
	if p == "" {
		return New()
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	s := string(p)
	return Parent(s[:36] + hex.EncodeToString(b[:]) + s[52:])
}

// TraceID returns the 32 hex digit trace id, or "" when p is empty.
func (p Parent) TraceID() string {
	if len(p) < 35 {
		return ""
	}
	return string(p[3:35])
}

// SpanID returns the span id part of p, or "".
func (p Parent) SpanID() string {
	if len(p) < 52 {
		return ""
	}
	return string(p[36:52])
}

// With returns ctx carrying p.
func With(ctx context.Context, p Parent) context.Context {
	return context.WithValue(ctx, key{}, p)
}

// From returns the trace parent in ctx, or "".
func From(ctx context.Context) Parent {
	p, _ := ctx.Value(key{}).(Parent)
	return p
}

func hexOf(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
