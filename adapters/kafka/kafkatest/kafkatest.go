// Package kafkatest gives tests a Kafka-protocol broker: the cluster named by
// KAFKA_BROKERS when it is set (real Apache Kafka in CI), otherwise an
// embedded broker started for the test.
package kafkatest

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/broker"
	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/core/backoff"
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

// clientTLS is the mutual TLS of KAFKA_TEST_CLIENT_TLS (a directory of
// kafkacerts' files) for the brokers of KAFKA_BROKERS, nil otherwise:
// make test-kafka runs the adapter suite a second time over the mTLS
// listener that way, while the SASL and TLS tests reach their own
// listeners with their own settings.
func clientTLS(t testing.TB, brokers []string) *tls.Config {
	t.Helper()
	dir := os.Getenv("KAFKA_TEST_CLIENT_TLS")
	if dir == "" || strings.Join(brokers, ",") != os.Getenv("KAFKA_BROKERS") {
		return nil
	}
	var cfg kafka.Config
	sec := kafka.Security{TLS: true, CAFile: filepath.Join(dir, "ca.pem"),
		CertFile: filepath.Join(dir, "client.pem"), KeyFile: filepath.Join(dir, "client-key.pem")}
	if err := sec.Apply(&cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.TLS
}

// TLSListeners are a real broker's TLS listeners and the files of the CA
// that signed its certificate.
type TLSListeners struct {
	// SASL requires TLS and then SASL, with SASLBrokers' credentials.
	SASL []string
	// Mutual requires TLS with a client certificate signed by the CA.
	Mutual         []string
	User, Password string
	// Dir holds ca.pem, other-ca.pem (a CA that signed nothing),
	// client.pem and client-key.pem (see test/kafka/kafkacerts).
	Dir string
}

// TLS returns the test broker's TLS listeners (KAFKA_TLS_BROKERS,
// KAFKA_MTLS_BROKERS, KAFKA_TEST_TLS_DIR, which make test-kafka sets), or
// skips t: the embedded broker has no TLS.
func TLS(t testing.TB) TLSListeners {
	t.Helper()
	l := TLSListeners{SASL: strings.Split(os.Getenv("KAFKA_TLS_BROKERS"), ","), Mutual: strings.Split(os.Getenv("KAFKA_MTLS_BROKERS"), ","),
		User: os.Getenv("KAFKA_TEST_SASL_USERNAME"), Password: os.Getenv("KAFKA_TEST_SASL_PASSWORD"), Dir: os.Getenv("KAFKA_TEST_TLS_DIR")}
	if l.SASL[0] == "" || l.Mutual[0] == "" || l.Dir == "" {
		t.Skip("no TLS listeners: make test-kafka runs this against a real broker with TLS")
	}
	return l
}

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
	cfg.TLS = clientTLS(t, brokers)
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

// WriteRecords puts records on Kafka as they are, bypassing the adapter, with
// acknowledgement from all replicas and a transport of their own (whose
// metadata cannot predate the topics).
func WriteRecords(t testing.TB, brokers []string, records ...kafkago.Message) {
	t.Helper()
	transport := &kafkago.Transport{MetadataTTL: 100 * time.Millisecond, TLS: clientTLS(t, brokers)}
	defer transport.CloseIdleConnections() // kafka-go closes only a transport it made
	w := &kafkago.Writer{Addr: kafkago.TCP(brokers...), Balancer: kafkago.Murmur2Balancer{}, BatchTimeout: time.Millisecond,
		RequiredAcks: kafkago.RequireAll, Transport: transport}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, records...); err != nil {
		t.Fatal(err)
	}
}

// ReadRecords reads topic from its start with a fresh group until keep has
// accepted n records. Errors a fresh cluster gives while it sets groups up
// are retried until the deadline.
func ReadRecords(t testing.TB, brokers []string, topic string, n int, keep func(kafkago.Message) bool) []kafkago.Message {
	t.Helper()
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers: brokers, GroupID: Name("reader"), GroupTopics: []string{topic}, StartOffset: kafkago.FirstOffset,
		MaxWait: 100 * time.Millisecond, JoinGroupBackoff: 200 * time.Millisecond, SessionTimeout: 6 * time.Second,
		HeartbeatInterval: 500 * time.Millisecond, ReadLagInterval: -1,
		Dialer: &kafkago.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: clientTLS(t, brokers)},
	})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	var out []kafkago.Message
	for len(out) < n {
		m, err := r.FetchMessage(ctx)
		if err != nil && ctx.Err() == nil {
			backoff.Sleep(ctx, 100*time.Millisecond) // e.g. a group coordinator not available yet
			continue
		}
		if err != nil {
			t.Fatalf("read %s: %d of %d records: %v", topic, len(out), n, err)
		}
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// Header returns a record's header value, or "".
func Header(m kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// DeadLetters returns every dead letter of eventType on the cluster of cfg,
// as they stand now.
func DeadLetters(ctx context.Context, cfg kafka.Config, eventType string) ([]kafka.DeadLetter, error) {
	var out []kafka.DeadLetter
	err := kafka.NewDeadLetters(cfg, slog.New(slog.DiscardHandler)).Each(ctx, eventType, kafka.Position{}, func(l kafka.DeadLetter) bool {
		out = append(out, l)
		return true
	})
	return out, err
}
