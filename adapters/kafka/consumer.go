package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/actor"
	"github.com/fintechlabs/customers/core/backoff"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
)

// Handler applies one event. It must be idempotent: a message is delivered
// at least once. Its error's class decides what happens to the message (see
// Consumer).
type Handler func(ctx context.Context, e event.Event) error

// Observer is told what happens to each message, by event type; metrics
// hang off it. (How far the group is behind is the broker's to say: see
// Admin.GroupLag.)
type Observer interface {
	Handled(eventType, outcome string, attempts int, took time.Duration)
}

// Outcome is how a message's handling ended.
type Outcome string

// Outcomes.
const (
	OutcomeHandled      Outcome = "handled"
	OutcomeDeadLettered Outcome = "dead_lettered"
	// OutcomePanicked is a message dead-lettered because its handler
	// panicked on every attempt: a bug to fix, then redrive.
	OutcomePanicked Outcome = "panicked"
	// OutcomeUntrusted is a message dead-lettered because its ce_source
	// does not own its topic: a forgery, or a producer misconfigured.
	OutcomeUntrusted Outcome = "untrusted"
)

// Hold is a partition that waits on a message it cannot handle yet.
type Hold struct {
	Topic     string
	Partition int
	Offset    int64
	Since     time.Time
	Reason    string
}

// Consumer reads a service's topics as one consumer group. Each partition
// assigned to it is read on its own, so that a message that has to wait
// holds its partition only, and a partition's messages keep their order.
// What happens to a message that fails depends on the class of the failure:
//
//   - a fault of the message itself (undecodable, breaking the contract,
//     refused for good: any fault.Kind that is Permanent) goes to the
//     dead-letter topic at once;
//   - a panic is a bug: the message is tried MaxAttempts times, then
//     dead-lettered with its own outcome;
//   - anything else is an infrastructure fault (a provider or the database
//     unavailable, a timeout) and is never dead-lettered: it is retried with
//     capped exponential backoff (or as long as the error's
//     fault.RetryAfter says) and no attempt limit, holding its customer's
//     later records and its partition's offset meanwhile (see Held). So is
//     a message of a newer schema, which an upgraded consumer will read.
//
// Within a partition, records of different keys (customers) are handled
// concurrently, up to Config.Concurrency, and each key's records one after
// another in order. A record waiting between retries leaves its place to
// others; up to Config.InHand records are in hand. A partition's offset is
// committed only up to the lowest record not yet handled or dead-lettered.
type Consumer struct {
	cfg    Config
	topics []string
	handle Handler
	obs    Observer
	log    *slog.Logger
	dlt    writer
	tracer *tracing.Tracer

	mu    sync.Mutex
	group *kafkago.ConsumerGroup
	held  map[string]Hold // by topic/partition
}

// NewConsumer returns a consumer of topics (before any prefix) for
// cfg.GroupID. Messages that cannot be handled go to "<topic>.dlt"; create
// those topics first (see DeadLetterTopics).
func NewConsumer(cfg Config, topics []string, handle Handler, obs Observer, log *slog.Logger) *Consumer {
	return &Consumer{cfg: cfg, topics: cfg.topics(topics), handle: handle, obs: obs, log: log,
		dlt: newWriter(cfg, log), tracer: cfg.tracer(), held: map[string]Hold{}}
}

// errStopped means the consumer stopped before a message's fate was
// settled; it stays uncommitted and will be delivered again.
var errStopped = errors.New("consumer stopped")

