// Package config reads a service's configuration from the environment:
// the settings every service shares (addresses, database, Kafka, logging,
// API keys, limits), and, through a Reader, those a service reads for
// itself (apps/<service>). Every problem is reported at once.
package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fintechlabs/customers/adapters/hosts"
	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/logging"
	"github.com/fintechlabs/customers/adapters/postgres"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/core/event"
)

// Env looks a variable up; os.LookupEnv in main, a map in tests.
type Env func(key string) (string, bool)

// MapEnv returns an Env reading m.
func MapEnv(m map[string]string) Env {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// Kind names a service.
type Kind string

// The services.
const (
	Customer      Kind = "customer"
	Profiling     Kind = "profiling"
	Notifications Kind = "notifications"
)

// Kinds lists the services in start-up order.
var Kinds = []Kind{Customer, Profiling, Notifications}

type defaults struct {
	port            int
	clientID, group string
}

var serviceDefaults = map[Kind]defaults{
	Customer:      {3001, "service-customer", "customers-group"},
	Profiling:     {3002, "service-profiling", "profiling-group"},
	Notifications: {3003, "service-notifications", "notifications-group"},
}

// prefix is the service's variable prefix: CUSTOMER_, PROFILING_,
// NOTIFICATIONS_.
func (k Kind) prefix() string { return strings.ToUpper(string(k)) + "_" }

// Config is one service's configuration.
type Config struct {
	Kind Kind
	// Addr is the HTTP listen address, ":3001" by default.
	Addr string
	// MetricsAddr, when set, is a second listen address that serves
	// /metrics without a key, for a scraper on a private network; the
	// API's /metrics still needs the metrics scope.
	MetricsAddr string
	// Database is the SQLite file, used unless DatabaseURL is set.
	Database string
	// DatabaseURL, when set, puts the service's tables in PostgreSQL
	// (postgres://...) instead; replicas of a service share it.
	DatabaseURL string
	// DatabaseMaxConns bounds PostgreSQL's connection pool, and
	// DatabaseStatementTimeout each statement.
	DatabaseMaxConns         int
	DatabaseStatementTimeout time.Duration
	// Durability is SQLite's synchronous setting: full (the default) or
	// normal.
	Durability sqlite.Durability
	Kafka      kafka.Config
	// Log shapes the logs.
	Log logging.Options
	// APIKeys, when set, are required on every API call but health checks.
	// Without them a service listens only on loopback, unless AuthDisabled.
	APIKeys []string
	// AuthDisabled lets a service without APIKeys listen beyond loopback.
	AuthDisabled bool
	// RateLimit and RateBurst bound each client (API key, or address):
	// requests per second and at once. Clients on loopback are exempt
	// when no keys are set.
	RateLimit float64
	RateBurst int
	// CORSOrigins allowed to call the API from a browser; none unless
	// configured, since a browser carries its user's credentials.
	CORSOrigins []string
	// AllowedHosts are the Host names the API answers (ALLOWED_HOSTS; nil:
	// any). Without API keys it is the loopback names unless set: a web
	// page must not reach a keyless API by re-pointing its own name at
	// 127.0.0.1 (DNS rebinding).
	AllowedHosts hosts.Allowed
	// OriginalAliases takes the original's names for request fields
	// beside ours, and serves its routes (HTTP_ORIGINAL_ALIASES, true):
	// false once its clients are gone, for one name per field.
	OriginalAliases bool
	// OTLPEndpoint, when set, is where spans are exported (OTLP over
	// HTTP); without it nothing is traced beyond the trace context.
	OTLPEndpoint string
	// Retention is how long published events and handled event ids are
	// kept; it must outlast the broker's retention.
	Retention time.Duration
	// ShutdownTimeout bounds a graceful shutdown.
	ShutdownTimeout time.Duration
	// StartupTimeout bounds waiting for the broker at start.
	StartupTimeout time.Duration
	// env, prefix and shared are where the configuration came from, for
	// the service's own settings (Reader).
	env    Env
	shared bool
}

// Reader reads the service's own settings from where cfg came from, with
// its prefix (see Load).
func (c Config) Reader() *Reader {
	return &Reader{env: c.env, prefix: c.Kind.prefix(), shared: c.shared}
}

// Load reads the configuration of kind from env. Each variable is looked up
// with the service's prefix first (CUSTOMER_PORT), then without it (PORT).
// In a shared process (the stack) the unprefixed service-specific variables
// (PORT, DATABASE_PATH, DATABASE_URL, KAFKA_CLIENT_ID, KAFKA_GROUP_ID) are
// ignored, since all three services would read the same value. own read
// the service's own settings too, so that their problems are reported with
// the others; every problem is reported.
func Load(kind Kind, env Env, shared bool, own ...func(*Reader)) (Config, error) {
	return load(kind, env, shared, nil, own)
}

// Setting is a variable a service reads, with its default ("" for none).
type Setting struct{ Name, Default string }

// Settings lists the variables a service of kind reads, the logging ones
// and its own (own) included, with their defaults, in the order they are
// read: what -h prints. Each may also be prefixed with the service's name.
func Settings(kind Kind, own ...func(*Reader)) []Setting {
	var out []Setting
	seen := map[string]bool{}
	note := func(name, def string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, Setting{Name: name, Default: def})
		}
	}
	_, _ = load(kind, func(string) (string, bool) { return "", false }, false, note, own)
	r := Reader{env: func(string) (string, bool) { return "", false }, note: note}
	r.logOptions()
	return out
}

