package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strconv"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/core/backoff"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/trace"
)

// Handler applies one event. It must be idempotent: a message is delivered
// at least once. Its error's fault.Kind decides between retry (Internal,
// Unavailable) and dead-letter (any other kind).
type Handler func(ctx context.Context, e event.Event) error

// Observer is told what happens to each message, by event type; metrics
// hang off it.
type Observer interface {
	Handled(eventType, outcome string, attempts int, took time.Duration)
}

// Outcome is how a message's handling ended.
type Outcome string

// Outcomes.
const (
	OutcomeHandled      Outcome = "handled"
	OutcomeDeadLettered Outcome = "dead_lettered"
)

// Consumer reads a service's topics as one consumer group.
type Consumer struct {
	cfg    Config
	reader *kafkago.Reader
	dlt    *kafkago.Writer
	handle Handler
	obs    Observer
	log    *slog.Logger
}

// NewConsumer returns a consumer of topics (before any prefix) for
// cfg.GroupID. Messages that cannot be handled go to "<topic>.dlt"; create
// those topics first (see DeadLetterTopics).
func NewConsumer(cfg Config, topics []string, handle Handler, obs Observer, log *slog.Logger) *Consumer {
	return &Consumer{
		cfg: cfg, handle: handle, obs: obs, log: log, dlt: newWriter(cfg, log),
		reader: kafkago.NewReader(kafkago.ReaderConfig{
			Brokers: cfg.Brokers, GroupID: cfg.GroupID, GroupTopics: cfg.topics(topics), Dialer: cfg.dialer(),
			StartOffset: kafkago.FirstOffset, MinBytes: 1, MaxBytes: cfg.MaxBytesPerPartition, MaxWait: 250 * time.Millisecond,
			HeartbeatInterval: cfg.HeartbeatInterval, SessionTimeout: cfg.SessionTimeout, RebalanceTimeout: cfg.RebalanceTimeout,
			JoinGroupBackoff: time.Second, CommitInterval: cfg.CommitInterval, ReadLagInterval: -1,
			ReadBackoffMin: 50 * time.Millisecond, ReadBackoffMax: time.Second,
			Logger: debugLogger(log), ErrorLogger: errorLogger(log),
		}),
	}
}

// errStopped means the consumer stopped before a message's fate was
// settled; it stays uncommitted and will be delivered again.
var errStopped = errors.New("consumer stopped")

// Run consumes until ctx ends. The message in hand when ctx ends is still
// finished and committed, unless it is waiting between retries.
func (c *Consumer) Run(ctx context.Context) error {
	c.log.InfoContext(ctx, "consumer started", "group", c.cfg.GroupID, "topics", c.reader.Config().GroupTopics)
	fetchFailures := 0
	for {
		m, err := c.reader.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return nil
			}
			wait := c.cfg.RetryBackoff.Delay(fetchFailures)
			fetchFailures++
			c.log.WarnContext(ctx, "fetch failed, retrying", "error", err, "retryIn", wait)
			if !backoff.Sleep(ctx, wait) {
				return nil
			}
			continue
		}
		fetchFailures = 0
		if err := c.process(ctx, m); err != nil {
			return nil // errStopped: leave the message for the next run
		}
		// Commit even when ctx ended meanwhile: the work is done. With a
		// commit interval this only queues the offset; the reader flushes
		// it on its ticker and when it closes.
		commitCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.RequestTimeout)
		err = c.reader.CommitMessages(commitCtx, m)
		cancel()
		if err != nil {
			// The message will be delivered again; the inbox drops it.
			c.log.WarnContext(ctx, "offset commit failed", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "error", err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// process settles one message: handled, or dead-lettered. It returns
// errStopped only when ctx ended before either happened.
func (c *Consumer) process(ctx context.Context, m kafkago.Message) error {
	start := time.Now()
	e, err := c.cfg.Decode(m)
	if err != nil {
		c.log.WarnContext(ctx, "undecodable message", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "error", err)
		return c.deadLetter(ctx, m, err, 0, start)
	}
	hctx := trace.With(context.WithoutCancel(ctx), e.TraceParent.Child())
	for attempt := 1; ; attempt++ {
		err = c.attempt(hctx, e)
		if err == nil {
			c.log.InfoContext(hctx, "event handled", "topic", e.Type, "eventId", e.ID, "key", e.Subject, "attempts", attempt)
			c.observe(m.Topic, OutcomeHandled, attempt, start)
			return nil
		}
		if fault.KindOf(err).Permanent() || attempt >= c.cfg.MaxAttempts {
			c.log.WarnContext(hctx, "event dead-lettered", "topic", m.Topic, "eventId", e.ID, "attempts", attempt, "error", err)
			return c.deadLetter(ctx, m, err, attempt, start)
		}
		wait := c.cfg.RetryBackoff.Delay(attempt - 1)
		c.log.WarnContext(hctx, "handling failed, retrying", "topic", m.Topic, "eventId", e.ID, "attempt", attempt, "retryIn", wait, "error", err)
		if !backoff.Sleep(ctx, wait) {
			return errStopped
		}
	}
}

// attempt runs the handler once, with a timeout, turning a panic into an
// internal error so one bad message cannot take the service down.
func (c *Consumer) attempt(ctx context.Context, e event.Event) (err error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HandlerTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			c.log.ErrorContext(ctx, "handler panicked", "eventId", e.ID, "panic", r, "stack", string(debug.Stack()))
			err = fault.Wrap(fault.Internal, fmt.Errorf("panic: %v", r), "handler panicked")
		}
	}()
	return c.handle(ctx, e)
}