// Run consumes until ctx ends. The message in hand when ctx ends is still
// finished and committed, unless it is waiting between retries.
func (c *Consumer) Run(ctx context.Context) error {
	group, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID: c.cfg.GroupID, Brokers: c.cfg.Brokers, Dialer: c.cfg.dialer(), Topics: c.topics,
		HeartbeatInterval: c.cfg.HeartbeatInterval, SessionTimeout: c.cfg.SessionTimeout, RebalanceTimeout: c.cfg.RebalanceTimeout,
		JoinGroupBackoff: time.Second, StartOffset: kafkago.FirstOffset, Timeout: c.cfg.RequestTimeout,
		Logger: debugLogger(c.log), ErrorLogger: errorLogger(c.log),
	})
	if err != nil {
		return fmt.Errorf("consumer group %s: %w", c.cfg.GroupID, err)
	}
	c.mu.Lock()
	c.group = group
	c.mu.Unlock()
	c.log.InfoContext(ctx, "consumer started", "group", c.cfg.GroupID, "topics", c.topics)
	var partitions sync.WaitGroup
	for failures := 0; ctx.Err() == nil; {
		gen, err := group.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafkago.ErrGroupClosed) {
				break
			}
			wait := c.cfg.RetryBackoff.Delay(failures)
			failures++
			c.log.WarnContext(ctx, "joining the consumer group failed, retrying", "error", err, "retryIn", wait)
			backoff.Sleep(ctx, wait)
			continue
		}
		failures = 0
		for topic, assigned := range gen.Assignments {
			for _, p := range assigned {
				partitions.Add(1)
				gen.Start(func(genCtx context.Context) {
					defer partitions.Done()
					c.consume(ctx, genCtx, gen, topic, p.ID, p.Offset)
				})
			}
		}
	}
	partitions.Wait()
	return nil
}

// pause waits between two tries of a message, and reports false when the
// consumer stopped first.
type pause func(d time.Duration) bool

// process settles one message: handled, or dead-lettered. It returns
// errStopped only when stop ended before either happened. Between tries it
// waits with wait.
func (c *Consumer) process(stop context.Context, m kafkago.Message, wait pause) (err error) {
	start := time.Now()
	defer c.release(m)
	var e event.Event
	for try := 0; ; try++ {
		var err error
		e, err = c.cfg.Decode(m)
		if err == nil {
			break
		}
		if fault.KindOf(err).Permanent() {
			outcome := OutcomeDeadLettered
			if errors.Is(err, event.ErrUntrustedSource) {
				outcome = OutcomeUntrusted // a forgery, counted apart
			}
			c.log.WarnContext(stop, "message refused before handling", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset,
				"outcome", outcome, "error", err)
			return c.deadLetter(stop, m, err, 0, outcome, start, wait)
		}
		// A newer schema: wait for an upgraded consumer.
		if !c.hold(stop, m, err, try, wait) {
			return errStopped
		}
	}
	// The handling is a span of the trace the event came from.
	hctx := tracing.Extract(actor.With(context.WithoutCancel(stop), e.Actor), tracing.Context{Parent: e.TraceParent, State: e.TraceState})
	hctx, span := c.tracer.Start(hctx, "handle "+e.Type, oteltrace.SpanKindConsumer)
	defer func() { span.End(err) }()
	for attempt, waits := 1, 0; ; attempt++ {
		err := c.attempt(hctx, e)
		var p *panicked
		switch {
		case err == nil:
			c.log.InfoContext(hctx, "event handled", "topic", e.Type, "eventId", e.ID, "key", e.Subject, "attempts", attempt)
			c.observe(m.Topic, OutcomeHandled, attempt, start)
			return nil
		case errors.As(err, &p) && attempt >= c.cfg.MaxAttempts:
			c.log.ErrorContext(hctx, "event dead-lettered: its handler panics", "topic", m.Topic, "eventId", e.ID, "attempts", attempt, "error", err)
			return c.deadLetter(stop, m, err, attempt, OutcomePanicked, start, wait)
		case errors.As(err, &p):
			delay := c.cfg.RetryBackoff.Delay(attempt - 1)
			c.log.WarnContext(hctx, "handler panicked, retrying", "topic", m.Topic, "eventId", e.ID, "attempt", attempt, "retryIn", delay)
			if !wait(delay) {
				return errStopped
			}
		case fault.KindOf(err).Permanent():
			c.log.WarnContext(hctx, "event dead-lettered", "topic", m.Topic, "eventId", e.ID, "attempts", attempt, "error", err)
			return c.deadLetter(stop, m, err, attempt, OutcomeDeadLettered, start, wait)
		default:
			if !c.hold(stop, m, err, waits, wait) {
				return errStopped
			}
			waits++
		}
	}
}

