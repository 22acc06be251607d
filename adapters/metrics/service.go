package metrics

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/ports"
)

// Latency buckets in seconds, from a fast SQLite write to a slow retry.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Service records one service's metrics.
type Service struct {
	reg         *Registry
	requests    *Counter
	reqLatency  *Histogram
	handled     *Counter
	attempts    *Counter
	handleTime  *Histogram
	published   *Counter
	publishFail *Counter
}

// NewService returns the metrics of a service.
func NewService() *Service {
	reg := NewRegistry()
	s := &Service{
		reg:         reg,
		requests:    reg.Counter("http_requests_total", "HTTP requests by route and status.", "method", "route", "status"),
		reqLatency:  reg.Histogram("http_request_duration_seconds", "HTTP request latency.", latencyBuckets, "method", "route"),
		handled:     reg.Counter("kafka_messages_total", "Consumed messages by topic and outcome (handled, dead_lettered, panicked).", "topic", "outcome"),
		attempts:    reg.Counter("kafka_handle_attempts_total", "Handling attempts, retries included.", "topic"),
		handleTime:  reg.Histogram("kafka_message_duration_seconds", "Time from fetch to settling a message.", latencyBuckets, "topic"),
		published:   reg.Counter("events_published_total", "Events published to Kafka by topic.", "topic"),
		publishFail: reg.Counter("events_publish_failures_total", "Publish calls that failed (retried by the relay).", "topic"),
	}
	reg.GaugeFunc("go_goroutines", "Goroutines.", func() float64 { return float64(runtime.NumGoroutine()) })
	reg.GaugeFunc("go_memstats_heap_alloc_bytes", "Heap bytes in use.", func() float64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc)
	})
	return s
}

// Handler serves the metrics.
func (s *Service) Handler() http.Handler { return s.reg }

// Request records an HTTP request (rest.Observer).
func (s *Service) Request(method, route string, status int, took time.Duration) {
	s.requests.Inc(method, route, strconv.Itoa(status))
	s.reqLatency.Observe(took.Seconds(), method, route)
}

// HeldPartitions reports, on each scrape, how many partitions wait on a
// message they cannot handle yet and for how long the oldest has waited.
func (s *Service) HeldPartitions(held func() (count int, oldest time.Duration)) {
	s.reg.GaugeFunc("kafka_held_partitions", "Partitions held by a message that cannot be handled yet.", func() float64 {
		n, _ := held()
		return float64(n)
	})
	s.reg.GaugeFunc("kafka_held_partition_max_age_seconds", "How long the oldest held partition has waited.", func() float64 {
		_, oldest := held()
		return oldest.Seconds()
	})
}

// Handled records a consumed message (kafka.Observer).
func (s *Service) Handled(topic, outcome string, attempts int, took time.Duration) {
	s.handled.Inc(topic, outcome)
	s.attempts.Add(float64(attempts), topic)
	s.handleTime.Observe(took.Seconds(), topic)
}

// OutboxBacklog reports the number of unpublished events on each scrape.
func (s *Service) OutboxBacklog(count func(context.Context) (int64, error)) {
	s.reg.GaugeFunc("outbox_pending_events", "Events committed but not yet published.", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := count(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
}

// Publisher wraps p to count what it publishes.
func (s *Service) Publisher(p ports.Publisher) ports.Publisher { return countingPublisher{p, s} }

type countingPublisher struct {
	next ports.Publisher
	s    *Service
}

func (c countingPublisher) Publish(ctx context.Context, msgs []event.Message) (int, error) {
	n, err := c.next.Publish(ctx, msgs)
	for _, m := range msgs[:n] {
		c.s.published.Inc(m.Type)
	}
	if err != nil && n < len(msgs) {
		c.s.publishFail.Inc(msgs[n].Type)
	}
	return n, err
}
