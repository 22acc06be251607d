package kafka_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/backoff"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var now = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// env is one test's broker config, event type and the Kafka topic holding
// it.
type env struct {
	cfg   kafka.Config
	typ   string // customer.onboarded
	topic string // <prefix>customer.onboarded
}

// setup starts (or joins) a broker and creates customer.onboarded and its
// dead-letter topic under a prefix of the test's own.
func setup(t testing.TB) env {
	t.Helper()
	brokers := kafkatest.Brokers(t)
	cfg := kafkatest.Config(t, brokers, kafkatest.Name("group"))
	types := []string{event.TopicOnboarded, event.TopicOnboarded + event.DeadLetterSuffix}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := kafka.NewAdmin(cfg, quiet)
	defer admin.Close()
	if err := admin.EnsureTopics(ctx, types, nil); err != nil {
		t.Fatal(err)
	}
	return env{cfg: cfg, typ: event.TopicOnboarded, topic: cfg.TopicPrefix + event.TopicOnboarded}
}

// onboarded returns an encoded customer.onboarded event for customer id.
func onboarded(t testing.TB, id string, version int64, tp string) event.Message {
	t.Helper()
	e := event.Event{
		Metadata: event.Metadata{ID: kafkatest.Name("evt"), Type: event.TopicOnboarded, Source: event.SourceCustomer,
			Subject: id, Time: now, Version: event.SchemaVersion(event.TopicOnboarded), TraceParent: tp},
		Data: event.Onboarded{Envelope: event.Envelope{CustomerID: id, Timestamp: now,
			Customer: event.Customer{ID: id, Name: "Ana", Version: version}}},
	}
	m, err := event.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func publish(t *testing.T, e env, msgs ...event.Message) {
	t.Helper()
	p := kafka.NewPublisher(e.cfg, []string{e.typ}, quiet)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if n, err := p.Publish(ctx, msgs); err != nil || n != len(msgs) {
		t.Fatalf("Publish = %d, %v", n, err)
	}
}

// readTopic reads records of topic whose key starts with keyPrefix until
// want of them arrived.
func readTopic(t *testing.T, e env, topic, keyPrefix string, want int) []kafkago.Message {
	t.Helper()
	return kafkatest.ReadRecords(t, e.cfg.Brokers, topic, want, func(m kafkago.Message) bool {
		return strings.HasPrefix(string(m.Key), keyPrefix)
	})
}

// running is a consumer running in the background.
type running struct {
	c      *kafka.Consumer
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, e env, h kafka.Handler, obs kafka.Observer) *running {
	t.Helper()
	c := kafka.NewConsumer(e.cfg, []string{e.typ}, h, obs, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{c: c, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("the consumer did not stop")
	}
	if err := r.c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// recorder is a handler that records what it saw, for one customer prefix.
type recorder struct {
	mu     sync.Mutex
	seen   []event.Event
	traces []tracing.Context
	fail   func(e event.Event, attempt int) error
	tries  map[string]int
}

func (r *recorder) handle(ctx context.Context, e event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tries == nil {
		r.tries = map[string]int{}
	}
	r.tries[e.ID]++
	if r.fail != nil {
		if err := r.fail(e, r.tries[e.ID]); err != nil {
			return err
		}
	}
	r.seen = append(r.seen, e)
	r.traces = append(r.traces, tracing.Inject(ctx))
	return nil
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		backoff.Sleep(context.Background(), 20*time.Millisecond)
	}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

func TestEnsureTopicsIsIdempotent(t *testing.T) {
	e := setup(t)
	admin := kafka.NewAdmin(e.cfg, quiet)
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.EnsureTopics(ctx, []string{e.topic, e.topic}, nil); err != nil {
		t.Fatalf("a second EnsureTopics failed: %v", err)
	}
	if err := admin.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestClosedPublishersAndAdminsLeaveNoConnectionsBehind(t *testing.T) {
	e := setup(t)
	noConnections(t, "left by earlier tests")
	admin := kafka.NewAdmin(e.cfg, quiet)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.EnsureTopics(ctx, []string{e.typ}, nil); err != nil {
		t.Fatal(err)
	}
	if n := connectionGoroutines(); n == 0 {
		t.Fatal("no connection goroutines with an admin open: the count does not see them")
	}
	publish(t, e, onboarded(t, kafkatest.Name("close"), 1, "")) // closes its publisher
	_ = admin.Close()
	noConnections(t, "after closing")
}

// noConnections waits until no kafka-go connection goroutine is left.
func noConnections(t *testing.T, when string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		n := connectionGoroutines()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d kafka-go connection goroutines %s", n, when)
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
}

// connectionGoroutines counts the goroutines of kafka-go's connection pools:
// a connection's and a pool's metadata refresher.
func connectionGoroutines() int {
	buf := make([]byte, 8<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	return strings.Count(stacks, "kafka-go.(*conn).run(") + strings.Count(stacks, "kafka-go.(*connPool).discover(")
}

func TestPublishedRecordsCarryCloudEventsHeadersAndTheCustomerKey(t *testing.T) {
	e := setup(t)
	id := kafkatest.Name("hdr")
	tp := newTraceParent()
	msg := onboarded(t, id, 1, tp)
	publish(t, e, msg)
	rec := readTopic(t, e, e.topic, id, 1)[0]
	want := map[string]string{
		"ce_specversion": "1.0", "ce_id": msg.ID, "ce_type": "customer.onboarded", "ce_source": event.SourceCustomer,
		"ce_subject": id, "ce_time": "2026-03-01T10:00:00Z", "content-type": "application/json",
		"ce_schemaversion": "1", "traceparent": tp,
	}
	for k, v := range want {
		if got := kafkatest.Header(rec, k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if string(rec.Key) != id || string(rec.Value) != string(msg.Payload) {
		t.Fatalf("record key %q value %s", rec.Key, rec.Value)
	}
}

func TestOneCustomersEventsStayInOrder(t *testing.T) {
	e := setup(t)
	prefix := kafkatest.Name("ord")
	var msgs []event.Message
	for v := int64(1); v <= 10; v++ {
		for c := range 5 {
			msgs = append(msgs, onboarded(t, fmt.Sprintf("%s-%d", prefix, c), v, ""))
		}
	}
	publish(t, e, msgs[:25]...)
	publish(t, e, msgs[25:]...)
	got := readTopic(t, e, e.topic, prefix, len(msgs))
	last := map[string]int64{}
	partition := map[string]int{}
	for _, r := range got {
		m, err := e.cfg.Decode(r)
		if err != nil {
			t.Fatal(err)
		}
		v := m.Data.(event.Onboarded).Customer.Version
		key := string(r.Key)
		if v != last[key]+1 {
			t.Fatalf("customer %s: version %d after %d", key, v, last[key])
		}
		if p, ok := partition[key]; ok && p != r.Partition {
			t.Fatalf("customer %s spread over partitions %d and %d", key, p, r.Partition)
		}
		last[key], partition[key] = v, r.Partition
	}
}

func TestAServiceCannotPublishToATopicItDoesNotOwn(t *testing.T) {
	e := setup(t)
	p := kafka.NewPublisher(e.cfg, []string{e.typ}, quiet)
	defer p.Close()
	id := kafkatest.Name("own")
	foreign := onboarded(t, id, 2, "")
	foreign.Type = event.TopicNotificationSent
	n, err := p.Publish(context.Background(), []event.Message{onboarded(t, id, 1, ""), foreign, onboarded(t, id, 3, "")})
	if n != 1 || fault.KindOf(err) != fault.Invalid {
		t.Fatalf("Publish = %d, %v; want the first message only and an invalid error", n, err)
	}
	if got := readTopic(t, e, e.topic, id, 1); string(got[0].Key) != id {
		t.Fatalf("records = %+v", got)
	}
}

func TestTheConsumerCommitsEachMessageAfterHandlingIt(t *testing.T) {
	e := setup(t)
	prefix := kafkatest.Name("commit")
	var msgs []event.Message
	for i := range 5 {
		msgs = append(msgs, onboarded(t, fmt.Sprintf("%s-%d", prefix, i), 1, ""))
	}
	publish(t, e, msgs...)
	first := &recorder{}
	run := start(t, e, first.handle, nil)
	waitFor(t, "five messages", func() bool { return first.count() >= 5 })
	// Handled, then committed: a rebalance of the group meanwhile (kafka-go
	// rejoining) may redeliver, so wait for the commits to cover the five
	// before stopping.
	waitFor(t, "the five offsets committed", func() bool {
		sum := int64(0)
		for p := range e.cfg.Partitions {
			sum += max(committed(t, e, p), 0)
		}
		return sum == 5
	})
	run.stop(t)

	publish(t, e, onboarded(t, prefix+"-late", 1, ""))
	second := &recorder{}
	start(t, e, second.handle, nil)
	waitFor(t, "the late message", func() bool { return second.count() >= 1 })
	if n := second.count(); n != 1 || second.seen[0].Subject != prefix+"-late" {
		t.Fatalf("after a restart the group got %d messages (%v), want only the new one", n, second.seen)
	}
}

func TestRecordsWrittenAsTheOriginalWritesThemAreHandled(t *testing.T) {
	e := setup(t)
	id := strconv.FormatInt(time.Now().UnixMilli(), 10) // the original's ids are Date.now()
	value := []byte(`{"customerId":"` + id + `","customer":{"id":"` + id + `","name":"Ana","email":"ana@example.com",` +
		`"phone":"+34600111222","status":"onboarded","createdAt":"2026-03-01T10:00:00.000Z"},"timestamp":"2026-03-01T10:00:00.000Z"}`)
	// kafkajs: JSON value, key = customerId, no headers. The same record
	// twice, as a producer retry would write it.
	record := kafkago.Message{Topic: e.topic, Key: []byte(id), Value: value}
	kafkatest.WriteRecords(t, e.cfg.Brokers, record, record)
	h := &recorder{}
	start(t, e, h.handle, nil)
	waitFor(t, "both copies", func() bool { return h.count() == 2 })
	for _, got := range h.seen {
		want := kafka.OriginalID(event.TopicOnboarded, []byte(id), value)
		if got.ID != want || !got.Original() || got.Subject != id || got.Type != event.TopicOnboarded {
			t.Fatalf("event = %+v, want id %s", got.Metadata, want)
		}
		if c := got.Data.(event.Onboarded).Customer; c.Email != "ana@example.com" || c.Version != 0 {
			t.Fatalf("snapshot = %+v", c)
		}
	}
}

func TestTransientFailuresAreRetriedUntilTheyPass(t *testing.T) {
	e := setup(t)
	id := kafkatest.Name("retry")
	obs := &observer{}
	h := &recorder{fail: func(_ event.Event, attempt int) error {
		if attempt < 3 {
			return fault.Unavailablef("database busy")
		}
		return nil
	}}
	publish(t, e, onboarded(t, id, 1, ""))
	start(t, e, h.handle, obs)
	waitFor(t, "the retried message", func() bool { return h.count() == 1 })
	waitFor(t, "the observation", func() bool { return obs.get(kafka.OutcomeHandled) == 1 })
	if obs.lastAttempts.Load() != 3 {
		t.Fatalf("attempts = %d, want 3", obs.lastAttempts.Load())
	}
}

func TestDeadLetters(t *testing.T) {
	tests := []struct {
		name     string
		fail     func(event.Event, int) error
		raw      func(id string) *kafkago.Message
		kind     string
		attempts string
		outcome  kafka.Outcome // what the consumer counts; dead_lettered if empty
	}{
		{"permanent failures go to the dead-letter topic at once",
			func(event.Event, int) error { return fault.Invalidf("unknown tier") }, nil, "invalid", "1", ""},
		{"a panicking handler is retried, then dead-lettered",
			func(event.Event, int) error { panic("nil map") }, nil, "panic", "3", kafka.OutcomePanicked},
		{"a payload that is not JSON is dead-lettered without handling",
			nil, func(id string) *kafkago.Message {
				return &kafkago.Message{Key: []byte(id), Value: []byte("{not json"), Headers: []kafkago.Header{
					{Key: "ce_specversion", Value: []byte("1.0")}, {Key: "ce_id", Value: []byte("poison-" + id)},
					{Key: "ce_type", Value: []byte(event.TopicOnboarded)}, {Key: "ce_source", Value: []byte(event.SourceCustomer)},
					{Key: "ce_time", Value: []byte("2026-03-01T10:00:00Z")}}}
			}, "invalid", "0", ""},
		{"a well-formed event from a source that does not own the topic is dead-lettered without handling",
			nil, func(id string) *kafkago.Message {
				return &kafkago.Message{Key: []byte(id), Value: []byte(`{"customerId":"` + id + `","customer":{"id":"` + id +
					`","name":"Ana","version":1},"timestamp":"2026-03-01T10:00:00Z"}`), Headers: []kafkago.Header{
					{Key: "ce_specversion", Value: []byte("1.0")}, {Key: "ce_id", Value: []byte("forged-" + id)},
					{Key: "ce_type", Value: []byte(event.TopicOnboarded)}, {Key: "ce_source", Value: []byte("service-intruder")},
					{Key: "ce_time", Value: []byte("2026-03-01T10:00:00Z")}}}
			}, "invalid", "0", kafka.OutcomeUntrusted},
		{"a record without CloudEvents headers that is not the original's message is dead-lettered without handling",
			nil, func(id string) *kafkago.Message { return &kafkago.Message{Key: []byte(id), Value: []byte(`{}`)} }, "invalid", "0", ""},
		{"a record with some CloudEvents headers but not all is dead-lettered without handling",
			nil, func(id string) *kafkago.Message {
				return &kafkago.Message{Key: []byte(id), Value: []byte(`{"customerId":"` + id + `","customer":{"id":"` + id +
					`"},"timestamp":"2026-03-01T10:00:00Z"}`), Headers: []kafkago.Header{{Key: "ce_id", Value: []byte("poison-" + id)}}}
			}, "invalid", "0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			id := kafkatest.Name("dlt")
			bad := &recorder{fail: tt.fail}
			obs := &observer{}
			if tt.raw != nil {
				r := tt.raw(id)
				r.Topic = e.topic
				kafkatest.WriteRecords(t, e.cfg.Brokers, *r)
			} else {
				publish(t, e, onboarded(t, id, 1, ""))
			}
			// A later message for the same customer (so on the same
			// partition) must still be handled.
			good := onboarded(t, id, 2, "")
			publish(t, e, good)
			h := &recorder{fail: func(ev event.Event, n int) error {
				if ev.ID == good.ID {
					return nil
				}
				if bad.fail == nil {
					t.Errorf("a poison message reached the handler: %+v", ev)
					return nil
				}
				return bad.fail(ev, n)
			}}
			start(t, e, h.handle, obs)
			waitFor(t, "the later message", func() bool { return h.count() >= 1 })
			dead := readTopic(t, e, e.topic+event.DeadLetterSuffix, id, 1)[0]
			if kafkatest.Header(dead, "dlt-original-topic") != e.topic || kafkatest.Header(dead, "dlt-error-kind") != tt.kind ||
				kafkatest.Header(dead, "dlt-attempts") != tt.attempts || kafkatest.Header(dead, "dlt-error") == "" ||
				kafkatest.Header(dead, "dlt-consumer-group") != e.cfg.GroupID || kafkatest.Header(dead, "dlt-original-partition") == "" {
				t.Fatalf("dead letter headers = %+v", dead.Headers)
			}
			if _, err := strconv.ParseInt(kafkatest.Header(dead, "dlt-original-offset"), 10, 64); err != nil {
				t.Fatalf("dlt-original-offset: %v", err)
			}
			if string(dead.Key) != id {
				t.Fatalf("dead letter key = %q", dead.Key)
			}
			outcome := tt.outcome // a bug or a forgery is counted apart
			if outcome == "" {
				outcome = kafka.OutcomeDeadLettered
			}
			waitFor(t, "the dead-letter observation", func() bool { return obs.get(outcome) == 1 })
		})
	}
}

// keyOn returns a key of prefix that the publisher places on partition.
func keyOn(prefix string, partition, partitions int) string {
	all := make([]int, partitions)
	for i := range all {
		all[i] = i
	}
	for i := 0; ; i++ {
		k := fmt.Sprintf("%s-%d", prefix, i)
		if (kafkago.Murmur2Balancer{}).Balance(kafkago.Message{Key: []byte(k)}, all...) == partition {
			return k
		}
	}
}

// failingWhile is a recorder whose handler fails for the key stuck, with
// an infrastructure fault, while down holds.
func failingWhile(stuck string, down *atomic.Bool) *recorder {
	return &recorder{fail: func(ev event.Event, _ int) error {
		if ev.Subject == stuck && down.Load() {
			return errors.New("database is locked") // unclassified: infrastructure
		}
		return nil
	}}
}

func TestAnInfrastructureFaultHoldsOnlyItsPartitionUntilItClears(t *testing.T) {
	e := setup(t)
	prefix := kafkatest.Name("held")
	stuck, free := keyOn(prefix, 0, e.cfg.Partitions), keyOn(prefix, 1, e.cfg.Partitions)
	var down atomic.Bool
	down.Store(true)
	h := failingWhile(stuck, &down)
	c := kafka.NewConsumer(e.cfg, []string{e.typ}, h.handle, nil, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = c.Close()
	})
	blocked, after := onboarded(t, stuck, 1, ""), onboarded(t, stuck, 2, "")
	publish(t, e, blocked, after, onboarded(t, free, 1, ""))
	waitFor(t, "the other partition to flow and the stuck one to be held", func() bool {
		held := c.Held()
		return h.count() == 1 && len(held) == 1 && held[0].Partition == 0 && strings.Contains(held[0].Reason, "locked")
	})
	if h.seen[0].Subject != free {
		t.Fatalf("handled %+v while its partition was held", h.seen[0])
	}
	down.Store(false)
	waitFor(t, "the held partition to catch up, in order", func() bool { return h.count() == 3 && len(c.Held()) == 0 })
	if h.seen[1].ID != blocked.ID || h.seen[2].ID != after.ID {
		t.Fatalf("order after the hold: %v, %v", h.seen[1].ID, h.seen[2].ID)
	}
	assertNoDeadLetters(t, e)
}

func TestANewerSchemaWaitsInsteadOfBeingDeadLettered(t *testing.T) {
	e := setup(t)
	id := kafkatest.Name("newer")
	newer := onboarded(t, id, 2, "")
	newer.Version = event.SchemaVersion(event.TopicOnboarded) + 1
	// One key, so one partition: the event after the newer one waits too.
	publish(t, e, onboarded(t, id, 1, ""), newer, onboarded(t, id, 3, ""))
	h := &recorder{}
	c := kafka.NewConsumer(e.cfg, []string{e.typ}, h.handle, nil, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var held []kafka.Hold
	waitFor(t, "the partition to be held", func() bool {
		held = c.Held()
		return len(held) == 1 && strings.Contains(held[0].Reason, "newer")
	})
	cancel()
	<-done
	_ = c.Close()
	if h.count() != 1 || h.seen[0].Data.(event.Onboarded).Customer.Version != 1 {
		t.Fatalf("handled %v, want only the event before the newer one", h.seen)
	}
	assertNoDeadLetters(t, e)
	// Nothing is committed past it, so an upgraded consumer starts there.
	if got := committed(t, e, held[0].Partition); got != held[0].Offset {
		t.Fatalf("the group committed offset %d, the held record is at %d", got, held[0].Offset)
	}
}

// committed returns the offset the test's group committed for partition.
func committed(t *testing.T, e env, partition int) int64 {
	t.Helper()
	transport := &kafkago.Transport{TLS: e.cfg.TLS, SASL: e.cfg.SASL}
	defer transport.CloseIdleConnections()
	client := &kafkago.Client{Addr: kafkago.TCP(e.cfg.Brokers...), Timeout: 10 * time.Second, Transport: transport}
	resp, err := client.OffsetFetch(context.Background(), &kafkago.OffsetFetchRequest{
		GroupID: e.cfg.GroupID, Topics: map[string][]int{e.topic: {partition}}})
	if err != nil || resp.Error != nil {
		t.Fatalf("offset fetch: %v %v", err, resp)
	}
	for _, p := range resp.Topics[e.topic] {
		if p.Partition == partition {
			if p.Error != nil {
				t.Fatal(p.Error)
			}
			return p.CommittedOffset
		}
	}
	t.Fatalf("no offset for partition %d", partition)
	return 0
}

// assertNoDeadLetters checks that the test's dead-letter topic is empty.
func assertNoDeadLetters(t *testing.T, e env) {
	t.Helper()
	dialer := &kafkago.Dialer{Timeout: 10 * time.Second, TLS: e.cfg.TLS, SASLMechanism: e.cfg.SASL}
	offsets := func(p int) (first, last int64, err error) {
		c, err := dialer.DialLeader(context.Background(), "tcp", e.cfg.Brokers[0], e.topic+event.DeadLetterSuffix, p)
		if err != nil {
			return 0, 0, err
		}
		defer c.Close()
		return c.ReadOffsets()
	}
	for p := range e.cfg.Partitions {
		// A topic created a moment ago may name a leader in its metadata
		// that does not serve it yet (Not Leader For Partition): poll.
		deadline := time.Now().Add(10 * time.Second)
		first, last, err := offsets(p)
		for errors.Is(err, kafkago.NotLeaderForPartition) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond) // polling interval
			first, last, err = offsets(p)
		}
		if err != nil || last != first {
			t.Fatalf("dead-letter partition %d holds %d records (%v)", p, last-first, err)
		}
	}
}

func TestAMessageWaitingToBeRetriedAtShutdownIsDeliveredAgain(t *testing.T) {
	e := setup(t)
	e.cfg.RetryBackoff = backoff.Policy{Min: time.Hour, Max: time.Hour}
	id := kafkatest.Name("shutdown")
	failed := make(chan struct{}, 1)
	h := &recorder{fail: func(event.Event, int) error {
		select {
		case failed <- struct{}{}:
		default:
		}
		return fault.Unavailablef("down")
	}}
	publish(t, e, onboarded(t, id, 1, ""))
	run := start(t, e, h.handle, nil)
	<-failed
	run.stop(t) // interrupts the hour-long wait, leaves the offset uncommitted

	again := &recorder{}
	start(t, e, again.handle, nil)
	waitFor(t, "redelivery", func() bool { return again.count() == 1 })
}

func TestTheTraceContextTravelsWithTheEvent(t *testing.T) {
	e := setup(t)
	id := kafkatest.Name("trace")
	tp := newTraceParent()
	m := onboarded(t, id, 1, tp)
	m.TraceState = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
	publish(t, e, m)
	h := &recorder{}
	start(t, e, h.handle, nil)
	waitFor(t, "the message", func() bool { return h.count() == 1 })
	got := h.traces[0]
	if got.Parent[3:35] != tp[3:35] || got.Parent == tp {
		t.Fatalf("handler trace %q, published %q: want the same trace, a new span", got.Parent, tp)
	}
	if h.seen[0].TraceState != m.TraceState || got.State != m.TraceState {
		t.Fatalf("tracestate %q in the event and %q in the handler's context, want %q", h.seen[0].TraceState, got.State, m.TraceState)
	}
}

type observer struct {
	mu           sync.Mutex
	outcomes     map[kafka.Outcome]int
	lastAttempts atomic.Int64
}

func (o *observer) Handled(_ string, out string, attempts int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.outcomes == nil {
		o.outcomes = map[kafka.Outcome]int{}
	}
	o.outcomes[kafka.Outcome(out)]++
	o.lastAttempts.Store(int64(attempts))
}

func (o *observer) get(out kafka.Outcome) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.outcomes[out]
}

// TestDeadLettersAreListedAndRedrivenOnceTheCauseIsFixed: a message refused
// for good (a bug, say) is dead-lettered; after the fix, the operator lists
// the dead letters and replays them, and the consumer handles them.
func TestDeadLettersAreListedAndRedrivenOnceTheCauseIsFixed(t *testing.T) {
	e := setup(t)
	id := kafkatest.Name("redrive")
	bad := onboarded(t, id, 1, "")
	publish(t, e, bad)
	var fixed atomic.Bool
	h := &recorder{fail: func(ev event.Event, _ int) error {
		if !fixed.Load() {
			return fault.Invalidf("customer.tier is not known")
		}
		return nil
	}}
	start(t, e, h.handle, nil)
	dead := kafka.NewDeadLetters(e.cfg, quiet)
	var letters []kafka.DeadLetter
	waitFor(t, "the dead letter", func() bool {
		var err error
		letters, err = kafkatest.DeadLetters(context.Background(), e.cfg, e.typ)
		return err == nil && len(letters) == 1
	})
	l := letters[0]
	if l.Topic != e.typ || l.Group != e.cfg.GroupID || l.Kind != "invalid" || !strings.Contains(l.Error, "tier") ||
		l.Attempts != 1 || l.FailedAt.IsZero() || string(l.Key) != id || kafkatest.Header(kafkago.Message{Headers: l.Headers}, "ce_id") != bad.ID {
		t.Fatalf("dead letter = %+v", l)
	}
	for _, h := range l.Headers {
		if strings.HasPrefix(h.Key, "dlt-") {
			t.Fatalf("the replay would carry %s", h.Key)
		}
	}
	fixed.Store(true)
	if n, err := dead.Replay(context.Background(), letters); err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v", n, err)
	}
	waitFor(t, "the replayed message", func() bool { return h.count() == 1 })
	if h.seen[0].ID != bad.ID {
		t.Fatalf("handled %+v", h.seen[0])
	}
}

func TestWithinAPartitionOtherCustomersFlowPastOneThatWaits(t *testing.T) {
	e := setup(t)
	prefix := kafkatest.Name("lanes")
	stuck, free := keyOn(prefix+"-a", 0, e.cfg.Partitions), keyOn(prefix+"-b", 0, e.cfg.Partitions)
	var down atomic.Bool
	down.Store(true)
	h := failingWhile(stuck, &down)
	obs := &observer{}
	start(t, e, h.handle, obs)
	a1, b1, b2, a2 := onboarded(t, stuck, 1, ""), onboarded(t, free, 1, ""), onboarded(t, free, 2, ""), onboarded(t, stuck, 2, "")
	publish(t, e, a1, b1, b2, a2)
	waitFor(t, "the other customer's records to pass the waiting one", func() bool { return h.count() == 2 })
	// Nothing is settled below the waiting record: the whole partition
	// counts as the group's lag, as the brokers report it.
	waitFor(t, "the lag to count the four records", func() bool { return groupLag(t, e, 0) == 4 })
	if h.seen[0].ID != b1.ID || h.seen[1].ID != b2.ID {
		t.Fatalf("handled %v, %v; want the free customer's two, in order", h.seen[0].ID, h.seen[1].ID)
	}
	// The first record (offset 0) is not settled: nothing past it may be
	// committed, or a crash now would lose it.
	if got := committed(t, e, 0); got > 0 {
		t.Fatalf("committed offset %d past the waiting record at 0", got)
	}
	down.Store(false)
	waitFor(t, "the waiting customer's records, in order", func() bool { return h.count() == 4 })
	if h.seen[2].ID != a1.ID || h.seen[3].ID != a2.ID {
		t.Fatalf("after the wait: %v, %v; want %v, %v", h.seen[2].ID, h.seen[3].ID, a1.ID, a2.ID)
	}
	waitFor(t, "the offset to pass every record", func() bool { return committed(t, e, 0) == 4 })
	waitFor(t, "the lag to drop to nothing", func() bool { return groupLag(t, e, 0) == 0 })
}

func TestAPartitionHandlesAtMostItsConcurrencyAtOnce(t *testing.T) {
	e := setup(t)
	e.cfg.Concurrency = 4
	prefix := kafkatest.Name("bound")
	var mu sync.Mutex
	inflight, most, handled := 0, 0, 0
	gate := make(chan struct{})
	var open sync.Once
	h := func(context.Context, event.Event) error {
		mu.Lock()
		inflight++
		most = max(most, inflight)
		if inflight == e.cfg.Concurrency {
			open.Do(func() { close(gate) }) // the bound is reached: let everyone through
		}
		mu.Unlock()
		<-gate
		mu.Lock()
		inflight--
		handled++
		mu.Unlock()
		return nil
	}
	start(t, e, h, nil)
	var msgs []event.Message
	for i := range 20 {
		msgs = append(msgs, onboarded(t, keyOn(fmt.Sprintf("%s-%d", prefix, i), 0, e.cfg.Partitions), 1, ""))
	}
	publish(t, e, msgs...)
	waitFor(t, "every record, four at a time", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return handled == len(msgs)
	})
	if most != e.cfg.Concurrency {
		t.Fatalf("at most %d records were in hand at once, want %d", most, e.cfg.Concurrency)
	}
}

func TestRecordsWaitingBetweenRetriesBoundWhatIsInHandButNotWhatIsHandled(t *testing.T) {
	tests := []struct {
		name string
		// inHand bounds what is fetched and not settled; three customers
		// wait, one at a time handled (Concurrency 1).
		inHand int
		// passes says whether the other customers' records are handled
		// while the three wait.
		passes bool
	}{
		{name: "with room in hand, other customers pass the waiting ones", inHand: 16, passes: true},
		{name: "with every record in hand waiting, fetching waits too", inHand: 3, passes: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			e.cfg.Concurrency, e.cfg.InHand = 1, tt.inHand
			prefix := kafkatest.Name("slots")
			var down atomic.Bool
			down.Store(true)
			stuck := map[string]bool{}
			var msgs []event.Message
			for i := range 3 {
				id := keyOn(fmt.Sprintf("%s-stuck%d", prefix, i), 0, e.cfg.Partitions)
				stuck[id] = true
				msgs = append(msgs, onboarded(t, id, 1, ""))
			}
			for i := range 5 {
				msgs = append(msgs, onboarded(t, keyOn(fmt.Sprintf("%s-free%d", prefix, i), 0, e.cfg.Partitions), 1, ""))
			}
			h := &recorder{fail: func(ev event.Event, _ int) error {
				if stuck[ev.Subject] && down.Load() {
					return fault.Unavailablef("the email provider is down")
				}
				return nil
			}}
			start(t, e, h.handle, nil)
			publish(t, e, msgs...)
			if tt.passes {
				waitFor(t, "the five other customers while three wait", func() bool { return h.count() == 5 })
			} else {
				waitFor(t, "each waiting customer to be retried", func() bool {
					h.mu.Lock()
					defer h.mu.Unlock()
					for _, m := range msgs[:3] {
						if h.tries[m.ID] < 3 {
							return false
						}
					}
					return true
				})
				if n := h.count(); n != 0 {
					t.Fatalf("%d records were handled past %d waiting ones in hand", n, tt.inHand)
				}
			}
			down.Store(false)
			waitFor(t, "every record", func() bool { return h.count() == len(msgs) })
			waitFor(t, "the offset to pass every record", func() bool { return committed(t, e, 0) == int64(len(msgs)) })
		})
	}
}

