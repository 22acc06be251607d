package tracing_test

import (
	"context"
	"errors"
	"testing"

	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/trace"
)

func TestWithoutAnEndpointNothingIsTracedAndNothingChanges(t *testing.T) {
	tr, err := tracing.New(context.Background(), "service-test", "")
	if err != nil || tr != nil {
		t.Fatalf("New without an endpoint = %v, %v; want no tracer", tr, err)
	}
	ctx := trace.With(context.Background(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	got, span := tr.Start(ctx, "x", oteltrace.SpanKindServer)
	span.SetName("y")
	span.End(errors.New("ignored"))
	if got != ctx || tr.Shutdown(context.Background()) != nil {
		t.Fatal("a nil tracer changed the context or failed to shut down")
	}
}

func TestASpanIsAChildOfTheTraceInTheContext(t *testing.T) {
	tr, err := tracing.New(context.Background(), "service-test", "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tr.Shutdown(context.Background()) }()
	parent := trace.Parent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	ctx, span := tr.Start(trace.With(context.Background(), parent), "handle", oteltrace.SpanKindConsumer)
	defer span.End(nil)
	child := trace.From(ctx)
	if child.TraceID() != parent.TraceID() || child.SpanID() == parent.SpanID() || len(child) != len(parent) {
		t.Fatalf("child %s of %s: want the same trace, another span", child, parent)
	}
	if sc := oteltrace.SpanContextFromContext(ctx); sc.SpanID().String() != child.SpanID() {
		t.Fatalf("the core's trace context %s is not the span's %s", child, sc.SpanID())
	}
	// A context without a trace starts one.
	ctx, span2 := tr.Start(context.Background(), "request", oteltrace.SpanKindServer)
	defer span2.End(nil)
	if trace.From(ctx).TraceID() == "" {
		t.Fatal("no trace started")
	}
}

func TestABatchSpanLinksToTheTracesItServes(t *testing.T) {
	var none *tracing.Tracer
	if ctx, _ := none.StartLinked(context.Background(), "publish", oteltrace.SpanKindProducer, nil); ctx != context.Background() {
		t.Fatal("a nil tracer changed the context")
	}
	tr, err := tracing.New(context.Background(), "service-test", "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tr.Shutdown(context.Background()) }()
	parents := []trace.Parent{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "not a traceparent"}
	ctx := trace.With(context.Background(), parents[0])
	ctx, span := tr.StartLinked(ctx, "publish", oteltrace.SpanKindProducer, parents)
	defer span.End(nil)
	if sc := oteltrace.SpanContextFromContext(ctx); !sc.IsValid() || sc.TraceID().String() == parents[0].TraceID() {
		t.Fatalf("the batch span %v should start a trace of its own", sc)
	}
}
