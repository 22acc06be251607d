package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/ports"
)

// Publisher sends a service's events. It refuses topics the service does
// not own: the original system only warned.
type Publisher struct {
	cfg     Config
	w       writer
	allowed map[string]bool
	log     *slog.Logger
	tracer  *tracing.Tracer
}

var _ ports.Publisher = (*Publisher)(nil)

// NewPublisher returns a publisher allowed to write events of the given
// types (topics, before any prefix).
func NewPublisher(cfg Config, topics []string, log *slog.Logger) *Publisher {
	allowed := map[string]bool{}
	for _, t := range topics {
		allowed[t] = true
	}
	return &Publisher{cfg: cfg, allowed: allowed, log: log, w: newWriter(cfg, log), tracer: cfg.tracer()}
}

// writer is a kafka-go writer that closes its transport with it: kafka-go
// closes only a transport it made itself, and the connections and metadata
// goroutines of ours would outlive every writer closed (about thirty
// goroutines and their buffers per stopped service).
type writer struct{ *kafkago.Writer }

// Close flushes and closes the writer, then its transport's connections.
func (w writer) Close() error {
	err := w.Writer.Close()
	closeTransport(w.Transport)
	return err
}

// closeTransport closes the connections of a transport made by
// Config.transport.
func closeTransport(rt kafkago.RoundTripper) {
	if t, ok := rt.(*kafkago.Transport); ok {
		t.CloseIdleConnections()
	}
}

// newWriter returns a writer with safe settings: acknowledgement from all
// in-sync replicas, Java-compatible key hashing (so a customer's events land
// on one partition, whichever client wrote them), explicit topics only.
func newWriter(cfg Config, log *slog.Logger) writer {
	return writer{&kafkago.Writer{
		Addr:         kafkago.TCP(cfg.Brokers...),
		Balancer:     kafkago.Murmur2Balancer{},
		RequiredAcks: kafkago.RequireAll,
		BatchTimeout: cfg.BatchTimeout,
		// At least the relay's batch (250), whose bytes the relay bounds
		// under BatchBytes (1 MiB): each partition's share of one publish is
		// one produce request, which lands whole or not at all. No more:
		// kafka-go allocates room for BatchSize messages in every batch it
		// starts (with 1,000, a tenth of everything the system allocated).
		BatchSize:              250,
		MaxAttempts:            5,
		WriteBackoffMin:        50 * time.Millisecond,
		WriteBackoffMax:        time.Second,
		ReadTimeout:            cfg.RequestTimeout,
		WriteTimeout:           cfg.RequestTimeout,
		AllowAutoTopicCreation: false,
		Transport:              cfg.transport(),
		ErrorLogger:            errorLogger(log),
	}}
}

// Publish implements ports.Publisher.
func (p *Publisher) Publish(ctx context.Context, msgs []event.Message) (n int, err error) {
	parents := make([]tracing.Context, len(msgs))
	for i, m := range msgs {
		parents[i] = tracing.Context{Parent: m.TraceParent, State: m.TraceState}
	}
	ctx, span := p.tracer.StartLinked(ctx, "publish", oteltrace.SpanKindProducer, parents)
	defer func() { span.End(err) }()
	allowed := len(msgs)
	var refused error
	for i, m := range msgs {
		if !p.allowed[m.Type] {
			allowed = i
			e := fault.Invalidf("this service may not publish to topic %q", m.Type)
			e.Code = "kafka.topic_not_owned"
			refused = e
			break
		}
	}
	n, err = p.write(ctx, msgs[:allowed])
	if err != nil {
		return n, err
	}
	if refused != nil {
		p.log.ErrorContext(ctx, "publish refused", "error", refused)
	}
	return n, refused
}

func (p *Publisher) write(ctx context.Context, msgs []event.Message) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	records := make([]kafkago.Message, len(msgs))
	for i, m := range msgs {
		records[i] = p.cfg.toKafka(m)
	}
	err := p.w.WriteMessages(ctx, records...)
	if err == nil {
		for _, m := range msgs {
			p.log.InfoContext(ctx, "event published", "topic", m.Type, "eventId", m.ID, "key", m.Subject)
		}
		return len(msgs), nil
	}
	// Only a prefix that all succeeded counts as published: resending the
	// rest keeps each key's events in order (consumers drop the duplicates).
	n := 0
	var each kafkago.WriteErrors
	if errors.As(err, &each) {
		for n < len(each) && each[n] == nil {
			n++
		}
	}
	return n, fault.Wrap(fault.Unavailable, err, fmt.Sprintf("publish %d events", len(msgs)-n))
}

// Close flushes and closes the writer. Call it only once no Publish runs.
func (p *Publisher) Close() error { return p.w.Close() }
