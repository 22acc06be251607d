// Package runner runs a service that its wiring (apps/<service>) built:
// given the service's tracer, store, use cases and router, it makes the
// platform's parts every service has (the Kafka admin, which waits for the
// broker and creates the topics, the publisher and the outbox relay, the
// consumer, the metrics, the HTTP server), runs them, and shuts them down
// in order.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/metrics"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/idempotency"
	"github.com/fintechlabs/customers/core/relay"
	"github.com/fintechlabs/customers/ports"
)

// Store is what the runner needs of a service's database, whatever the
// adapter: a readiness probe, pruning, and closing.
type Store interface {
	// Ping checks the database answers.
	Ping(ctx context.Context) error
	// Prune deletes published events, handled event ids and kept
	// idempotent answers older than cutoff and returns how many rows went.
	Prune(ctx context.Context, cutoff time.Time) (int64, error)
	// Idempotency keeps the answers to requests with an Idempotency-Key.
	Idempotency() idempotency.Store
	// Work counts what the database did (make bench reports it).
	Work() sqlstore.Work
	io.Closer
}

// Outbox is a transactional outbox that can count its backlog.
type Outbox interface {
	ports.Outbox
	// PendingCount returns how many events wait to be published.
	PendingCount(ctx context.Context) (int64, error)
	// OldestPendingAge returns how long the oldest unpublished event has
	// waited, 0 when none waits.
	OldestPendingAge(ctx context.Context) (time.Duration, error)
}

// Parts are what a service's wiring hands the runner: what differs between
// services.
type Parts struct {
	Name   string // e.g. "service-customer"
	Config config.Config
	Log    *slog.Logger
	Clock  ports.Clock
	// Tracer traces the service's requests, events and units of work; the
	// runner shuts it down with the service.
	Tracer *tracing.Tracer
	Store  Store
	Outbox Outbox
	// Emits and Consumes are the topics the service publishes and reads.
	Emits, Consumes []string
	// Handle applies one consumed event.
	Handle kafka.Handler
	// Router builds the HTTP API given the options the runner prepared
	// (readiness checks, metrics, authentication).
	Router func(rest.Options) http.Handler
	// Routes are served beside the API (an adapter's own pages).
	Routes []rest.Route
	// Closers are closed after the store, when the service stops.
	Closers []io.Closer
	// Circuits are the breakers in front of the service's providers:
	// /readyz and the metrics say when one is open.
	Circuits []Circuit
}

// Circuit is a breaker in front of a provider (see adapters/circuit).
type Circuit interface {
	// Name names the provider, e.g. "email": its readiness check is
	// "email provider".
	Name() string
	// Err says why the provider is not tried now; nil while it is.
	Err() error
}

// Service is one running service: its database, outbox relay, consumer and
// HTTP server.
type Service struct {
	parts    Parts
	admin    *kafka.Admin
	pub      *kafka.Publisher
	relay    *relay.Relay
	consumer *kafka.Consumer
	server   *http.Server
	ln       net.Listener
	// metrics serves /metrics alone on METRICS_ADDR, when set.
	metrics   *http.Server
	metricsLn net.Listener

	stopConsumer, stopRelay context.CancelFunc
	consumerDone            chan struct{}
	relayDone               chan struct{} // the relay and the pruner stopped
	serveDone               chan error
	consuming               atomic.Bool
	closeOnce               sync.Once
}

