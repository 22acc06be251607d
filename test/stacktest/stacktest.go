// Package stacktest prepares the whole system for black-box tests and
// benchmarks, and holds what only tests do to it: stopping and resuming a
// service, stopping and starting the embedded broker.
package stacktest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/broker"
	"github.com/fintechlabs/customers/adapters/postgres/pgtest"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/stack"
)

// Env returns the environment of a stack for a run named name ("e2e",
// "bench"): data under dataDir, every port picked by the OS, short
// consumer-group timeouts. When KAFKA_BROKERS names a cluster it uses that
// cluster (and its SASL settings) with topics and groups of the run's own,
// so reruns against the same cluster start clean; topicPrefix is then the
// prefix of the run's topics, otherwise "". When POSTGRES_TEST_URL names a
// PostgreSQL server, each service keeps its tables there, in a new schema.
func Env(name, dataDir string) (env map[string]string, topicPrefix string) {
	env = map[string]string{
		"DATA_DIR": dataDir, "EMBEDDED_KAFKA_PORT": "0", "CONSOLE_ADDR": "127.0.0.1:0",
		"CUSTOMER_HTTP_ADDR": "127.0.0.1:0", "PROFILING_HTTP_ADDR": "127.0.0.1:0", "NOTIFICATIONS_HTTP_ADDR": "127.0.0.1:0",
		"KAFKA_SESSION_TIMEOUT": "6s", "KAFKA_HEARTBEAT_INTERVAL": "500ms", "KAFKA_REBALANCE_TIMEOUT": "5s",
		"KAFKA_REQUEST_TIMEOUT": "10s", "KAFKA_MAX_ATTEMPTS": "3", "SHUTDOWN_TIMEOUT": "20s",
	}
	if base := pgtest.BaseURL(); base != "" {
		// Each service in a schema of its own on the test server.
		for _, k := range config.Kinds {
			url, _, err := pgtest.NewSchema(context.Background(), base, name+"_"+string(k))
			if err != nil {
				panic(fmt.Sprintf("stacktest: a schema on the PostgreSQL test server: %v", err))
			}
			env[strings.ToUpper(string(k))+"_DATABASE_URL"] = url
		}
	}
	brokers := os.Getenv("KAFKA_BROKERS")
	if brokers == "" {
		return env, ""
	}
	env["KAFKA_BROKERS"] = brokers
	run := fmt.Sprintf("%s-%d", name, time.Now().UnixNano())
	topicPrefix = run + "."
	env["KAFKA_TOPIC_PREFIX"] = topicPrefix
	for _, k := range []string{"CUSTOMER", "PROFILING", "NOTIFICATIONS"} {
		env[k+"_KAFKA_GROUP_ID"] = strings.ToLower(k) + "-" + run
	}
	for _, k := range []string{"KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_ALLOW_PLAINTEXT_SASL"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	return env, topicPrefix
}

// Stop shuts one service of st down, as a crash or a deploy would; its
// events wait in Kafka until Resume.
func Stop(ctx context.Context, st *stack.Stack, kind config.Kind) error {
	return st.Services[kind].Shutdown(ctx)
}

// Resume starts a stopped service of st again with the same configuration:
// same database, same consumer group.
func Resume(ctx context.Context, st *stack.Stack, kind config.Kind, log *slog.Logger) error {
	svc, err := stack.Wiring[kind].Wire(ctx, st.Services[kind].Config(), log)
	if err != nil {
		return err
	}
	svc.Start()
	st.Services[kind] = svc
	return nil
}

// StopBroker stops st's embedded broker, as an outage would.
func StopBroker(st *stack.Stack) {
	if st.Broker != nil {
		st.Broker.Close()
		st.Broker = nil
	}
}

// StartBroker starts st's embedded broker again on the same port with the
// same data.
func StartBroker(st *stack.Stack, log *slog.Logger) error {
	b, err := broker.Start(st.BrokerOptions, log)
	if err != nil {
		return err
	}
	st.Broker = b
	return nil
}

// Start starts the whole system with env in this process, logging nowhere,
// and shuts it down when the test ends.
func Start(t testing.TB, env map[string]string) *stack.Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := stack.Start(ctx, config.MapEnv(env), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := st.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return st
}
