package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fintechlabs/customers/adapters/devprovider"
	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/metrics"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/adapters/system"
	"github.com/fintechlabs/customers/core/lifecycle"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/notifier"
	"github.com/fintechlabs/customers/core/profiler"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/core/relay"
)

// Service is one running service: its database, outbox relay, consumer and
// HTTP server.
type Service struct {
	cfg      Config
	name     string
	log      *slog.Logger
	db       *sqlite.DB
	admin    *kafka.Admin
	pub      *kafka.Publisher
	relay    *relay.Relay
	consumer *kafka.Consumer
	server   *http.Server
	ln       net.Listener
	mailbox  *devprovider.FileMailbox

	stopConsumer, stopRelay context.CancelFunc
	consumerDone            chan struct{}
	relayDone               chan struct{} // the relay and the pruner stopped
	serveDone               chan error
	consuming               atomic.Bool
	closeOnce               sync.Once
}

// wiring is what differs between services.
type wiring struct {
	emits    []string
	consumes []string
	handle   kafka.Handler
	router   func(rest.Options) http.Handler
}

// New opens the service's database, waits for the broker, creates its topics
// and binds its port. Call Start to serve and Shutdown to stop.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	name := serviceDefaults[cfg.Kind].clientID
	log = log.With("service", name)
	s := &Service{cfg: cfg, name: name, log: log}
	ok := false
	defer func() {
		if !ok {
			s.closeResources()
		}
	}()

	schema := map[Kind]sqlite.Schema{Customer: sqlite.CustomerSchema, Profiling: sqlite.ProfilingSchema, Notifications: sqlite.NotificationsSchema}[cfg.Kind]
	var err error
	if s.db, err = sqlite.Open(ctx, cfg.Database, schema, log); err != nil {
		return nil, err
	}
	m := metrics.NewService()
	m.OutboxBacklog(s.db.Outbox().PendingCount)
	w, err := s.wire()
	if err != nil {
		return nil, err
	}

	s.admin = kafka.NewAdmin(cfg.Kafka, log)
	startCtx, cancel := context.WithTimeout(ctx, cfg.StartupTimeout)
	defer cancel()
	if err := s.admin.WaitReachable(startCtx); err != nil {
		return nil, err
	}
	topics := append(append(append([]string{}, w.emits...), w.consumes...), kafka.DeadLetterTopics(w.consumes)...)
	if err := s.admin.EnsureTopics(startCtx, topics); err != nil {
		return nil, err
	}
	s.pub = kafka.NewPublisher(cfg.Kafka, w.emits, log)
	s.relay = relay.New(s.db.Outbox(), m.Publisher(s.pub), log, relay.Options{})
	s.consumer = kafka.NewConsumer(cfg.Kafka, w.consumes, w.handle, m, log)

	if s.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", name, cfg.Addr, err)
	}
	handler := w.router(rest.Options{Log: log, APIKeys: cfg.APIKeys, CORSOrigins: cfg.CORSOrigins,
		Checks: s.checks(), Metrics: m.Handler(), Observer: m})
	s.server = &http.Server{
		Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if len(cfg.APIKeys) == 0 {
		log.Warn("⚠️ API authentication is off: set API_KEYS to require a key")
	}
	ok = true
	return s, nil
}

// wire builds the service-specific parts.
func (s *Service) wire() (wiring, error) {
	clock, ids := system.Clock{}, system.UUIDs{}
	switch s.cfg.Kind {
	case Customer:
		svc := lifecycle.New(s.db.Customers(), clock, ids, s.log, lifecycle.WithDefaultCurrency(s.cfg.DefaultCurrency))
		return wiring{emits: lifecycle.Emits, consumes: lifecycle.Consumes, handle: svc.Handle,
			router: func(o rest.Options) http.Handler { return rest.CustomerRouter(svc, o) }}, nil
	case Profiling:
		rules := profiling.DefaultRules()
		if s.cfg.RulesFile != "" {
			f, err := os.Open(s.cfg.RulesFile)
			if err != nil {
				return wiring{}, fmt.Errorf("open profiling rules: %w", err)
			}
			defer f.Close()
			if rules, err = profiling.Load(f); err != nil {
				return wiring{}, fmt.Errorf("profiling rules %s: %w", s.cfg.RulesFile, err)
			}
			s.log.Info("📏 profiling rules loaded", "file", s.cfg.RulesFile)
		}
		svc := profiler.New(s.db.Profiles(), rules, clock, ids, s.log)
		return wiring{emits: profiler.Emits, consumes: profiler.Consumes, handle: svc.Handle,
			router: func(o rest.Options) http.Handler { return rest.ProfilingRouter(svc, o) }}, nil
	case Notifications:
		box, err := devprovider.OpenMailbox(context.Background(), filepath.Join(filepath.Dir(s.cfg.Database), "mailbox.db"))
		if err != nil {
			return wiring{}, err
		}
		s.mailbox = box
		provider := devprovider.NewProvider(box, clock, s.log, devprovider.Options{
			Latency: s.cfg.DeliveryLatency, FailureRate: s.cfg.DeliveryFailureRate})
		svc := notifier.New(s.db.Deliveries(), provider, provider, notification.Templates(), clock, ids, s.log)
		return wiring{emits: notifier.Emits, consumes: notifier.Consumes, handle: svc.Handle,
			router: func(o rest.Options) http.Handler {
				o.Routes = append(o.Routes, rest.Route{Method: http.MethodGet, Pattern: "/notifications/mailbox", Handler: devprovider.Handler(box, s.log)})
				return rest.NotificationsRouter(svc, o)
			}}, nil
	}
	return wiring{}, fmt.Errorf("unknown service %q", s.cfg.Kind)
}