func load(kind Kind, env Env, shared bool, note func(name, def string), own []func(*Reader)) (Config, error) {
	d, ok := serviceDefaults[kind]
	if !ok {
		return Config{}, fmt.Errorf("unknown service %q", kind)
	}
	r := Reader{env: env, prefix: kind.prefix(), shared: shared, note: note}
	cfg := Config{Kind: kind, env: env, shared: shared}
	// Loopback unless told otherwise: with no keys, the API is open.
	cfg.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(r.int("PORT", d.port, true)))
	r.noted("HTTP_ADDR", cfg.Addr)
	if addr, ok := r.lookup("HTTP_ADDR", true); ok {
		cfg.Addr = addr
	}
	cfg.MetricsAddr = r.str("METRICS_ADDR", "", true)
	dataDir := r.str("DATA_DIR", "data", false)
	cfg.Database = r.str("DATABASE_PATH", filepath.Join(dataDir, string(kind)+".db"), true)
	durability, err := sqlite.ParseDurability(r.str("SQLITE_SYNCHRONOUS", string(sqlite.Full), false))
	if err != nil {
		r.problems = append(r.problems, "SQLITE_SYNCHRONOUS: "+err.Error())
	}
	cfg.Durability = durability
	cfg.DatabaseURL = r.secret("DATABASE_URL", true)
	if cfg.DatabaseURL != "" {
		if err := postgres.ParseURL(cfg.DatabaseURL); err != nil {
			r.problems = append(r.problems, "DATABASE_URL: "+err.Error())
		}
	}
	cfg.DatabaseMaxConns = r.int("DATABASE_MAX_CONNS", 10, false)
	cfg.DatabaseStatementTimeout = r.duration("DATABASE_STATEMENT_TIMEOUT", 5*time.Second)
	if cfg.DatabaseMaxConns < 1 || cfg.DatabaseStatementTimeout <= 0 {
		r.problems = append(r.problems, "DATABASE_MAX_CONNS must be at least 1, and DATABASE_STATEMENT_TIMEOUT more than 0")
	}

	cfg.Kafka = r.kafka(r.str("KAFKA_CLIENT_ID", d.clientID, true), r.str("KAFKA_GROUP_ID", d.group, true))

	cfg.Log = r.logOptions()
	cfg.APIKeys = append(r.list("API_KEYS", nil), r.fileList("API_KEYS_FILE")...)
	for _, k := range cfg.APIKeys {
		if _, err := rest.ParseKey(k); err != nil {
			r.problems = append(r.problems, "API_KEYS: "+err.Error())
		}
	}
	cfg.AuthDisabled = r.bool("AUTH_DISABLED")
	cfg.RateLimit = r.float("RATE_LIMIT", 50)
	cfg.RateBurst = r.int("RATE_LIMIT_BURST", 100, false)
	if cfg.RateLimit < 0 || cfg.RateBurst < 1 {
		r.problems = append(r.problems, "RATE_LIMIT must be 0 (off) or more, and RATE_LIMIT_BURST at least 1")
	}
	if len(cfg.APIKeys) == 0 && !cfg.AuthDisabled && !Loopback(cfg.Addr) {
		r.problems = append(r.problems, fmt.Sprintf("the API would listen on %s, beyond this machine, with no API_KEYS: "+
			"set API_KEYS (the keys clients must send), listen on loopback (HTTP_ADDR=127.0.0.1:PORT), "+
			"or set AUTH_DISABLED=true to serve without authentication", cfg.Addr))
	}
	cfg.CORSOrigins = r.list("CORS_ORIGINS", nil)
	cfg.AllowedHosts = r.list("ALLOWED_HOSTS", nil)
	if cfg.AllowedHosts == nil && len(cfg.APIKeys) == 0 && !cfg.AuthDisabled {
		cfg.AllowedHosts = hosts.Loopback
	}
	cfg.OriginalAliases = r.boolOr("HTTP_ORIGINAL_ALIASES", true)
	cfg.OTLPEndpoint = r.str("OTEL_EXPORTER_OTLP_ENDPOINT", "", false)
	cfg.Retention = r.duration("RETENTION", 30*24*time.Hour)
	if cfg.Retention < 24*time.Hour {
		r.problems = append(r.problems, "RETENTION must be at least 24h: handled event ids must outlive redeliveries")
	}
	cfg.ShutdownTimeout = r.duration("SHUTDOWN_TIMEOUT", 20*time.Second)
	if cfg.ShutdownTimeout <= cfg.Kafka.HandlerTimeout {
		r.problems = append(r.problems, fmt.Sprintf("SHUTDOWN_TIMEOUT (%s) must be longer than KAFKA_HANDLER_TIMEOUT (%s): "+
			"a shutdown lets the message in hand finish", cfg.ShutdownTimeout, cfg.Kafka.HandlerTimeout))
	}
	cfg.StartupTimeout = r.duration("STARTUP_TIMEOUT", 60*time.Second)
	for _, read := range own {
		if read != nil {
			read(&r)
		}
	}
	if len(r.problems) > 0 {
		return Config{}, fmt.Errorf("invalid %s configuration:\n  - %s", kind, strings.Join(r.problems, "\n  - "))
	}
	return cfg, nil
}

