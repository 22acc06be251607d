package trace_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/core/trace"
)

func TestParseAcceptsOnlyWellFormedTraceparents(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"the specification's example", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"upper case is normalised", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", true},
		{"an unknown version is refused", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"an all-zero trace id is refused", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", false},
		{"an all-zero span id is refused", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false},
		{"a short trace id is refused", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false},
		{"non hex digits are refused", "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01", false},
		{"garbage is refused", "hello", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := trace.Parse(tt.in)
			if ok != tt.ok {
				t.Fatalf("Parse(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			}
			if ok && p.TraceID() != "4bf92f3577b34da6a3ce929d0e0e4736" {
				t.Fatalf("TraceID() = %q", p.TraceID())
			}
		})
	}
}

func TestNewTracesAreValidAndChildrenKeepTheTraceID(t *testing.T) {
	p := trace.New()
	if _, ok := trace.Parse(string(p)); !ok {
		t.Fatalf("New() = %q is not a valid traceparent", p)
	}
	c := p.Child()
	if _, ok := trace.Parse(string(c)); !ok {
		t.Fatalf("Child() = %q is not a valid traceparent", c)
	}
	if c.TraceID() != p.TraceID() || c == p {
		t.Fatalf("child %q of %q should share the trace id and differ in span", c, p)
	}
	if orphan := trace.Parent("").Child(); orphan.TraceID() == "" {
		t.Fatal("the child of no trace should start a new one")
	}
	if trace.Parent("").TraceID() != "" {
		t.Fatal("an empty parent has no trace id")
	}
}

func TestContextCarriesTheParent(t *testing.T) {
	ctx := context.Background()
	if trace.From(ctx) != "" {
		t.Fatal("an empty context has no trace")
	}
	p := trace.New()
	if got := trace.From(trace.With(ctx, p)); got != p {
		t.Fatalf("From(With(p)) = %q, want %q", got, p)
	}
}

func TestAParentNamesItsTraceAndItsSpan(t *testing.T) {
	p := trace.Parent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if p.TraceID() != "4bf92f3577b34da6a3ce929d0e0e4736" || p.SpanID() != "00f067aa0ba902b7" {
		t.Fatalf("trace %q, span %q", p.TraceID(), p.SpanID())
	}
	if trace.Parent("").SpanID() != "" || trace.Parent("00-4bf92f3577b34da6a3ce929d0e0e4736").SpanID() != "" {
		t.Fatal("a short parent has a span id")
	}
}

func TestATraceStateIsCarriedIfItIsSane(t *testing.T) {
	tests := []struct {
		name, given string
		ok          bool
	}{
		{"vendors' entries", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", true},
		{"nothing", "", false},
		{"a line break", "a=b\r\nc=d", false},
		{"more than 512 characters", "a=" + strings.Repeat("x", 511), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := trace.ParseState(tt.given)
			if ok != tt.ok || ok && string(s) != tt.given {
				t.Fatalf("ParseState(%q) = %q, %v", tt.given, s, ok)
			}
		})
	}
	ctx := trace.WithState(context.Background(), "a=b")
	if trace.StateFrom(ctx) != "a=b" || trace.StateFrom(context.Background()) != "" {
		t.Fatal("the context does not carry the state")
	}
}
