package tracing_test

import (
	"context"
	"testing"

	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/fintechlabs/customers/adapters/tracing"
)

const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestASpanIsAChildOfTheRemoteTraceContext(t *testing.T) {
	tr := tracing.Local("service-test")
	ctx := tracing.Extract(context.Background(), tracing.Context{Parent: parent, State: "congo=t61rcWkgMzE"})
	ctx, span := tr.Start(ctx, "handle", oteltrace.SpanKindConsumer)
	defer span.End(nil)
	child := tracing.Inject(ctx)
	traceID, spanID := tracing.IDs(ctx)
	if traceID != parent[3:35] || child.Parent[3:35] != traceID || spanID == parent[36:52] || child.Parent[36:52] != spanID {
		t.Fatalf("child %s (trace %s, span %s) of %s: want the same trace, another span", child.Parent, traceID, spanID, parent)
	}
	if child.State != "congo=t61rcWkgMzE" {
		t.Fatalf("the tracestate %q did not travel on", child.State)
	}
}

func TestWithoutATraceContextASpanStartsATrace(t *testing.T) {
	ctx, span := tracing.Local("service-test").Start(context.Background(), "request", oteltrace.SpanKindServer)
	defer span.End(nil)
	if tc := tracing.Inject(ctx); len(tc.Parent) != len(parent) || tc.Parent[len(tc.Parent)-2:] != "01" {
		t.Fatalf("a new trace %q: want a sampled traceparent", tc.Parent)
	}
}

func TestAMalformedTraceContextIsDropped(t *testing.T) {
	cases := []struct {
		name string
		in   tracing.Context
		want tracing.Context
	}{
		{"well formed", tracing.Context{Parent: parent, State: "rojo=00f067aa0ba902b7"}, tracing.Context{Parent: parent, State: "rojo=00f067aa0ba902b7"}},
		{"not a traceparent", tracing.Context{Parent: "not a traceparent", State: "rojo=1"}, tracing.Context{}},
		{"all-zero trace id", tracing.Context{Parent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, tracing.Context{}},
		{"a malformed tracestate alone", tracing.Context{Parent: parent, State: "=="}, tracing.Context{Parent: parent}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := tracing.Valid(c.in); got != c.want {
				t.Fatalf("Valid(%+v) = %+v, want %+v", c.in, got, c.want)
			}
		})
	}
}

func TestABatchSpanLinksToTheTracesItServes(t *testing.T) {
	tr, err := tracing.New(context.Background(), "service-test", "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tr.Shutdown(context.Background()) }()
	ctx := tracing.Extract(context.Background(), tracing.Context{Parent: parent})
	ctx, span := tr.StartLinked(ctx, "publish", oteltrace.SpanKindProducer, []tracing.Context{{Parent: parent}, {Parent: "not a traceparent"}})
	defer span.End(nil)
	if traceID, _ := tracing.IDs(ctx); traceID == "" || traceID == parent[3:35] {
		t.Fatalf("the batch span's trace %q should be a trace of its own", traceID)
	}
}