// New waits for the broker, creates the service's topics and binds its
// port. Call Start to serve and Shutdown to stop. On error, everything in
// parts is closed.
func New(ctx context.Context, parts Parts) (*Service, error) {
	s := &Service{parts: parts}
	ok := false
	defer func() {
		if !ok {
			s.closeResources()
		}
	}()
	cfg, log := parts.Config, parts.Log
	m := metrics.NewService()
	m.Outbox(parts.Outbox.PendingCount, parts.Outbox.OldestPendingAge)

	var err error
	cfg.Kafka.Tracer = parts.Tracer
	s.admin = kafka.NewAdmin(cfg.Kafka, log)
	startCtx, cancel := context.WithTimeout(ctx, cfg.StartupTimeout)
	defer cancel()
	if err := s.admin.WaitReachable(startCtx); err != nil {
		return nil, err
	}
	// Its own topics, and every other topic of the catalog: a service
	// started alone beside the original's must leave none missing (the
	// original's consumers crash on a topic that is not there). Those of
	// others it may lack the right to create: they are the owners'.
	topics := append(append(append([]string{}, parts.Emits...), parts.Consumes...), kafka.DeadLetterTopics(parts.Consumes)...)
	if err := s.admin.EnsureTopics(startCtx, topics, event.Topics()); err != nil {
		return nil, err
	}
	s.pub = kafka.NewPublisher(cfg.Kafka, parts.Emits, log)
	s.relay = relay.New(parts.Outbox, m.Publisher(s.pub), log, relay.Options{})
	s.consumer = kafka.NewConsumer(cfg.Kafka, parts.Consumes, parts.Handle, m, log)
	m.ConsumerGroupLag(cfg.Kafka.GroupID, func(ctx context.Context) ([]metrics.GroupLag, error) {
		lags, err := s.admin.GroupLag(ctx, cfg.Kafka.GroupID, parts.Consumes)
		out := make([]metrics.GroupLag, len(lags))
		for i, l := range lags {
			out[i] = metrics.GroupLag{Topic: l.Topic, Partition: l.Partition, Lag: l.Lag}
		}
		return out, err
	})
	for _, c := range parts.Circuits {
		m.Circuit(c.Name(), func() bool { return c.Err() != nil })
	}
	m.HeldPartitions(func() (int, time.Duration) {
		held := s.consumer.Held()
		if len(held) == 0 {
			return 0, 0
		}
		return len(held), parts.Clock.Now().Sub(held[0].Since)
	})

	if s.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", parts.Name, cfg.Addr, err)
	}
	if cfg.MetricsAddr != "" {
		if s.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return nil, fmt.Errorf("%s: listen for metrics on %s: %w", parts.Name, cfg.MetricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		s.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	}
	asyncAPI, err := kafka.AsyncAPI(parts.Name, parts.Emits, parts.Consumes)
	if err != nil {
		return nil, fmt.Errorf("%s: describe the topics: %w", parts.Name, err)
	}
	handler := parts.Router(rest.Options{Log: log, APIKeys: cfg.APIKeys, CORSOrigins: cfg.CORSOrigins, AllowedHosts: cfg.AllowedHosts,
		OursOnly:  !cfg.OriginalAliases,
		RateLimit: rest.RateLimit{PerSecond: cfg.RateLimit, Burst: cfg.RateBurst},
		Checks:    s.checks(), Metrics: m.Handler(), Observer: m, Routes: parts.Routes, Clock: parts.Clock,
		Idempotency: parts.Store.Idempotency(), AsyncAPI: asyncAPI, Tracer: parts.Tracer,
		DeadLetters: deadLetters{kafka: kafka.NewDeadLetters(cfg.Kafka, log), topics: parts.Consumes, group: cfg.Kafka.GroupID}})
	s.server = &http.Server{
		Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	switch {
	case len(cfg.APIKeys) > 0:
	case cfg.AuthDisabled:
		log.Warn("API authentication is disabled (AUTH_DISABLED=true): whoever reaches the address can call every route", "addr", cfg.Addr)
	default:
		log.Info("API authentication is off while the API listens on loopback only: set API_KEYS to require a key", "addr", cfg.Addr)
	}
	ok = true
	return s, nil
}

// Start serves HTTP and starts the relay, the pruning and the consumer.
func (s *Service) Start() {
	relayCtx, stopRelay := context.WithCancel(context.Background())
	consumerCtx, stopConsumer := context.WithCancel(context.Background())
	s.stopRelay, s.stopConsumer = stopRelay, stopConsumer
	s.relayDone, s.consumerDone = make(chan struct{}), make(chan struct{})
	var background sync.WaitGroup
	background.Go(func() { s.relay.Run(relayCtx) })
	background.Go(func() { s.prune(relayCtx) })
	go func() {
		background.Wait()
		close(s.relayDone)
	}()
	s.consuming.Store(true)
	go func() {
		defer close(s.consumerDone)
		defer s.consuming.Store(false)
		if err := s.consumer.Run(consumerCtx); err != nil {
			s.parts.Log.Error("consumer stopped", "error", err)
		}
	}()
	s.serveDone = make(chan error, 1)
	go func() {
		err := s.server.Serve(s.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.serveDone <- err
	}()
	if s.metrics != nil {
		go func() {
			if err := s.metrics.Serve(s.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.parts.Log.Error("the metrics listener stopped", "error", err)
			}
		}()
	}
	s.parts.Log.Info("service started", "http", s.URL(), "brokers", s.parts.Config.Kafka.Brokers)
}

// prune deletes, every hour, published events and handled event ids older
// than the retention, so the database does not grow for ever.
func (s *Service) prune(ctx context.Context) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		n, err := s.parts.Store.Prune(ctx, s.parts.Clock.Now().Add(-s.parts.Config.Retention))
		if err != nil && ctx.Err() == nil {
			s.parts.Log.Warn("pruning the outbox and inbox failed", "error", err)
		} else if n > 0 {
			s.parts.Log.Info("pruned old outbox and inbox rows", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Addr is the bound listen address.
func (s *Service) Addr() string { return s.ln.Addr().String() }

// URL is the base URL of the service on loopback.
func (s *Service) URL() string { return loopbackURL(s.ln) }

// MetricsURL is the base URL of the METRICS_ADDR listener on loopback, ""
// without one.
func (s *Service) MetricsURL() string {
	if s.metricsLn == nil {
		return ""
	}
	return loopbackURL(s.metricsLn)
}

func loopbackURL(ln net.Listener) string {
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://127.0.0.1:" + port
}

// Config is the configuration the service runs with.
func (s *Service) Config() config.Config { return s.parts.Config }

// GroupID is the service's consumer group.
func (s *Service) GroupID() string { return s.parts.Config.Kafka.GroupID }

// Work is what the service's database did since it opened.
func (s *Service) Work() sqlstore.Work { return s.parts.Store.Work() }

// Name is the service's name, e.g. service-customer.
func (s *Service) Name() string { return s.parts.Name }

// Served returns a channel that receives the HTTP server's error if it stops
// on its own.
func (s *Service) Served() <-chan error { return s.serveDone }

// checks are the readiness probe's: the database is required; the broker,
// the consumer and the providers' circuits are reported, since the outbox
// and the retries let the service work on while they recover.
func (s *Service) checks() []rest.Check {
	checks := []rest.Check{
		{Name: "database", Required: true, Probe: s.parts.Store.Ping},
		{Name: "kafka", Probe: s.admin.Ping},
		{Name: "consumer", Probe: func(context.Context) error {
			if !s.consuming.Load() {
				return errors.New("not running")
			}
			if held := s.consumer.Held(); len(held) > 0 {
				h := held[0]
				return fmt.Errorf("%d partition(s) held; %s/%d since %s at offset %d: %s", len(held), h.Topic, h.Partition,
					h.Since.UTC().Format(time.RFC3339), h.Offset, h.Reason)
			}
			return nil
		}},
	}
	for _, c := range s.parts.Circuits {
		checks = append(checks, rest.Check{Name: c.Name() + " provider", Probe: func(context.Context) error { return c.Err() }})
	}
	return checks
}

// Shutdown stops taking requests, lets the consumer finish and commit the
// message in hand, publishes what is left in the outbox, and closes. A
// service that was never started is only closed.
func (s *Service) Shutdown(ctx context.Context) error {
	if s.serveDone == nil {
		s.closeResources()
		return nil
	}
	var errs []error
	log := s.parts.Log
	log.Info("shutting down")
	if err := s.server.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("http: %w", err))
	}
	if s.metrics != nil {
		// Last scrapes may come until the end; there is nothing to drain.
		defer func() { _ = s.metrics.Close() }()
	}
	s.stopConsumer()
	select {
	case <-s.consumerDone:
	case <-ctx.Done():
		errs = append(errs, errors.New("the consumer did not stop in time"))
	}
	s.stopRelay()
	select {
	case <-s.relayDone:
	case <-ctx.Done():
	}
	if n, err := s.relay.Drain(ctx); err != nil {
		errs = append(errs, fmt.Errorf("flush outbox: %w", err))
	} else if n > 0 {
		log.Info("outbox flushed", "events", n)
	}
	if err := s.parts.Tracer.Shutdown(ctx); err != nil {
		// Telemetry: worth a warning, not a failed shutdown.
		log.Warn("the last spans could not be exported", "error", err)
	}
	s.closeResources()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s shutdown: %w", s.parts.Name, err)
	}
	log.Info("stopped")
	return nil
}

func (s *Service) closeResources() {
	s.closeOnce.Do(func() {
		log := s.parts.Log
		if s.consumer != nil {
			if err := s.consumer.Close(); err != nil {
				log.Warn("closing the consumer", "error", err)
			}
		}
		if s.pub != nil {
			_ = s.pub.Close()
		}
		if s.admin != nil {
			_ = s.admin.Close()
		}
		if s.serveDone == nil {
			if s.parts.Tracer != nil {
				_ = s.parts.Tracer.Shutdown(context.Background()) // nothing was served
			}
			for _, ln := range []net.Listener{s.ln, s.metricsLn} {
				if ln != nil {
					_ = ln.Close()
				}
			}
		}
		for _, c := range append([]io.Closer{s.parts.Store}, s.parts.Closers...) {
			if c != nil {
				_ = c.Close()
			}
		}
	})
}

// Describe is a one-line summary for start-up banners.
func (s *Service) Describe() string {
	cfg := s.parts.Config
	return fmt.Sprintf("%-22s %s  (db %s, kafka %s)", s.parts.Name, s.URL(), cfg.Database, strings.Join(cfg.Kafka.Brokers, ","))
}