// kafka reads the KAFKA_ variables.
func (r *Reader) kafka(clientID, groupID string) kafka.Config {
	k := kafka.Defaults(clientID, groupID)
	k.Brokers = r.list("KAFKA_BROKERS", []string{"localhost:9092"})
	k.TopicPrefix = r.str("KAFKA_TOPIC_PREFIX", "", false)
	k.ConnectionTimeout = r.duration("KAFKA_CONNECTION_TIMEOUT", k.ConnectionTimeout)
	k.RequestTimeout = r.duration("KAFKA_REQUEST_TIMEOUT", k.RequestTimeout)
	k.SessionTimeout = r.duration("KAFKA_SESSION_TIMEOUT", k.SessionTimeout)
	k.HeartbeatInterval = r.duration("KAFKA_HEARTBEAT_INTERVAL", k.HeartbeatInterval)
	k.RebalanceTimeout = r.duration("KAFKA_REBALANCE_TIMEOUT", k.RebalanceTimeout)
	k.MaxBytesPerPartition = r.int("KAFKA_MAX_BYTES_PER_PARTITION", k.MaxBytesPerPartition, false)
	k.Partitions = r.int("KAFKA_PARTITIONS", k.Partitions, false)
	k.ReplicationFactor = r.int("KAFKA_REPLICATION_FACTOR", k.ReplicationFactor, false)
	k.HandlerTimeout = r.duration("KAFKA_HANDLER_TIMEOUT", k.HandlerTimeout)
	k.MaxAttempts = r.int("KAFKA_MAX_ATTEMPTS", k.MaxAttempts, false)
	k.CommitInterval = r.duration("KAFKA_COMMIT_INTERVAL", k.CommitInterval)
	k.Concurrency = r.int("KAFKA_CONCURRENCY", k.Concurrency, false)
	k.InHand = r.int("KAFKA_IN_HAND", k.InHand, false)
	k.BatchTimeout = r.duration("KAFKA_BATCH_TIMEOUT", k.BatchTimeout)
	// The topics where a record in the original's format (no headers, so
	// no source) is taken: "none" once the original's services are gone.
	k.OriginalTopics = r.list("KAFKA_ORIGINAL_TOPICS", k.OriginalTopics)
	if len(k.OriginalTopics) == 1 && k.OriginalTopics[0] == "none" {
		k.OriginalTopics = nil
	}
	for _, t := range k.OriginalTopics {
		if event.Wire(t) == nil {
			r.problems = append(r.problems, fmt.Sprintf("KAFKA_ORIGINAL_TOPICS: %q is not a topic of the catalog (or none)", t))
		}
	}
	sec := kafka.Security{
		TLS: r.bool("KAFKA_TLS"), CAFile: r.str("KAFKA_TLS_CA_FILE", "", false),
		CertFile: r.str("KAFKA_TLS_CERT_FILE", "", false), KeyFile: r.str("KAFKA_TLS_KEY_FILE", "", false),
		ServerName: r.str("KAFKA_TLS_SERVER_NAME", "", false), InsecureSkipVerify: r.bool("KAFKA_TLS_INSECURE_SKIP_VERIFY"),
		SASLMechanism: r.str("KAFKA_SASL_MECHANISM", "", false),
		Username:      r.str("KAFKA_SASL_USERNAME", "", false), Password: r.secret("KAFKA_SASL_PASSWORD", false),
		AllowPlaintextSASL: r.bool("KAFKA_ALLOW_PLAINTEXT_SASL"),
	}
	if err := sec.Apply(&k); err != nil {
		r.problems = append(r.problems, err.Error())
	}
	if err := k.Validate(); err != nil {
		r.problems = append(r.problems, err.Error())
	}
	return k
}

