package config_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/logging"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/core/event"
)

func TestEachServiceHasTheOriginalDefaults(t *testing.T) {
	tests := []struct {
		kind                    config.Kind
		addr, db, client, group string
	}{
		{config.Customer, "127.0.0.1:3001", "data/customer.db", "service-customer", "customers-group"},
		{config.Profiling, "127.0.0.1:3002", "data/profiling.db", "service-profiling", "profiling-group"},
		{config.Notifications, "127.0.0.1:3003", "data/notifications.db", "service-notifications", "notifications-group"},
	}
	for _, tt := range tests {
		cfg, err := config.Load(tt.kind, config.MapEnv(nil), false)
		if err != nil {
			t.Fatal(err)
		}
		k := cfg.Kafka
		if cfg.Addr != tt.addr || cfg.Database != tt.db || k.ClientID != tt.client || k.GroupID != tt.group {
			t.Errorf("%s: %+v", tt.kind, cfg)
		}
		if strings.Join(k.Brokers, ",") != "localhost:9092" || k.ConnectionTimeout != 5*time.Second || k.RequestTimeout != time.Minute ||
			k.SessionTimeout != 45*time.Second || k.HeartbeatInterval != 5*time.Second || k.RebalanceTimeout != 90*time.Second ||
			k.MaxBytesPerPartition != 2097152 {
			t.Errorf("%s: kafka defaults %+v differ from the original module's", tt.kind, k)
		}
		if cfg.Log.Format != logging.Auto || cfg.Log.Level != slog.LevelInfo || cfg.Log.NoColor || len(cfg.APIKeys) != 0 ||
			len(cfg.CORSOrigins) != 0 || cfg.Durability != "full" {
			t.Errorf("%s: %+v", tt.kind, cfg)
		}
	}
}

func TestVariablesOverrideDefaultsAndPrefixesWin(t *testing.T) {
	env := config.MapEnv(map[string]string{
		"KAFKA_BROKERS": "k1:9092, k2:9092", "KAFKA_CLIENT_ID": "generic", "PROFILING_KAFKA_CLIENT_ID": "mine",
		"KAFKA_GROUP_ID": "g", "PORT": "8080", "KAFKA_CONNECTION_TIMEOUT": "2500", "KAFKA_REQUEST_TIMEOUT": "30s",
		"KAFKA_SESSION_TIMEOUT": "10000", "KAFKA_HEARTBEAT_INTERVAL": "1s", "KAFKA_REBALANCE_TIMEOUT": "20s",
		"KAFKA_MAX_BYTES_PER_PARTITION": "1048576", "KAFKA_PARTITIONS": "6", "KAFKA_REPLICATION_FACTOR": "3",
		"API_KEYS": "a, b", "CORS_ORIGINS": "https://backoffice.example", "LOG_FORMAT": "json", "LOG_LEVEL": "debug",
		"DATA_DIR": "/var/lib/customers", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "svc",
		"KAFKA_SASL_PASSWORD": "pw", "RULES_FILE": "/etc/rules.json", "PROFILING_RULES_FILE": "/etc/mine.json",
		"SQLITE_SYNCHRONOUS": "normal",
	})
	var rules string
	cfg, err := config.Load(config.Profiling, env, false, func(r *config.Reader) { rules = r.String("RULES_FILE", "") })
	if err != nil {
		t.Fatal(err)
	}
	k := cfg.Kafka
	if strings.Join(k.Brokers, "|") != "k1:9092|k2:9092" || k.ClientID != "mine" || k.GroupID != "g" || cfg.Addr != "127.0.0.1:8080" {
		t.Fatalf("cfg = %+v", cfg)
	}
	if k.ConnectionTimeout != 2500*time.Millisecond || k.RequestTimeout != 30*time.Second || k.SessionTimeout != 10*time.Second ||
		k.HeartbeatInterval != time.Second || k.RebalanceTimeout != 20*time.Second || k.MaxBytesPerPartition != 1<<20 ||
		k.Partitions != 6 || k.ReplicationFactor != 3 {
		t.Fatalf("kafka = %+v", k)
	}
	if k.SASL == nil || k.SASL.Name() != "SCRAM-SHA-512" || cfg.Database != "/var/lib/customers/profiling.db" ||
		strings.Join(cfg.APIKeys, ",") != "a,b" || cfg.Log.Format != logging.JSON || cfg.Log.Level != slog.LevelDebug ||
		rules != "/etc/mine.json" || cfg.Durability != "normal" {
		t.Fatalf("cfg = %+v", cfg)
	}
}