func TestAStopFinishesTheRecordInHandAndLeavesTheQueuedOnesToTheNextOwner(t *testing.T) {
	e := setup(t)
	id := keyOn(kafkatest.Name("stop"), 0, e.cfg.Partitions)
	var msgs []event.Message
	for v := range 10 {
		msgs = append(msgs, onboarded(t, id, int64(v+1), ""))
	}
	publish(t, e, msgs...)
	inHand, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	h := func(context.Context, event.Event) error {
		if calls.Add(1) == 1 {
			close(inHand)
			<-release // the first record is in hand when the stop comes
		}
		return nil
	}
	run := start(t, e, h, nil)
	<-inHand
	run.cancel()
	close(release)
	select {
	case <-run.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the consumer did not stop")
	}
	run.cancel = nil
	if err := run.c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("the handler ran %d times after the stop; want only the record in hand finished", n)
	}
	// The record in hand was settled and committed; the nine behind it go
	// to the next owner.
	next := &recorder{}
	start(t, e, next.handle, nil)
	waitFor(t, "the nine queued records", func() bool { return next.count() == 9 })
	if next.seen[0].ID != msgs[1].ID {
		t.Fatalf("the next owner began with %s, want the second record %s", next.seen[0].ID, msgs[1].ID)
	}
}