// LoadKafka reads the Kafka settings alone, for tools such as the
// dead-letter command, which act as clientID.
func LoadKafka(env Env, clientID string) (kafka.Config, error) {
	r := Reader{env: env}
	k := r.kafka(clientID, clientID)
	if len(r.problems) > 0 {
		return kafka.Config{}, fmt.Errorf("invalid Kafka configuration:\n  - %s", strings.Join(r.problems, "\n  - "))
	}
	return k, nil
}

// logOptions reads LOG_FORMAT, LOG_LEVEL and NO_COLOR.
func (r *Reader) logOptions() logging.Options {
	var o logging.Options
	var err error
	if o.Format, err = logging.ParseFormat(r.str("LOG_FORMAT", "auto", false)); err != nil {
		r.problems = append(r.problems, err.Error())
	}
	if o.Level, err = logging.ParseLevel(r.str("LOG_LEVEL", "info", false)); err != nil {
		r.problems = append(r.problems, err.Error())
	}
	r.noted("NO_COLOR", "")
	_, o.NoColor = r.lookup("NO_COLOR", false)
	return o
}

// LogOptions reads the logging variables alone, for the stack, whose
// services each load their own configuration.
func LogOptions(env Env) (logging.Options, error) {
	r := Reader{env: env}
	o := r.logOptions()
	if len(r.problems) > 0 {
		return o, fmt.Errorf("%s", strings.Join(r.problems, "; "))
	}
	return o, nil
}

// Reader reads variables and collects every problem. A service reads its
// own settings with its exported methods (Config.Reader); each variable is
// looked up with the service's prefix first.
type Reader struct {
	env      Env
	prefix   string
	shared   bool
	problems []string
	// note, when set, is told every variable read and its default.
	note func(name, def string)
}

func (r *Reader) noted(name, def string) {
	if r.note != nil {
		r.note(name, def)
	}
}

