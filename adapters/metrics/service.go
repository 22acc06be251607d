// Package metrics records what each service does, with the Prometheus Go
// client: HTTP requests, consumed and dead-lettered messages, consumer lag,
// published events and how long publishing takes, the outbox backlog and
// its age, held partitions, and the standard process, Go runtime and build
// series.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/ports"
)

// Latency buckets in seconds, from a fast SQLite write to a slow retry.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// MaxSeries caps the label sets of one metric. Labels come from bounded
// sets (route patterns, known methods, statuses, topics), but a bug or a
// client must never grow memory and scrapes without bound: past the cap,
// new label sets share one series whose every label is "overflow".
const MaxSeries = 1000

// Service records one service's metrics in a registry of its own.
type Service struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	reqLatency *prometheus.HistogramVec
	// requestSeries and latencySeries admit the label sets requests bring.
	requestSeries, latencySeries *capper
	handled                      *prometheus.CounterVec
	deadLetters                  *prometheus.CounterVec
	attempts                     *prometheus.CounterVec
	handleTime                   *prometheus.HistogramVec
	published                    *prometheus.CounterVec
	publishFail                  *prometheus.CounterVec
	publishTime                  prometheus.Histogram
}

// NewService returns the metrics of a service, with the process, Go
// runtime and build series.
func NewService() *Service {
	reg := prometheus.NewRegistry()
	f := factory{reg}
	s := &Service{
		reg: reg,
		requests: f.counter("http_requests_total", "HTTP requests by method, route pattern and status.",
			"method", "route", "status"),
		reqLatency:    f.histogram("http_request_duration_seconds", "HTTP request latency.", "method", "route"),
		requestSeries: newCapper(), latencySeries: newCapper(),
		handled: f.counter("kafka_messages_total",
			"Consumed messages by topic and outcome (handled, dead_lettered, panicked, untrusted).", "topic", "outcome"),
		deadLetters: f.counter("kafka_dead_letters_total", "Messages written to a dead-letter topic, by original topic.", "topic"),
		attempts:    f.counter("kafka_handle_attempts_total", "Handling attempts, retries included.", "topic"),
		handleTime:  f.histogram("kafka_message_duration_seconds", "Time from fetch to settling a message.", "topic"),
		published:   f.counter("events_published_total", "Events published to Kafka by topic.", "topic"),
		publishFail: f.counter("events_publish_failures_total", "Publish calls that failed (retried by the relay).", "topic"),
		publishTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "relay_publish_duration_seconds",
			Help: "Time the relay takes to publish a batch and have it acknowledged.", Buckets: latencyBuckets}),
	}
	reg.MustRegister(s.publishTime, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector())
	return s
}

// factory makes vectors registered in one registry.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string, labels ...string) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(v)
	return v
}

func (f factory) histogram(name, help string, labels ...string) *prometheus.HistogramVec {
	v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: latencyBuckets}, labels)
	f.reg.MustRegister(v)
	return v
}

// capper admits label sets that come from outside: past MaxSeries of
// them, a new one is folded into the overflow series.
type capper struct {
	mu   sync.Mutex
	seen map[string]bool
}

func newCapper() *capper { return &capper{seen: map[string]bool{}} }

func (c *capper) admit(values ...string) []string {
	key := strings.Join(values, "\xff")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[key] || len(c.seen) < MaxSeries {
		c.seen[key] = true
		return values
	}
	over := make([]string, len(values))
	for i := range over {
		over[i] = "overflow"
	}
	return over
}

// Handler serves the metrics in the Prometheus text format.
func (s *Service) Handler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})
}

// Request records an HTTP request (rest.Observer).
func (s *Service) Request(method, route string, status int, took time.Duration) {
	s.requests.WithLabelValues(s.requestSeries.admit(method, route, strconv.Itoa(status))...).Inc()
	s.reqLatency.WithLabelValues(s.latencySeries.admit(method, route)...).Observe(took.Seconds())
}

// Handled records a consumed message (kafka.Observer).
func (s *Service) Handled(topic, outcome string, attempts int, took time.Duration) {
	s.handled.WithLabelValues(topic, outcome).Inc()
	if outcome != "handled" {
		s.deadLetters.WithLabelValues(topic).Inc()
	}
	s.attempts.WithLabelValues(topic).Add(float64(attempts))
	s.handleTime.WithLabelValues(topic).Observe(took.Seconds())
}

