// Package stack runs the whole system in one process, as `make run` does:
// an embedded Kafka broker unless KAFKA_BROKERS names a cluster, and the
// customer, profiling and notifications services, each assembled by its
// own composition root.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fintechlabs/customers/adapters/broker"
	"github.com/fintechlabs/customers/adapters/console"
	"github.com/fintechlabs/customers/adapters/logging"
	"github.com/fintechlabs/customers/apps/cli"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/customer"
	"github.com/fintechlabs/customers/apps/notifications"
	"github.com/fintechlabs/customers/apps/profiling"
	"github.com/fintechlabs/customers/apps/runner"
)

// Wiring is each service, by kind.
var Wiring = map[config.Kind]runner.Assembly{
	config.Customer:      customer.Assembly,
	config.Profiling:     profiling.Assembly,
	config.Notifications: notifications.Assembly,
}

// Stack is the whole system in one process: optionally an embedded broker,
// and the three services.
type Stack struct {
	Broker   *broker.Broker // nil when KAFKA_BROKERS names a cluster
	Services map[config.Kind]*runner.Service
	// BrokerOptions start the embedded broker again on the same port with
	// the same data.
	BrokerOptions broker.Options
	brokers       string
	// console serves the web console, when it is on.
	console    *http.Server
	consoleURL string
}

// StartStack starts the system. Without KAFKA_BROKERS it starts an embedded
// broker on 127.0.0.1:EMBEDDED_KAFKA_PORT (9092), keeping its data under
// DATA_DIR/kafka so that nothing is lost across restarts.
func Start(ctx context.Context, env config.Env, log *slog.Logger) (st *Stack, err error) {
	st = &Stack{Services: map[config.Kind]*runner.Service{}}
	defer func() {
		if err != nil {
			_ = st.Shutdown(context.WithoutCancel(ctx))
		}
	}()
	st.brokers, _ = env("KAFKA_BROKERS")
	if st.brokers == "" {
		port := 9092
		if v, ok := env("EMBEDDED_KAFKA_PORT"); ok && v != "" {
			if port, err = strconv.Atoi(v); err != nil {
				return st, fmt.Errorf("EMBEDDED_KAFKA_PORT=%q is not a port number", v)
			}
		}
		dataDir := "data"
		if v, ok := env("DATA_DIR"); ok && v != "" {
			dataDir = v
		}
		st.BrokerOptions = broker.Options{Port: port, DataDir: filepath.Join(dataDir, "kafka")}
		if st.Broker, err = broker.Start(st.BrokerOptions, log); err != nil {
			return st, fmt.Errorf("%w (is another broker on port %d? set KAFKA_BROKERS to use it)", err, port)
		}
		st.brokers = st.Broker.Addr()
		_, p, _ := net.SplitHostPort(st.brokers)
		st.BrokerOptions.Port, _ = strconv.Atoi(p) // a restart reuses the port picked for port 0
	}
	withBrokers := func(k string) (string, bool) {
		if k == "KAFKA_BROKERS" {
			return st.brokers, true
		}
		return env(k)
	}
	for _, kind := range config.Kinds {
		cfg, err := config.Load(kind, withBrokers, true, Wiring[kind].Settings)
		if err != nil {
			return st, err
		}
		svc, err := Wiring[kind].Wire(ctx, cfg, log)
		if err != nil {
			return st, fmt.Errorf("start %s: %w", kind, err)
		}
		st.Services[kind] = svc
	}
	for _, kind := range config.Kinds {
		st.Services[kind].Start()
	}
	addr, ok := env("CONSOLE_ADDR")
	if !ok || addr == "" {
		addr = "127.0.0.1:3000"
	}
	if addr != "off" {
		if err := st.startConsole(addr, log); err != nil {
			return st, err
		}
	}
	return st, nil
}

// errOpenConsole refuses a console beyond loopback in front of services
// that ask for no key: whoever reached it would have their admin access.
var errOpenConsole = errors.New("set API_KEYS (the console then asks each operator for a key), " +
	"listen on loopback (CONSOLE_ADDR=127.0.0.1:3000), or turn the console off (CONSOLE_ADDR=off)")

// startConsole serves the web console on addr, over the services' APIs.
func (st *Stack) startConsole(addr string, log *slog.Logger) error {
	cfg := st.Services[config.Customer].Config()
	for _, s := range st.Services {
		if !config.Loopback(addr) && len(s.Config().APIKeys) == 0 && !s.Config().AuthDisabled {
			return fmt.Errorf("the console would listen on %s, beyond this machine, and %s asks for no key: %w", addr, s.Name(), errOpenConsole)
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("the console on %s: %w (set CONSOLE_ADDR, or off)", addr, err)
	}
	handler := console.New(console.Options{Log: log.With("service", "console"), AllowedHosts: cfg.AllowedHosts, URLs: console.URLs{
		Customers: st.Services[config.Customer].URL(), Profiling: st.Services[config.Profiling].URL(),
		Notifications: st.Services[config.Notifications].URL()}})
	st.console = &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
	st.consoleURL = "http://" + l.Addr().String()
	go func() {
		if err := st.console.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			log.Error("the console stopped", "error", err)
		}
	}()
	return nil
}