// lookup finds PREFIX_NAME, then NAME unless the variable is service
// specific and the process is shared.
func (r *Reader) lookup(name string, serviceSpecific bool) (string, bool) {
	if v, ok := r.env(r.prefix + name); ok && v != "" {
		return v, true
	}
	if serviceSpecific && r.shared {
		return "", false
	}
	v, ok := r.env(name)
	return v, ok && v != ""
}

func (r *Reader) str(name, def string, serviceSpecific bool) string {
	r.noted(name, def)
	if v, ok := r.lookup(name, serviceSpecific); ok {
		return v
	}
	return def
}

func (r *Reader) list(name string, def []string) []string {
	r.noted(name, strings.Join(def, ","))
	v, ok := r.lookup(name, false)
	if !ok {
		return def
	}
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// fileList reads the file the variable name points to, if any: one entry
// per line or comma-separated, blank lines and # comments skipped.
func (r *Reader) fileList(name string) []string {
	path := r.str(name, "", false)
	if path == "" {
		return nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("%s: %v", name, err))
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, x := range strings.Split(line, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
	}
	return out
}

// secret reads a secret from name, or from the file name_FILE points to
// (a mounted secret), whose trailing newline is dropped.
func (r *Reader) secret(name string, serviceSpecific bool) string {
	if path := r.str(name+"_FILE", "", serviceSpecific); path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			r.problems = append(r.problems, fmt.Sprintf("%s_FILE: %v", name, err))
			return ""
		}
		return strings.TrimRight(string(raw), "\r\n")
	}
	return r.str(name, "", serviceSpecific)
}

func (r *Reader) int(name string, def int, serviceSpecific bool) int {
	r.noted(name, strconv.Itoa(def))
	v, ok := r.lookup(name, serviceSpecific)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("%s=%q is not a whole number", name, v))
	}
	return n
}

func (r *Reader) float(name string, def float64) float64 {
	r.noted(name, strconv.FormatFloat(def, 'g', -1, 64))
	v, ok := r.lookup(name, false)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("%s=%q is not a number", name, v))
	}
	return f
}

// Loopback reports whether addr (host:port) accepts connections from this
// machine only.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (r *Reader) bool(name string) bool { return r.boolOr(name, false) }

func (r *Reader) boolOr(name string, def bool) bool {
	r.noted(name, strconv.FormatBool(def))
	v, ok := r.lookup(name, false)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("%s=%q is not true or false", name, v))
	}
	return b
}

// duration accepts Go durations ("5s") and, as the original's module
// options did, plain milliseconds ("5000").
func (r *Reader) duration(name string, def time.Duration) time.Duration {
	r.noted(name, def.String())
	v, ok := r.lookup(name, false)
	if !ok {
		return def
	}
	if ms, err := strconv.Atoi(v); err == nil {
		return time.Duration(ms) * time.Millisecond
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		r.problems = append(r.problems, fmt.Sprintf("%s=%q is not a duration such as 5s or 5000 (ms)", name, v))
	}
	return d
}

// String reads name, def when it is not set.
func (r *Reader) String(name, def string) string { return r.str(name, def, false) }

// Int reads a whole number.
func (r *Reader) Int(name string, def int) int { return r.int(name, def, false) }

// Float reads a number.
func (r *Reader) Float(name string, def float64) float64 { return r.float(name, def) }

// Bool reads true or false (false when not set).
func (r *Reader) Bool(name string) bool { return r.bool(name) }

// Duration reads a duration: 5s, or 5000 (milliseconds).
func (r *Reader) Duration(name string, def time.Duration) time.Duration { return r.duration(name, def) }

// Secret reads a secret, from name or from the file name_FILE names.
func (r *Reader) Secret(name string) string { return r.secret(name, false) }

// Problem records a problem with the settings, reported with the others.
func (r *Reader) Problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// Err returns every problem recorded, or nil.
func (r *Reader) Err(what string) error {
	if len(r.problems) == 0 {
		return nil
	}
	return fmt.Errorf("invalid %s configuration:\n  - %s", what, strings.Join(r.problems, "\n  - "))
}