func TestAPoisonRecordTooLargeForItsDeadLetterCopyIsDeadLetteredWithoutItsValue(t *testing.T) {
	e := setup(t)
	id := kafkatest.Name("huge")
	// Close to the broker's and the writer's limit (1 MiB): the copy's
	// headers would push it over.
	huge := kafkago.Message{Topic: e.topic, Key: []byte(id),
		Value: []byte(`{"customerId":"` + id + `","junk":"` + strings.Repeat("x", 1<<20-400) + `"}`)}
	kafkatest.WriteRecords(t, e.cfg.Brokers, huge)
	good := onboarded(t, id, 1, "")
	publish(t, e, good)
	h := &recorder{}
	start(t, e, h.handle, nil)
	waitFor(t, "the record behind the poison one", func() bool { return h.count() == 1 })
	dead := readTopic(t, e, e.topic+event.DeadLetterSuffix, id, 1)[0]
	if len(dead.Value) != 0 || kafkatest.Header(dead, kafka.HeaderDropped) != "value" {
		t.Fatalf("dead letter of %d bytes, %s = %q; want no value, and the header saying so", len(dead.Value),
			kafka.HeaderDropped, kafkatest.Header(dead, kafka.HeaderDropped))
	}
	if kafkatest.Header(dead, "dlt-original-offset") == "" || kafkatest.Header(dead, "dlt-error") == "" ||
		len(kafkatest.Header(dead, "dlt-error")) > 1100 {
		t.Fatalf("dead letter headers = %v", dead.Headers)
	}
	letters, err := kafkatest.DeadLetters(context.Background(), e.cfg, e.typ)
	if err != nil || len(letters) != 1 || letters[0].Dropped != "value" {
		t.Fatalf("List = %+v, %v", letters, err)
	}
	if _, err := kafka.NewDeadLetters(e.cfg, quiet).Replay(context.Background(), letters); fault.KindOf(err) != fault.Conflict {
		t.Fatalf("replaying a dead letter without its value: %v, want a conflict", err)
	}
}

