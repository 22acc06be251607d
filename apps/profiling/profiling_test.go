package profiling_test

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
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/profiling"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

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
	env := func(rules string) config.Env {
		return config.MapEnv(map[string]string{"KAFKA_BROKERS": strings.Join(brokers, ","), "RULES_FILE": rules,
			"KAFKA_TOPIC_PREFIX": kafkatest.Name("rules") + ".", "DATA_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	cfg, err := config.Load(config.Profiling, env(broken), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := profiling.New(ctx, cfg, quiet); err == nil || !strings.Contains(err.Error(), "minAge") {
		t.Fatalf("a broken rule file should stop the start with its problems: %v", err)
	}

	cfg, err = config.Load(config.Profiling, env(custom), false)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := profiling.New(ctx, cfg, quiet)
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