// deadLetter copies m to its dead-letter topic with the reason in headers,
// retrying until the broker takes it: the offset must not be committed
// before the message is safe somewhere.
func (c *Consumer) deadLetter(ctx context.Context, m kafkago.Message, cause error, attempts int, start time.Time) error {
	headers := append([]kafkago.Header{}, m.Headers...)
	headers = append(headers,
		kafkago.Header{Key: "dlt-original-topic", Value: []byte(m.Topic)},
		kafkago.Header{Key: "dlt-original-partition", Value: []byte(strconv.Itoa(m.Partition))},
		kafkago.Header{Key: "dlt-original-offset", Value: []byte(strconv.FormatInt(m.Offset, 10))},
		kafkago.Header{Key: "dlt-consumer-group", Value: []byte(c.cfg.GroupID)},
		kafkago.Header{Key: "dlt-error", Value: []byte(cause.Error())},
		kafkago.Header{Key: "dlt-error-kind", Value: []byte(fault.KindOf(cause).String())},
		kafkago.Header{Key: "dlt-attempts", Value: []byte(strconv.Itoa(attempts))},
		kafkago.Header{Key: "dlt-failed-at", Value: []byte(time.Now().UTC().Format(time.RFC3339Nano))},
	)
	record := kafkago.Message{Topic: m.Topic + event.DeadLetterSuffix, Key: m.Key, Value: m.Value, Headers: headers}
	for try := 0; ; try++ {
		err := c.dlt.WriteMessages(context.WithoutCancel(ctx), record)
		if err == nil {
			c.observe(m.Topic, OutcomeDeadLettered, attempts, start)
			return nil
		}
		wait := c.cfg.RetryBackoff.Delay(try)
		c.log.ErrorContext(ctx, "dead-letter write failed, retrying", "topic", record.Topic, "error", err, "retryIn", wait)
		if !backoff.Sleep(ctx, wait) {
			return errStopped
		}
	}
}

// observe reports an outcome under the event type, which stays the same
// whatever the topic prefix.
func (c *Consumer) observe(topic string, o Outcome, attempts int, start time.Time) {
	if c.obs != nil {
		c.obs.Handled(c.cfg.eventType(topic), string(o), attempts, time.Since(start))
	}
}

// Close leaves the group and closes the connections. kafka-go's Close can
// hang on a broker that went away, so it gives up after the request timeout.
func (c *Consumer) Close() error {
	done := make(chan error, 1)
	go func() { done <- errors.Join(c.reader.Close(), c.dlt.Close()) }()
	select {
	case err := <-done:
		return err
	case <-time.After(c.cfg.RequestTimeout):
		return fmt.Errorf("closing the consumer of group %s timed out", c.cfg.GroupID)
	}
}