func TestAPartitionWhoseDeadLetterCannotBeWrittenIsReportedAsHeld(t *testing.T) {
	e := setup(t)
	// Another topic, whose dead-letter topic does not exist yet.
	e.typ, e.topic = event.TopicActivated, e.cfg.TopicPrefix+event.TopicActivated
	admin := kafka.NewAdmin(e.cfg, quiet)
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := admin.EnsureTopics(ctx, []string{e.typ}, nil); err != nil {
		t.Fatal(err)
	}
	id := kafkatest.Name("nodlt")
	kafkatest.WriteRecords(t, e.cfg.Brokers, kafkago.Message{Topic: e.topic, Key: []byte(id), Value: []byte(`{}`)})
	run := start(t, e, (&recorder{}).handle, nil)
	waitFor(t, "the partition to be reported as held", func() bool {
		held := run.c.Held()
		return len(held) == 1 && strings.Contains(held[0].Reason, "dead-letter")
	})
	if err := admin.EnsureTopics(ctx, []string{e.typ + event.DeadLetterSuffix}, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the hold to end once the dead letter is written", func() bool { return len(run.c.Held()) == 0 })
	readTopic(t, e, e.topic+event.DeadLetterSuffix, id, 1)
}

func TestEveryBootstrapBrokerIsTriedWhenTheFirstIsDown(t *testing.T) {
	e := setup(t)
	// A broker that is down: nothing listens on port 1 (tcpmux) of this
	// machine, and no test can take it, so the connection is refused.
	live := e // the test reads and writes on the broker that is up
	e.cfg.Brokers = append([]string{"127.0.0.1:1"}, e.cfg.Brokers...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := kafka.NewAdmin(e.cfg, quiet)
	defer admin.Close()
	if err := admin.WaitReachable(ctx); err != nil {
		t.Fatalf("WaitReachable: %v", err)
	}
	if err := admin.EnsureTopics(ctx, []string{e.typ, e.typ + event.DeadLetterSuffix}, nil); err != nil {
		t.Fatalf("EnsureTopics: %v", err)
	}
	id := kafkatest.Name("bootstrap")
	kafkatest.WriteRecords(t, live.cfg.Brokers, kafkago.Message{Topic: e.topic, Key: []byte(id), Value: []byte(`{}`)})
	h := &recorder{}
	start(t, e, h.handle, nil)
	readTopic(t, live, e.topic+event.DeadLetterSuffix, id, 1) // the consumer's dead-letter writer got through
	letters, err := kafkatest.DeadLetters(ctx, e.cfg, e.typ)
	if err != nil || len(letters) != 1 {
		t.Fatalf("List = %d letters, %v", len(letters), err)
	}
	publish(t, live, onboarded(t, id, 1, ""))
	waitFor(t, "a record handled", func() bool { return h.count() == 1 })
}

func TestARecordWithoutHeadersIsTrustedOnlyOnTheTopicsTheOriginalWrites(t *testing.T) {
	for _, tt := range []struct {
		name     string
		original []string
		handled  bool
	}{
		{"on a topic the original writes, it is the original's", []string{event.TopicOnboarded}, true},
		{"once the original is gone, it is untrusted", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t)
			e.cfg.OriginalTopics = tt.original
			id := kafkatest.Name("headerless")
			kafkatest.WriteRecords(t, e.cfg.Brokers, kafkago.Message{Topic: e.topic, Key: []byte(id), Value: []byte(`{"customerId":"` + id +
				`","customer":{"id":"` + id + `","name":"Ana","email":"ana@example.com"},"timestamp":"2026-03-01T10:00:00.000Z"}`)})
			publish(t, e, onboarded(t, id, 1, "")) // behind it, for the same customer
			h, obs := &recorder{}, &observer{}
			start(t, e, h.handle, obs)
			if tt.handled {
				waitFor(t, "both records", func() bool { return h.count() == 2 })
				return
			}
			waitFor(t, "the record behind it", func() bool { return h.count() == 1 })
			waitFor(t, "the headerless record counted as untrusted", func() bool { return obs.get(kafka.OutcomeUntrusted) == 1 })
			dead := readTopic(t, e, e.topic+event.DeadLetterSuffix, id, 1)[0]
			if !strings.Contains(kafkatest.Header(dead, "dlt-error"), "KAFKA_ORIGINAL_TOPICS") {
				t.Fatalf("dlt-error = %q", kafkatest.Header(dead, "dlt-error"))
			}
		})
	}
}

