package customer_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/customer"
	"github.com/fintechlabs/customers/apps/runner"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// saslEnv configures the customer service for a SASL broker.
func saslEnv(t *testing.T, brokers []string, user, password string) map[string]string {
	t.Helper()
	return map[string]string{
		"KAFKA_BROKERS": strings.Join(brokers, ","), "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
		"KAFKA_SASL_USERNAME": user, "KAFKA_SASL_PASSWORD": password, "KAFKA_TOPIC_PREFIX": kafkatest.Name("svc") + ".",
		"DATA_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0", "STARTUP_TIMEOUT": "60s",
		"KAFKA_SESSION_TIMEOUT": "6s", "KAFKA_HEARTBEAT_INTERVAL": "500ms",
	}
}

func TestAServiceStartsServesAndStopsOverSASL(t *testing.T) {
	brokers, user, password := kafkatest.SASLBrokers(t, "SCRAM-SHA-256")
	startAndCheck(t, saslEnv(t, brokers, user, password), func(svc *runner.Service) {
		if resp := get(t, svc.URL()+"/customers/health"); resp.StatusCode != http.StatusOK {
			t.Fatalf("health: %d", resp.StatusCode)
		}
	})
}

func TestAWrongKafkaPasswordStopsTheServiceAtOnceAndSaysWhy(t *testing.T) {
	brokers, user, _ := kafkatest.SASLBrokers(t, "SCRAM-SHA-256")
	cfg, err := config.Load(config.Customer, config.MapEnv(saslEnv(t, brokers, user, "not-the-password")), false)
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

func TestAServiceStartsServesAndStopsOverTLSWithSASL(t *testing.T) {
	l := kafkatest.TLS(t)
	env := saslEnv(t, l.SASL, l.User, l.Password)
	env["KAFKA_TLS"], env["KAFKA_TLS_CA_FILE"], env["KAFKA_SASL_MECHANISM"] = "true", filepath.Join(l.Dir, "ca.pem"), "PLAIN"
	startAndCheck(t, env, func(svc *runner.Service) {
		if resp := get(t, svc.URL()+"/customers/health"); resp.StatusCode != http.StatusOK {
			t.Fatalf("health: %d", resp.StatusCode)
		}
	})
}

func TestMetricsAddrServesMetricsAloneWithoutAKey(t *testing.T) {
	env := map[string]string{
		"KAFKA_BROKERS": strings.Join(kafkatest.Brokers(t), ","), "KAFKA_TOPIC_PREFIX": kafkatest.Name("svc") + ".",
		"DATA_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0", "METRICS_ADDR": "127.0.0.1:0", "API_KEYS": "ops:ops-secret",
		"KAFKA_SESSION_TIMEOUT": "6s", "KAFKA_HEARTBEAT_INTERVAL": "500ms",
	}
	startAndCheck(t, env, func(svc *runner.Service) {
		if resp := get(t, svc.URL()+"/metrics"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("the API's /metrics without a key = %d, want 401", resp.StatusCode)
		}
		resp := get(t, svc.MetricsURL()+"/metrics")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "http_requests_total{") {
			t.Errorf("METRICS_ADDR /metrics = %d %.200s", resp.StatusCode, body)
		}
		if resp := get(t, svc.MetricsURL()+"/customers"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("the metrics listener serves the API: /customers = %d", resp.StatusCode)
		}
	})
}

// startAndCheck starts the customer service with env, runs check, and
// stops it gracefully.
func startAndCheck(t *testing.T, env map[string]string, check func(*runner.Service)) {
	t.Helper()
	cfg, err := config.Load(config.Customer, config.MapEnv(env), false)
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
	check(svc)
	if err := svc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
