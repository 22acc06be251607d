// Package tracing exports spans with OpenTelemetry over OTLP/HTTP when an
// endpoint is configured, and costs nothing when it is not: then there is
// no tracer, and the services carry the W3C trace context (core/trace) as
// before. A span's parent is the trace context in the context (the caller's
// traceparent, or an event's), and the span's own context replaces it
// there, so the events the work causes carry it, and the next service's
// spans join the same trace.
package tracing

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/fintechlabs/customers/core/trace"
)

// Tracer starts spans of one service; nil traces nothing.
type Tracer struct {
	tracer   oteltrace.Tracer
	provider *sdktrace.TracerProvider
}

// New returns the tracer of service exporting to endpoint (an OTLP/HTTP
// base URL such as http://collector:4318), or nil when endpoint is empty.
func New(ctx context.Context, service, endpoint string) (*Tracer, error) {
	if endpoint == "" {
		return nil, nil
	}
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint+"/v1/traces"))
	if err != nil {
		return nil, fmt.Errorf("OTLP exporter for %s: %w", endpoint, err)
	}
	provider := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter, sdktrace.WithBatchTimeout(time.Second)),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))),
	)
	return &Tracer{tracer: provider.Tracer("github.com/fintechlabs/customers"), provider: provider}, nil
}

// Shutdown exports what is left; a nil Tracer has nothing to do.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// Span is one span under way; End it once.
type Span struct{ span oteltrace.Span }

// Start starts a span named name, a child of the trace context in ctx, and
// returns ctx carrying the span, both as OpenTelemetry's and as the core's
// trace context. A nil Tracer returns ctx as it is.
func (t *Tracer) Start(ctx context.Context, name string, kind oteltrace.SpanKind) (context.Context, Span) {
	if t == nil {
		return ctx, Span{}
	}
	if parent, ok := spanContext(trace.From(ctx)); ok {
		if state, err := oteltrace.ParseTraceState(string(trace.StateFrom(ctx))); err == nil {
			parent = parent.WithTraceState(state)
		}
		ctx = oteltrace.ContextWithRemoteSpanContext(ctx, parent)
	}
	ctx, span := t.tracer.Start(ctx, name, oteltrace.WithSpanKind(kind))
	sc := span.SpanContext()
	return trace.With(ctx, trace.Parent("00-"+sc.TraceID().String()+"-"+sc.SpanID().String()+"-"+sc.TraceFlags().String())), Span{span}
}

// StartLinked starts a span named name that is no one's child but links to
// each of parents: one batch of work serving many traces, such as a relay
// publishing the events of many requests at once. A nil Tracer returns ctx
// as it is.
func (t *Tracer) StartLinked(ctx context.Context, name string, kind oteltrace.SpanKind, parents []trace.Parent) (context.Context, Span) {
	if t == nil {
		return ctx, Span{}
	}
	links := make([]oteltrace.Link, 0, len(parents))
	for _, p := range parents {
		if sc, ok := spanContext(p); ok {
			links = append(links, oteltrace.Link{SpanContext: sc})
		}
	}
	ctx, span := t.tracer.Start(ctx, name, oteltrace.WithSpanKind(kind), oteltrace.WithLinks(links...), oteltrace.WithNewRoot())
	return ctx, Span{span}
}

// Storage returns what a store calls to trace its units of work
// (sqlstore.DB.Trace): a client span for each.
func (t *Tracer) Storage() func(ctx context.Context, name string) (context.Context, func(error)) {
	return func(ctx context.Context, name string) (context.Context, func(error)) {
		ctx, span := t.Start(ctx, name, oteltrace.SpanKindClient)
		return ctx, span.End
	}
}

// SetName renames the span, once its route is known.
func (s Span) SetName(name string) {
	if s.span != nil {
		s.span.SetName(name)
	}
}

// End ends the span, marking it failed when err is not nil.
func (s Span) End(err error) {
	if s.span == nil {
		return
	}
	if err != nil {
		s.span.SetStatus(codes.Error, err.Error())
	}
	s.span.End()
}

// spanContext reads a traceparent (checked by trace.Parse) into
// OpenTelemetry's form.
func spanContext(p trace.Parent) (oteltrace.SpanContext, bool) {
	p, ok := trace.Parse(string(p))
	if !ok {
		return oteltrace.SpanContext{}, false
	}
	tid, _ := oteltrace.TraceIDFromHex(p.TraceID())
	sid, _ := oteltrace.SpanIDFromHex(p.SpanID())
	flags, _ := strconv.ParseUint(string(p)[53:], 16, 8)
	sc := oteltrace.NewSpanContext(oteltrace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: oteltrace.TraceFlags(flags), Remote: true})
	return sc, sc.IsValid()
}
