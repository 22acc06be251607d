package system_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/apps/system"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// saslEnv configures the customer service for a SASL broker.
func saslEnv(t *testing.T, brokers []string, user, password string) system.Env {
	t.Helper()
	return system.MapEnv(map[string]string{
		"KAFKA_BROKERS": strings.Join(brokers, ","), "KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
		"KAFKA_SASL_USERNAME": user, "KAFKA_SASL_PASSWORD": password, "KAFKA_TOPIC_PREFIX": kafkatest.Name("svc") + ".",
		"DATA_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0", "STARTUP_TIMEOUT": "60s",
		"KAFKA_SESSION_TIMEOUT": "6s", "KAFKA_HEARTBEAT_INTERVAL": "500ms",
	})
}

func TestAServiceStartsServesAndStopsOverSASL(t *testing.T) {
	brokers, user, password := kafkatest.SASLBrokers(t, "SCRAM-SHA-256")
	cfg, err := system.Load(system.Customer, saslEnv(t, brokers, user, password), false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc, err := system.New(ctx, cfg, quiet)
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
	cfg, err := system.Load(system.Customer, saslEnv(t, brokers, user, "not-the-password"), false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = system.New(ctx, cfg, quiet)
	if err == nil || !strings.Contains(err.Error(), "authentication failed") || strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("New = %v; want an authentication error, not a timeout", err)
	}
}

func TestProfilingServesTheRuleTableOfRULES_FILE(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		path := dir + "/" + name
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	custom := write("rules.json", `{"minAge":21,"currency":"EUR","age":[{"from":21,"points":10}],
		"income":[{"from":0,"points":0}],"creditScore":[{"from":300,"points":0}],"firstPaymentPoints":10,
		"tiers":[{"tier":"premium","minScore":15},{"tier":"basic","minScore":0}],
		"segments":[{"name":"all","minScore":0}],"firstPaymentBonus":{"code":"WELCOME","discountPercent":25,"validDays":10}}`)
	broken := write("broken.json", `{"minAge":-1}`)
	brokers := kafkatest.Brokers(t)
	env := func(rules string) system.Env {
		return system.MapEnv(map[string]string{"KAFKA_BROKERS": strings.Join(brokers, ","), "RULES_FILE": rules,
			"KAFKA_TOPIC_PREFIX": kafkatest.Name("rules") + ".", "DATA_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	cfg, err := system.Load(system.Profiling, env(broken), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := system.New(ctx, cfg, quiet); err == nil || !strings.Contains(err.Error(), "minAge") {
		t.Fatalf("a broken rule file should stop the start with its problems: %v", err)
	}

	cfg, err = system.Load(system.Profiling, env(custom), false)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := system.New(ctx, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	svc.Start()
	defer func() { _ = svc.Shutdown(ctx) }()
	resp, err := http.Get(svc.URL() + "/profiling/rules")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rules struct {
		MinAge   int    `json:"minAge"`
		Currency string `json:"currency"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&rules); err != nil || rules.MinAge != 21 || rules.Currency != "EUR" {
		t.Fatalf("rules served = %+v, %v", rules, err)
	}
}