// ConsoleURL is where the web console answers, "" when it is off.
func (st *Stack) ConsoleURL() string { return st.consoleURL }

// Brokers returns the bootstrap servers the stack uses.
func (st *Stack) Brokers() string { return st.brokers }

// Failed returns a channel that receives an error if any HTTP server stops
// on its own.
func (st *Stack) Failed() <-chan error {
	out := make(chan error, len(st.Services))
	for _, s := range st.Services {
		go func() {
			if err, ok := <-s.Served(); ok && err != nil {
				out <- fmt.Errorf("%s: %w", s.Name(), err)
			}
		}()
	}
	return out
}

// Shutdown stops the console, the services in reverse order, then the
// broker.
func (st *Stack) Shutdown(ctx context.Context) error {
	var errs []error
	if st.console != nil {
		errs = append(errs, st.console.Shutdown(ctx))
	}
	for i := len(config.Kinds) - 1; i >= 0; i-- {
		if s, ok := st.Services[config.Kinds[i]]; ok {
			errs = append(errs, s.Shutdown(ctx))
		}
	}
	if st.Broker != nil {
		st.Broker.Close()
	}
	return errors.Join(errs...)
}

// Banner tells a developer where everything is and how to try it.
func (st *Stack) Banner() string {
	var b strings.Builder
	b.WriteString("\n✅ The customer system is up.\n\n")
	if st.Broker != nil {
		fmt.Fprintf(&b, "  🔌 Kafka (embedded)     %s   e.g. kcat -b %s -L\n", st.brokers, st.brokers)
	} else {
		fmt.Fprintf(&b, "  🔌 Kafka                %s\n", st.brokers)
	}
	for _, k := range config.Kinds {
		if s, ok := st.Services[k]; ok {
			fmt.Fprintf(&b, "  🌐 %s\n", s.Describe())
		}
	}
	if st.consoleURL != "" {
		fmt.Fprintf(&b, "  🖥️  console              %s   customers, their journeys, the flows, the mailbox\n", st.consoleURL)
	}
	c := st.Services[config.Customer].URL()
	p := st.Services[config.Profiling].URL()
	n := st.Services[config.Notifications].URL()
	fmt.Fprintf(&b, `
  Try it:
    curl -s -X POST %[1]s/customers/onboard -H 'Content-Type: application/json' \
      -d '{"name":"Juan Pérez","email":"juan@example.com","phone":"+1234567890"}'
    curl -s -X POST %[1]s/customers/activate -H 'Content-Type: application/json' -d '{"customerId":"<id>"}'
    curl -s -X POST %[2]s/profiling/promote -H 'Content-Type: application/json' \
      -d '{"customerId":"<id>","age":28,"income":75000,"creditScore":720,"isFirstPayment":true}'
    curl -s %[1]s/customers/<id>/notifications
    curl -s %[3]s/notifications/mailbox
  Health: %[1]s/customers/health  %[2]s/profiling/health  %[3]s/notifications/health
  Metrics: <service>/metrics    Stop: Ctrl+C

`, c, p, n)
	return b.String()
}

// Main runs the whole system until SIGINT or SIGTERM, printing the banner
// to out, and returns the exit code.
func Main(out io.Writer) int {
	about := "runs the whole system in one process: an embedded Kafka broker (unless KAFKA_BROKERS is set) and the three services"
	var services []cli.Service
	for _, kind := range config.Kinds {
		services = append(services, cli.Service{Kind: kind, Settings: Wiring[kind].Settings})
	}
	if done, code := cli.Handle("customers-stack", about, os.Args[1:], out, os.Stderr, services...); done {
		return code
	}
	env := config.Env(os.LookupEnv)
	opts, err := config.LogOptions(env)
	if err != nil {
		fmt.Fprintln(os.Stderr, "❌", err)
		return 2
	}
	log := logging.New(os.Stderr, opts)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := Start(ctx, env, log)
	if err != nil {
		log.Error("start failed", "error", err)
		return 1
	}
	fmt.Fprint(out, st.Banner())
	code := 0
	select {
	case <-ctx.Done():
	case err := <-st.Failed():
		log.Error("a service failed", "error", err)
		code = 1
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.Shutdown(shutdownCtx); err != nil {
		log.Error("unclean shutdown", "error", err)
		return 1
	}
	log.Info("bye")
	return code
}