func TestInOneProcessServiceSpecificVariablesNeedTheirPrefix(t *testing.T) {
	env := config.MapEnv(map[string]string{"PORT": "8080", "KAFKA_GROUP_ID": "shared", "CUSTOMER_PORT": "9001", "LOG_LEVEL": "warn"})
	c, err := config.Load(config.Customer, env, true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := config.Load(config.Profiling, env, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9001" || p.Addr != "127.0.0.1:3002" || c.Kafka.GroupID != "customers-group" || p.Kafka.GroupID != "profiling-group" {
		t.Fatalf("customer %s %s, profiling %s %s", c.Addr, c.Kafka.GroupID, p.Addr, p.Kafka.GroupID)
	}
	if c.Log.Level != slog.LevelWarn || p.Log.Level != slog.LevelWarn {
		t.Fatal("shared settings apply to every service")
	}
}

func TestAnOpenAPIListensOnlyOnLoopbackUnlessAuthenticationIsDisabled(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		start bool
	}{
		{"the default address, no keys", nil, true},
		{"loopback by name, no keys", map[string]string{"HTTP_ADDR": "localhost:3001"}, true},
		{"IPv6 loopback, no keys", map[string]string{"HTTP_ADDR": "[::1]:3001"}, true},
		{"every interface, no keys", map[string]string{"HTTP_ADDR": ":3001"}, false},
		{"every interface by address, no keys", map[string]string{"HTTP_ADDR": "0.0.0.0:3001"}, false},
		{"a public address, no keys", map[string]string{"HTTP_ADDR": "203.0.113.7:3001"}, false},
		{"every interface with keys", map[string]string{"HTTP_ADDR": ":3001", "API_KEYS": "k"}, true},
		{"every interface, authentication disabled", map[string]string{"HTTP_ADDR": ":3001", "AUTH_DISABLED": "true"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(config.Customer, config.MapEnv(tt.env), false)
			if tt.start != (err == nil) {
				t.Fatalf("Load = %v", err)
			}
			if err != nil && (!strings.Contains(err.Error(), "API_KEYS") || !strings.Contains(err.Error(), "AUTH_DISABLED=true")) {
				t.Fatalf("the refusal must name what to set: %v", err)
			}
		})
	}
}

func TestSecretsMayComeFromFiles(t *testing.T) {
	dir := t.TempDir()
	keys, password := filepath.Join(dir, "keys"), filepath.Join(dir, "password")
	if err := os.WriteFile(keys, []byte("# the backoffice\nbackoffice:b-secret:customers:read\n\nscraper:s-secret:metrics, ops:o-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(password, []byte("pw-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Customer, config.MapEnv(map[string]string{"API_KEYS": "cli:c-secret", "API_KEYS_FILE": keys,
		"KAFKA_SASL_MECHANISM": "SCRAM-SHA-256", "KAFKA_SASL_USERNAME": "svc", "KAFKA_SASL_PASSWORD_FILE": password}), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.APIKeys, "|"); got != "cli:c-secret|backoffice:b-secret:customers:read|scraper:s-secret:metrics|ops:o-secret" {
		t.Fatalf("keys = %s", got)
	}
	if cfg.Kafka.SASL == nil {
		t.Fatal("no SASL from the password file")
	}
	_, err = config.Load(config.Customer, config.MapEnv(map[string]string{"API_KEYS": "x:top-secret:everything", "API_KEYS_FILE": filepath.Join(dir, "none")}), false)
	if err == nil || !strings.Contains(err.Error(), `unknown scope "everything"`) || !strings.Contains(err.Error(), "API_KEYS_FILE") ||
		strings.Contains(err.Error(), "top-secret") {
		t.Fatalf("bad keys: %v", err)
	}
}

func TestEveryConfigurationProblemIsReportedAtOnce(t *testing.T) {
	env := config.MapEnv(map[string]string{
		"PORT": "eighty", "KAFKA_SESSION_TIMEOUT": "soon", "KAFKA_TLS": "maybe", "LOG_FORMAT": "xml", "LOG_LEVEL": "loud",
		"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_BROKERS": "no-port", "DELIVERY_LATENCY": "-5s",
		"KAFKA_PARTITIONS": "x", "RETENTION": "1h", "SQLITE_SYNCHRONOUS": "off", "KAFKA_HANDLER_TIMEOUT": "1m", "RATE_LIMIT": "-1",
		"KAFKA_ORIGINAL_TOPICS": "customer.onboarded,customer.everything",
	})
	// The service's own settings are read with the shared ones, and their
	// problems reported with the others.
	own := func(r *config.Reader) {
		if r.Duration("DELIVERY_LATENCY", 0) < 0 {
			r.Problem("DELIVERY_LATENCY must not be negative")
		}
	}
	_, err := config.Load(config.Notifications, env, false, own)
	if err == nil {
		t.Fatal("a broken configuration loaded")
	}
	for _, want := range []string{"PORT=\"eighty\"", "KAFKA_SESSION_TIMEOUT", "KAFKA_TLS", "log format", "log level",
		"username and a password", `"no-port" must be host:port`, "DELIVERY_LATENCY", "KAFKA_PARTITIONS",
		"RETENTION", "SQLITE_SYNCHRONOUS", "must be longer than KAFKA_HANDLER_TIMEOUT", "RATE_LIMIT must",
		`KAFKA_ORIGINAL_TOPICS: "customer.everything"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not mention %s:\n%v", want, err)
		}
	}
	if _, err := config.Load("billing", config.MapEnv(nil), false); err == nil {
		t.Error("an unknown service loaded")
	}
}

func TestRecordsInTheOriginalsFormatAreTakenWhereItWritesUntilToldNone(t *testing.T) {
	tests := []struct {
		name, value string
		want        []string
	}{
		{"by default, the topics the original writes", "", event.OriginalTopics},
		{"the ones named", "customer.profiled", []string{event.TopicProfiled}},
		{"none once the original is gone", "none", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(config.Customer, config.MapEnv(map[string]string{"KAFKA_ORIGINAL_TOPICS": tt.value}), false)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.Kafka.OriginalTopics, tt.want) {
				t.Fatalf("OriginalTopics = %v, want %v", cfg.Kafka.OriginalTopics, tt.want)
			}
		})
	}
}
