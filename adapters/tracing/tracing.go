// Package tracing is the project's one tracing system, OpenTelemetry: W3C
// trace context propagation (traceparent, tracestate) from a request's
// headers, through the outbox and the Kafka headers, to the consumers of
// the events it caused, and spans, exported over OTLP/HTTP when an
// endpoint is configured. Without one, spans are still made (their ids are
// the trace context passed on) and nothing is exported.
//
// The core never reads a trace header: an event's TraceParent and
// TraceState are set by the outbox from the context the event was made in
// (Inject) and read back by the consumer (Extract).
package tracing

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// propagator reads and writes W3C trace context, the one format the
// services and the original's records carry.
var propagator = propagation.TraceContext{}

// Tracer starts the spans of one service.
type Tracer struct {
	tracer   oteltrace.Tracer
	provider *sdktrace.TracerProvider
}

// New returns the tracer of service, exporting to endpoint (an OTLP/HTTP
// base URL such as http://collector:4318) when it is not empty.
func New(ctx context.Context, service, endpoint string) (*Tracer, error) {
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service)))}
	if endpoint != "" {
		exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint+"/v1/traces"))
		if err != nil {
			return nil, fmt.Errorf("OTLP exporter for %s: %w", endpoint, err)
		}
		opts = append(opts, sdktrace.WithBatcher(exporter, sdktrace.WithBatchTimeout(time.Second)))
	}
	provider := sdktrace.NewTracerProvider(opts...)
	return &Tracer{tracer: provider.Tracer("github.com/fintechlabs/customers"), provider: provider}, nil
}

// Local returns the tracer of service that exports nothing: for parts
// built without one (tests), whose spans still carry the trace context on.
func Local(service string) *Tracer {
	t, _ := New(context.Background(), service, "") // no exporter, nothing to fail
	return t
}

// Shutdown exports what is left.
func (t *Tracer) Shutdown(ctx context.Context) error { return t.provider.Shutdown(ctx) }

// Span is one span under way; End it once.
type Span struct{ span oteltrace.Span }

// Start starts a span named name, a child of the span or the remote trace
// context in ctx (a new trace when there is none), and returns ctx
// carrying it.
func (t *Tracer) Start(ctx context.Context, name string, kind oteltrace.SpanKind) (context.Context, Span) {
	ctx, span := t.tracer.Start(ctx, name, oteltrace.WithSpanKind(kind))
	return ctx, Span{span}
}

// StartLinked starts a span named name that is no one's child but links to
// the trace context of each of parents: one batch of work serving many
// traces, such as a relay publishing the events of many requests at once.
func (t *Tracer) StartLinked(ctx context.Context, name string, kind oteltrace.SpanKind, parents []Context) (context.Context, Span) {
	links := make([]oteltrace.Link, 0, len(parents))
	for _, p := range parents {
		if sc := oteltrace.SpanContextFromContext(Extract(context.Background(), p)); sc.IsValid() {
			links = append(links, oteltrace.Link{SpanContext: sc})
		}
	}
	ctx, span := t.tracer.Start(ctx, name, oteltrace.WithSpanKind(kind), oteltrace.WithLinks(links...), oteltrace.WithNewRoot())
	return ctx, Span{span}
}

// Storage returns what a store calls to trace its units of work
// (sqlstore.Tracer): a client span for each.
func (t *Tracer) Storage() func(ctx context.Context, name string) (context.Context, func(error)) {
	return func(ctx context.Context, name string) (context.Context, func(error)) {
		ctx, span := t.Start(ctx, name, oteltrace.SpanKindClient)
		return ctx, span.End
	}
}

// SetName renames the span, once its route is known.
func (s Span) SetName(name string) { s.span.SetName(name) }

// End ends the span, marking it failed when err is not nil.
func (s Span) End(err error) {
	if err != nil {
		s.span.SetStatus(codes.Error, err.Error())
	}
	s.span.End()
}

// Context is a W3C trace context as it travels in headers: the
// traceparent, and the tracestate that came with it ("" for none).
type Context struct{ Parent, State string }

// Inject returns the trace context of ctx's span, to pass on ("" when
// there is none).
func Inject(ctx context.Context) Context {
	c := propagation.MapCarrier{}
	propagator.Inject(ctx, c)
	return Context{Parent: c["traceparent"], State: c["tracestate"]}
}

// Extract returns ctx with the remote trace context tc, the parent of the
// spans started in it; a malformed one is dropped.
func Extract(ctx context.Context, tc Context) context.Context {
	return propagator.Extract(ctx, propagation.MapCarrier{"traceparent": tc.Parent, "tracestate": tc.State})
}

// Valid returns tc as it is passed on: checked, normalised, and empty when
// its traceparent is malformed (a tracestate goes only with one).
func Valid(tc Context) Context { return Inject(Extract(context.Background(), tc)) }

// IDs return the trace and span ids of ctx's span, "" when there is none:
// for logs and problem documents.
func IDs(ctx context.Context) (traceID, spanID string) {
	sc := oteltrace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return "", ""
	}
	return sc.TraceID().String(), sc.SpanID().String()
}

// FromHeaders returns ctx with the remote trace context of an HTTP
// request's headers.
func FromHeaders(ctx context.Context, h propagation.HeaderCarrier) context.Context {
	return propagator.Extract(ctx, h)
}

// ToHeaders writes the trace context of ctx's span into h.
func ToHeaders(ctx context.Context, h propagation.HeaderCarrier) { propagator.Inject(ctx, h) }