// Start serves HTTP and starts the relay and the consumer.
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
			s.log.Error("❌ consumer stopped", "error", err)
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
	s.log.Info("🚀 service started", "http", s.URL(), "brokers", s.cfg.Kafka.Brokers)
}

// prune deletes, every hour, published events and handled event ids older
// than the retention, so the database does not grow for ever.
func (s *Service) prune(ctx context.Context) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		n, err := s.db.Prune(ctx, time.Now().Add(-s.cfg.Retention))
		if err != nil && ctx.Err() == nil {
			s.log.Warn("⚠️ pruning the outbox and inbox failed", "error", err)
		} else if n > 0 {
			s.log.Info("🧹 pruned old outbox and inbox rows", "rows", n)
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
func (s *Service) URL() string {
	_, port, _ := net.SplitHostPort(s.Addr())
	return "http://127.0.0.1:" + port
}

// GroupID is the service's consumer group.
func (s *Service) GroupID() string { return s.cfg.Kafka.GroupID }

// Name is the service's name, e.g. service-customer.
func (s *Service) Name() string { return s.name }

// Served returns a channel that receives the HTTP server's error if it stops
// on its own.
func (s *Service) Served() <-chan error { return s.serveDone }

// checks are the readiness probe's: the database is required; the broker
// and the consumer are reported, since the outbox lets the API work on
// while they recover.
func (s *Service) checks() []rest.Check {
	return []rest.Check{
		{Name: "database", Required: true, Probe: s.db.Ping},
		{Name: "kafka", Probe: s.admin.Ping},
		{Name: "consumer", Probe: func(context.Context) error {
			if !s.consuming.Load() {
				return errors.New("not running")
			}
			return nil
		}},
	}
}

// Shutdown stops taking requests, lets the consumer finish and commit the
// message in hand, publishes what is left in the outbox, and closes.
func (s *Service) Shutdown(ctx context.Context) error {
	var errs []error
	s.log.Info("🛑 shutting down")
	if err := s.server.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("http: %w", err))
	}
	if s.stopConsumer != nil {
		s.stopConsumer()
		select {
		case <-s.consumerDone:
		case <-ctx.Done():
			errs = append(errs, errors.New("the consumer did not stop in time"))
		}
	}
	if s.stopRelay != nil {
		s.stopRelay()
		select {
		case <-s.relayDone:
		case <-ctx.Done():
		}
		if n, err := s.relay.Drain(ctx); err != nil {
			errs = append(errs, fmt.Errorf("flush outbox: %w", err))
		} else if n > 0 {
			s.log.Info("📤 outbox flushed", "events", n)
		}
	}
	s.closeResources()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s shutdown: %w", s.name, err)
	}
	s.log.Info("👋 stopped")
	return nil
}

func (s *Service) closeResources() {
	s.closeOnce.Do(func() {
		if s.consumer != nil {
			if err := s.consumer.Close(); err != nil {
				s.log.Warn("⚠️ closing the consumer", "error", err)
			}
		}
		if s.pub != nil {
			_ = s.pub.Close()
		}
		if s.ln != nil && s.serveDone == nil {
			_ = s.ln.Close()
		}
		if s.db != nil {
			_ = s.db.Close()
		}
		if s.mailbox != nil {
			_ = s.mailbox.Close()
		}
	})
}

// Describe is a one-line summary for start-up banners.
func (s *Service) Describe() string {
	return fmt.Sprintf("%-22s %s  (db %s, kafka %s)", s.name, s.URL(), s.cfg.Database, strings.Join(s.cfg.Kafka.Brokers, ","))
}
