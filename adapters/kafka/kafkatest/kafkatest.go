// Package kafkatest gives tests a Kafka-protocol broker: the cluster named by
// KAFKA_BROKERS when it is set (real Apache Kafka in CI), otherwise an
// embedded broker started for the test.
package kafkatest

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/broker"
	"github.com/fintechlabs/customers/adapters/kafka"
)

// Brokers returns broker addresses for t, starting an embedded broker that
// stops with the test when KAFKA_BROKERS is not set.
func Brokers(t testing.TB) []string {
	t.Helper()
	if env := os.Getenv("KAFKA_BROKERS"); env != "" {
		return strings.Split(env, ",")
	}
	b, err := broker.Start(broker.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return []string{b.Addr()}
}

// SASLBrokers returns a broker that requires SASL with mechanism, and the
// credentials it accepts: the SASL listener in KAFKA_SASL_BROKERS (with
// KAFKA_TEST_SASL_USERNAME and KAFKA_TEST_SASL_PASSWORD) when set, otherwise
// an embedded broker started for the test.
func SASLBrokers(t testing.TB, mechanism string) (brokers []string, user, password string) {
	t.Helper()
	if env := os.Getenv("KAFKA_SASL_BROKERS"); env != "" {
		return strings.Split(env, ","), os.Getenv("KAFKA_TEST_SASL_USERNAME"), os.Getenv("KAFKA_TEST_SASL_PASSWORD")
	}
	user, password = "app", "app-secret"
	b, err := broker.Start(broker.Options{SASL: &broker.Credentials{Mechanism: mechanism, User: user, Password: password}},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return []string{b.Addr()}, user, password
}

// External reports whether tests run against an external cluster.
func External() bool { return os.Getenv("KAFKA_BROKERS") != "" }

var unique atomic.Int64

// Name returns a name unique to this test run, so tests sharing an external
// cluster never see each other's topics or groups.
func Name(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), unique.Add(1))
}

// Config returns a kafka.Config for tests: fast timeouts and retries, and a
// topic prefix of its own, so that tests sharing a cluster never read each
// other's messages.
func Config(t testing.TB, brokers []string, group string) kafka.Config {
	t.Helper()
	cfg := kafka.Defaults(group+"-client", group)
	cfg.Brokers = brokers
	cfg.TopicPrefix = Name("test") + "."
	cfg.SessionTimeout = 6 * time.Second
	cfg.HeartbeatInterval = 500 * time.Millisecond
	cfg.RebalanceTimeout = 5 * time.Second
	cfg.RequestTimeout = 10 * time.Second
	cfg.HandlerTimeout = 5 * time.Second
	cfg.MaxAttempts = 3
	cfg.RetryBackoff.Min, cfg.RetryBackoff.Max = 10*time.Millisecond, 50*time.Millisecond
	return cfg
}
