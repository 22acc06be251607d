package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fintechlabs/customers/adapters/broker"
)

// Stack is the whole system in one process: optionally an embedded broker,
// and the three services.
type Stack struct {
	Broker   *broker.Broker // nil when KAFKA_BROKERS names a cluster
	Services map[Kind]*Service
	brokers  string
	brokerOp broker.Options
	log      *slog.Logger
}

// StartStack starts the system. Without KAFKA_BROKERS it starts an embedded
// broker on 127.0.0.1:EMBEDDED_KAFKA_PORT (9092), keeping its data under
// DATA_DIR/kafka so that nothing is lost across restarts.
func StartStack(ctx context.Context, env Env, log *slog.Logger) (st *Stack, err error) {
	st = &Stack{Services: map[Kind]*Service{}, log: log}
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
		st.brokerOp = broker.Options{Port: port, DataDir: filepath.Join(dataDir, "kafka")}
		if st.Broker, err = broker.Start(st.brokerOp, log); err != nil {
			return st, fmt.Errorf("%w (is another broker on port %d? set KAFKA_BROKERS to use it)", err, port)
		}
		st.brokers = st.Broker.Addr()
		_, p, _ := net.SplitHostPort(st.brokers)
		st.brokerOp.Port, _ = strconv.Atoi(p) // a restart reuses the port picked for port 0
	}
	withBrokers := func(k string) (string, bool) {
		if k == "KAFKA_BROKERS" {
			return st.brokers, true
		}
		return env(k)
	}
	for _, kind := range Kinds {
		cfg, err := Load(kind, withBrokers, true)
		if err != nil {
			return st, err
		}
		svc, err := New(ctx, cfg, log)
		if err != nil {
			return st, fmt.Errorf("start %s: %w", kind, err)
		}
		st.Services[kind] = svc
	}
	for _, kind := range Kinds {
		st.Services[kind].Start()
	}
	return st, nil
}

// Stop shuts one service down; its events wait in Kafka until Resume.
func (st *Stack) Stop(ctx context.Context, kind Kind) error {
	return st.Services[kind].Shutdown(ctx)
}

// Resume starts a stopped service again with the same configuration: same
// database, same consumer group.
func (st *Stack) Resume(ctx context.Context, kind Kind) error {
	svc, err := New(ctx, st.Services[kind].cfg, st.log)
	if err != nil {
		return err
	}
	svc.Start()
	st.Services[kind] = svc
	return nil
}

// StopBroker stops the embedded broker, as an outage would.
func (st *Stack) StopBroker() {
	if st.Broker != nil {
		st.Broker.Close()
		st.Broker = nil
	}
}

// StartBroker starts the embedded broker again on the same port with the
// same data.
func (st *Stack) StartBroker() error {
	b, err := broker.Start(st.brokerOp, st.log)
	if err != nil {
		return err
	}
	st.Broker = b
	return nil
}

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

// Shutdown stops the services in reverse order, then the broker.
func (st *Stack) Shutdown(ctx context.Context) error {
	var errs []error
	for i := len(Kinds) - 1; i >= 0; i-- {
		if s, ok := st.Services[Kinds[i]]; ok {
			if s.serveDone == nil {
				s.closeResources()
				continue
			}
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
	for _, k := range Kinds {
		if s, ok := st.Services[k]; ok {
			fmt.Fprintf(&b, "  🌐 %s\n", s.Describe())
		}
	}
	c := st.Services[Customer].URL()
	p := st.Services[Profiling].URL()
	n := st.Services[Notifications].URL()
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