// hold holds m (its customer's later records, and its partition's
// commits) for the try-th time because of err, and waits the backoff, or
// as long as err says a retry is pointless; it reports false when stop
// ended first.
func (c *Consumer) hold(stop context.Context, m kafkago.Message, err error, try int, wait pause) bool {
	delay := max(c.cfg.RetryBackoff.Delay(try), fault.RetryAfter(err))
	if c.mark(m, err) {
		c.log.WarnContext(stop, "message held: it cannot be handled yet", "topic", m.Topic, "partition", m.Partition,
			"offset", m.Offset, "key", string(m.Key), "error", err, "retryIn", delay)
	}
	return wait(delay)
}

// mark records that m waits because of err (until release), and reports
// whether it was not waiting already.
func (c *Consumer) mark(m kafkago.Message, err error) bool {
	key := holdKey(m)
	c.mu.Lock()
	defer c.mu.Unlock()
	h, already := c.held[key]
	if !already {
		h = Hold{Topic: c.cfg.eventType(m.Topic), Partition: m.Partition, Offset: m.Offset, Since: time.Now()}
	}
	h.Reason = err.Error()
	c.held[key] = h
	return !already
}

// holdKey names m in the holds: several records of a partition can wait
// at once, one per customer.
func holdKey(m kafkago.Message) string {
	return m.Topic + "/" + strconv.Itoa(m.Partition) + "@" + strconv.FormatInt(m.Offset, 10)
}

// release ends the hold of m, if any.
func (c *Consumer) release(m kafkago.Message) {
	key := holdKey(m)
	c.mu.Lock()
	h, ok := c.held[key]
	delete(c.held, key)
	c.mu.Unlock()
	if ok {
		c.log.Info("partition released", "topic", m.Topic, "partition", m.Partition, "heldFor", time.Since(h.Since).Round(time.Millisecond))
	}
}

// Held lists the partitions that wait on a message, oldest first: for each,
// the record that has waited longest.
func (c *Consumer) Held() []Hold {
	c.mu.Lock()
	defer c.mu.Unlock()
	oldest := map[string]Hold{}
	for _, h := range c.held {
		p := h.Topic + "/" + strconv.Itoa(h.Partition)
		if o, ok := oldest[p]; !ok || h.Since.Before(o.Since) {
			oldest[p] = h
		}
	}
	out := make([]Hold, 0, len(oldest))
	for _, h := range oldest {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out
}

// panicked is a handler panic, a bug.
type panicked struct{ value any }

func (p *panicked) Error() string { return fmt.Sprintf("handler panicked: %v", p.value) }

// attempt runs the handler once, with a timeout, turning a panic into an
// error so one bad message cannot take the service down.
func (c *Consumer) attempt(ctx context.Context, e event.Event) (err error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HandlerTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			c.log.ErrorContext(ctx, "handler panicked", "eventId", e.ID, "panic", r, "stack", string(debug.Stack()))
			err = &panicked{r}
		}
	}()
	return c.handle(ctx, e)
}

