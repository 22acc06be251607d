package customer_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/customer"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// saslEnv configures the customer service for a SASL broker.
func saslEnv(t *testing.T, brokers []string, user, password string) config.Env {
	t.Helper()
	return config.MapEnv(map[string]string{
		"KAFKA_BROKERS": strings.Join(brokers, ","), "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
		"KAFKA_SASL_USERNAME": user, "KAFKA_SASL_PASSWORD": password, "KAFKA_TOPIC_PREFIX": kafkatest.Name("svc") + ".",
		"DATA_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0", "STARTUP_TIMEOUT": "60s",
		"KAFKA_SESSION_TIMEOUT": "6s", "KAFKA_HEARTBEAT_INTERVAL": "500ms",
	})
}

func TestAServiceStartsServesAndStopsOverSASL(t *testing.T) {
	brokers, user, password := kafkatest.SASLBrokers(t, "SCRAM-SHA-256")
	cfg, err := config.Load(config.Customer, saslEnv(t, brokers, user, password), false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc, err := customer.New(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	svc.Start()
	resp, err := http.Get(svc.URL() + "/customers/health")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := svc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAWrongKafkaPasswordStopsTheServiceAtOnceAndSaysWhy(t *testing.T) {
	brokers, user, _ := kafkatest.SASLBrokers(t, "SCRAM-SHA-256")
	cfg, err := config.Load(config.Customer, saslEnv(t, brokers, user, "not-the-password"), false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = customer.New(ctx, cfg, quiet)
	if err == nil || !strings.Contains(err.Error(), "authentication failed") || strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("New = %v; want an authentication error, not a timeout", err)
	}
}