// groupLag is the lag of the test's group on one partition, as the brokers
// report it; -1 when they report none.
func groupLag(t *testing.T, e env, partition int) int64 {
	t.Helper()
	admin := kafka.NewAdmin(e.cfg, quiet)
	defer admin.Close()
	lags, err := admin.GroupLag(context.Background(), e.cfg.GroupID, []string{e.typ})
	if err != nil {
		// A topic just created may not have its leaders yet (Not Leader
		// For Partition): the caller polls until its deadline.
		t.Logf("group lag: %v", err)
		return -1
	}
	for _, l := range lags {
		if l.Partition == partition && l.Topic == e.typ {
			return l.Lag
		}
	}
	return -1
}

func TestTheLagOfAGroupWithNoMemberIsCountedFromWhatItCommitted(t *testing.T) {
	e := setup(t)
	id := keyOn(kafkatest.Name("idle"), 1, e.cfg.Partitions)
	publish(t, e, onboarded(t, id, 1, ""), onboarded(t, id, 2, ""))
	// Nobody consumes yet: the group reads from the start, so both count.
	waitFor(t, "the lag of a group that never ran", func() bool { return groupLag(t, e, 1) == 2 })
	h := &recorder{}
	run := start(t, e, h.handle, nil)
	waitFor(t, "both handled", func() bool { return h.count() == 2 })
	waitFor(t, "the lag to drop to nothing", func() bool { return groupLag(t, e, 1) == 0 })
	run.stop(t)
	publish(t, e, onboarded(t, id, 3, "")) // while the service is down
	waitFor(t, "the lag of a group whose members are gone", func() bool { return groupLag(t, e, 1) == 1 })
}

// newTraceParent is the traceparent of a new trace, sampled.
func newTraceParent() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-01"
}