// GroupLag is how far a consumer group is behind on one partition.
type GroupLag struct {
	Topic     string
	Partition int
	Lag       int64
}

// lagFor is how long the brokers' answer is kept: several replicas
// scraped often must not load them.
const lagFor = 5 * time.Second

// ConsumerGroupLag reports, on each scrape, how far group is behind on
// each partition it consumes, as Kafka exporters name it:
// kafka_consumergroup_lag{consumergroup, topic, partition}. read asks the
// brokers, so that a partition no member holds (a service down) counts
// too; when they cannot say, the series are left out of the scrape.
func (s *Service) ConsumerGroupLag(group string, read func(ctx context.Context) ([]GroupLag, error)) {
	s.reg.MustRegister(&lagCollector{group: group, read: read, desc: prometheus.NewDesc("kafka_consumergroup_lag",
		"Records of a partition past the consumer group's committed offset, as the brokers report them.",
		[]string{"consumergroup", "topic", "partition"}, nil)})
}

type lagCollector struct {
	group string
	read  func(ctx context.Context) ([]GroupLag, error)
	desc  *prometheus.Desc
	mu    sync.Mutex
	last  []GroupLag
	at    time.Time
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > lagFor {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		lags, err := c.read(ctx)
		cancel()
		if err != nil {
			return
		}
		c.last, c.at = lags, time.Now()
	}
	for _, l := range c.last {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(l.Lag), c.group, l.Topic, strconv.Itoa(l.Partition))
	}
}

// HeldPartitions reports, on each scrape, how many partitions wait on a
// message they cannot handle yet and for how long the oldest has waited.
func (s *Service) HeldPartitions(held func() (count int, oldest time.Duration)) {
	s.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kafka_held_partitions",
			Help: "Partitions held by a message that cannot be handled yet."}, func() float64 {
			n, _ := held()
			return float64(n)
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kafka_held_partition_max_age_seconds",
			Help: "How long the oldest held partition has waited."}, func() float64 {
			_, oldest := held()
			return oldest.Seconds()
		}))
}

// Circuit reports, on each scrape, whether the circuit of the provider
// called name is open: provider_circuit_open{provider}, 1 while the
// provider is not tried.
func (s *Service) Circuit(name string, open func() bool) {
	s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "provider_circuit_open",
		Help:        "1 while a provider's circuit is open: most sends failed, and it is not tried for a while.",
		ConstLabels: prometheus.Labels{"provider": name}}, func() float64 {
		if open() {
			return 1
		}
		return 0
	}))
}

// Outbox reports, on each scrape, how many events wait to be published and
// how long the oldest has waited (0 when none does); -1 when the database
// cannot say.
func (s *Service) Outbox(count func(context.Context) (int64, error), oldest func(context.Context) (time.Duration, error)) {
	read := func(f func(ctx context.Context) (float64, error)) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			v, err := f(ctx)
			if err != nil {
				return -1
			}
			return v
		}
	}
	s.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "outbox_pending_events", Help: "Events committed but not yet published."},
			read(func(ctx context.Context) (float64, error) {
				n, err := count(ctx)
				return float64(n), err
			})),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "outbox_oldest_pending_age_seconds",
			Help: "How long the oldest unpublished event has waited."},
			read(func(ctx context.Context) (float64, error) {
				d, err := oldest(ctx)
				return d.Seconds(), err
			})))
}

// Publisher wraps p to count what it publishes and time each batch.
func (s *Service) Publisher(p ports.Publisher) ports.Publisher { return countingPublisher{p, s} }

type countingPublisher struct {
	next ports.Publisher
	s    *Service
}

func (c countingPublisher) Publish(ctx context.Context, msgs []event.Message) (int, error) {
	start := time.Now()
	n, err := c.next.Publish(ctx, msgs)
	c.s.publishTime.Observe(time.Since(start).Seconds())
	for _, m := range msgs[:n] {
		c.s.published.WithLabelValues(m.Type).Inc()
	}
	if err != nil && n < len(msgs) {
		c.s.publishFail.WithLabelValues(msgs[n].Type).Inc()
	}
	return n, err
}