// deadLetter copies m to its dead-letter topic with the reason in headers,
// retrying until the broker takes it: the offset must not be committed
// before the message is safe somewhere. Meanwhile the partition is held,
// and says why. A copy too large for the topic goes without the record's
// value, then without its headers too, and a header says what it lacks.
func (c *Consumer) deadLetter(ctx context.Context, m kafkago.Message, cause error, attempts int, outcome Outcome, start time.Time, wait pause) error {
	kind := fault.KindOf(cause).String()
	var p *panicked
	if errors.As(cause, &p) {
		kind = "panic"
	}
	reason := cause.Error()
	if len(reason) > maxErrorHeader {
		reason = strings.ToValidUTF8(reason[:maxErrorHeader], "") + "…"
	}
	failedAt := time.Now().UTC().Format(time.RFC3339Nano)
	for try, dropped := 0, ""; ; try++ {
		record := kafkago.Message{Topic: m.Topic + event.DeadLetterSuffix, Key: m.Key}
		if dropped == "" {
			record.Value = m.Value
		}
		if dropped != droppedAll {
			record.Headers = slices.Clone(m.Headers)
		}
		record.Headers = append(record.Headers,
			kafkago.Header{Key: "dlt-original-topic", Value: []byte(m.Topic)},
			kafkago.Header{Key: "dlt-original-partition", Value: []byte(strconv.Itoa(m.Partition))},
			kafkago.Header{Key: "dlt-original-offset", Value: []byte(strconv.FormatInt(m.Offset, 10))},
			kafkago.Header{Key: "dlt-consumer-group", Value: []byte(c.cfg.GroupID)},
			kafkago.Header{Key: "dlt-error", Value: []byte(reason)},
			kafkago.Header{Key: "dlt-error-kind", Value: []byte(kind)},
			kafkago.Header{Key: "dlt-attempts", Value: []byte(strconv.Itoa(attempts))},
			kafkago.Header{Key: "dlt-failed-at", Value: []byte(failedAt)},
		)
		if dropped != "" {
			record.Headers = append(record.Headers, kafkago.Header{Key: HeaderDropped, Value: []byte(dropped)})
		}
		err := c.dlt.WriteMessages(context.WithoutCancel(ctx), record)
		if err == nil {
			c.observe(m.Topic, outcome, attempts, start)
			return nil
		}
		if errors.Is(firstError(err), kafkago.MessageSizeTooLarge) && dropped != droppedAll {
			dropped = map[string]string{"": droppedValue, droppedValue: droppedAll}[dropped]
			c.log.WarnContext(ctx, "dead letter too large for its topic: written without what does not fit", "topic", record.Topic,
				"partition", m.Partition, "offset", m.Offset, "dropped", dropped)
			continue
		}
		delay := c.cfg.RetryBackoff.Delay(try)
		if c.mark(m, fmt.Errorf("its dead-letter copy cannot be written to %s: %w", record.Topic, err)) {
			c.log.ErrorContext(ctx, "dead-letter write failed, retrying; the partition is held", "topic", record.Topic, "error", err, "retryIn", delay)
		}
		if !wait(delay) {
			return errStopped
		}
	}
}

// maxErrorHeader bounds the error a dead letter carries: an error can
// quote what it failed on, and the copy must fit its topic.
const maxErrorHeader = 1024

// HeaderDropped names what a dead letter lacks because the whole copy did
// not fit its topic; the record itself stays on its original topic, at its
// partition and offset, until the topic's retention.
const HeaderDropped = "dlt-dropped"

// What a dead letter too large for its topic leaves out, in the order it
// tries: HeaderDropped's values.
const (
	droppedValue = "value"
	droppedAll   = "value and headers"
)

// firstError is the error of a write of one message: kafka-go reports
// some failures one per message.
func firstError(err error) error {
	var each kafkago.WriteErrors
	if errors.As(err, &each) && len(each) > 0 && each[0] != nil {
		return each[0]
	}
	return err
}

// observe reports an outcome under the event type, which stays the same
// whatever the topic prefix.
func (c *Consumer) observe(topic string, o Outcome, attempts int, start time.Time) {
	if c.obs != nil {
		c.obs.Handled(c.cfg.eventType(topic), string(o), attempts, time.Since(start))
	}
}

func (c *Consumer) closeQuietly(r *kafkago.Reader) {
	done := make(chan struct{})
	go func() {
		_ = r.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(c.cfg.RequestTimeout):
	}
}

// Close leaves the group and closes the connections. kafka-go's Close can
// hang on a broker that went away, so it gives up after the request timeout.
func (c *Consumer) Close() error {
	c.mu.Lock()
	group := c.group
	c.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		var err error
		if group != nil {
			err = group.Close()
		}
		done <- errors.Join(err, c.dlt.Close())
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(c.cfg.RequestTimeout):
		return fmt.Errorf("closing the consumer of group %s timed out", c.cfg.GroupID)
	}
}
