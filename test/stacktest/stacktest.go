// Package stacktest prepares the whole system for black-box tests and
// benchmarks.
package stacktest

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Env returns the environment of a stack for a run named name ("e2e",
// "bench"): data under dataDir, every port picked by the OS, short
// consumer-group timeouts. When KAFKA_BROKERS names a cluster it uses that
// cluster (and its SASL settings) with topics and groups of the run's own,
// so reruns against the same cluster start clean; topicPrefix is then the
// prefix of the run's topics, otherwise "".
func Env(name, dataDir string) (env map[string]string, topicPrefix string) {
	env = map[string]string{
		"DATA_DIR": dataDir, "EMBEDDED_KAFKA_PORT": "0",
		"CUSTOMER_HTTP_ADDR": "127.0.0.1:0", "PROFILING_HTTP_ADDR": "127.0.0.1:0", "NOTIFICATIONS_HTTP_ADDR": "127.0.0.1:0",
		"KAFKA_SESSION_TIMEOUT": "6s", "KAFKA_HEARTBEAT_INTERVAL": "500ms", "KAFKA_REBALANCE_TIMEOUT": "5s",
		"KAFKA_REQUEST_TIMEOUT": "10s", "KAFKA_MAX_ATTEMPTS": "3", "SHUTDOWN_TIMEOUT": "20s",
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
	for _, k := range []string{"KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"} {
		if v := os.Getenv(k); v != "" {
			env[k] = v
		}
	}
	return env, topicPrefix
}
