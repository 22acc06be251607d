package kafka_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/core/fault"
)

func TestDefaultsAreValidAndBadSettingsAreNamed(t *testing.T) {
	if err := kafka.Defaults("service-customer", "customers-group").Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*kafka.Config)
		want string
	}{
		{"no brokers", func(c *kafka.Config) { c.Brokers = nil }, "at least one broker"},
		{"a broker without port", func(c *kafka.Config) { c.Brokers = []string{"kafka"} }, `"kafka" must be host:port`},
		{"no group", func(c *kafka.Config) { c.GroupID = "" }, "group id"},
		{"no client id", func(c *kafka.Config) { c.ClientID = "" }, "client id"},
		{"a heartbeat slower than the session", func(c *kafka.Config) { c.HeartbeatInterval = time.Minute }, "heartbeat"},
		{"no rebalance timeout", func(c *kafka.Config) { c.RebalanceTimeout = 0 }, "rebalance"},
		{"tiny fetches", func(c *kafka.Config) { c.MaxBytesPerPartition = 10 }, "max bytes"},
		{"zero partitions", func(c *kafka.Config) { c.Partitions = 0 }, "partitions"},
		{"zero attempts", func(c *kafka.Config) { c.MaxAttempts = 0 }, "attempts"},
		{"zero timeouts", func(c *kafka.Config) { c.RequestTimeout = 0 }, "timeouts"},
		{"a topic prefix with a slash", func(c *kafka.Config) { c.TopicPrefix = "a/b." }, "topic prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := kafka.Defaults("c", "g")
			tt.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

// writeCert writes a self-signed certificate and its key as PEM files.
func writeCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kafka.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, DNSNames: []string{"kafka.test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestSecuritySettings(t *testing.T) {
	cert, key := writeCert(t)
	junk := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		sec     kafka.Security
		wantErr string
		tls     bool
		sasl    string
	}{
		{"nothing set means plaintext", kafka.Security{}, "", false, ""},
		{"TLS with the system roots", kafka.Security{TLS: true}, "", true, ""},
		{"TLS with a CA and a client certificate", kafka.Security{TLS: true, CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "kafka.test"}, "", true, ""},
		{"SASL PLAIN over TLS", kafka.Security{TLS: true, SASLMechanism: "plain", Username: "u", Password: "p"}, "", true, "PLAIN"},
		{"SASL PLAIN without TLS, allowed for a test broker", kafka.Security{SASLMechanism: "PLAIN", Username: "u", Password: "p", AllowPlaintextSASL: true}, "", false, "PLAIN"},
		{"SASL PLAIN without TLS", kafka.Security{SASLMechanism: "PLAIN", Username: "u", Password: "p"}, "KAFKA_ALLOW_PLAINTEXT_SASL", false, ""},
		{"SCRAM-SHA-256", kafka.Security{SASLMechanism: "SCRAM-SHA-256", Username: "u", Password: "p"}, "", false, "SCRAM-SHA-256"},
		{"SCRAM-SHA-512 over TLS", kafka.Security{TLS: true, SASLMechanism: "SCRAM-SHA-512", Username: "u", Password: "p"}, "", true, "SCRAM-SHA-512"},
		{"TLS files without TLS", kafka.Security{CAFile: cert}, "TLS is off", false, ""},
		{"a missing CA file", kafka.Security{TLS: true, CAFile: "/nope.pem"}, "kafka TLS: read the CA file", false, ""},
		{"a CA file without certificates", kafka.Security{TLS: true, CAFile: junk}, "no PEM certificate", false, ""},
		{"a certificate without key", kafka.Security{TLS: true, CertFile: cert}, "together", false, ""},
		{"a key that does not load", kafka.Security{TLS: true, CertFile: cert, KeyFile: junk}, "load kafka client certificate", false, ""},
		{"SASL without password", kafka.Security{SASLMechanism: "PLAIN", Username: "u"}, "needs a username and a password", false, ""},
		{"an unknown mechanism", kafka.Security{SASLMechanism: "GSSAPI", Username: "u", Password: "p"}, "is not PLAIN", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := kafka.Defaults("c", "g")
			err := tt.sec.Apply(&cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Apply() = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (cfg.TLS != nil) != tt.tls {
				t.Fatalf("TLS = %v", cfg.TLS)
			}
			if cfg.TLS != nil && (cfg.TLS.InsecureSkipVerify || cfg.TLS.MinVersion < 0x0303) {
				t.Fatal("TLS must verify certificates and use TLS 1.2 or later by default")
			}
			got := ""
			if cfg.SASL != nil {
				got = cfg.SASL.Name()
			}
			if got != tt.sasl {
				t.Fatalf("SASL = %q, want %q", got, tt.sasl)
			}
		})
	}
}

func TestRecordsWithBrokenHeadersArePoison(t *testing.T) {
	good := map[string]string{"ce_specversion": "1.0", "ce_id": "e1", "ce_type": "customer.onboarded",
		"ce_time": "2026-03-01T10:00:00Z", "content-type": "application/json"}
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"another spec version", map[string]string{"ce_specversion": "0.3"}, "ce_specversion"},
		{"no id", map[string]string{"ce_id": ""}, "ce_id is missing"},
		{"a type that is not the topic", map[string]string{"ce_type": "customer.activated"}, "does not match topic"},
		{"a foreign content type", map[string]string{"content-type": "application/avro"}, "content-type"},
		{"a malformed time", map[string]string{"ce_time": "yesterday"}, "ce_time"},
		{"a malformed schema version", map[string]string{"ce_schemaversion": "one"}, "ce_schemaversion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := kafkago.Message{Topic: "customer.onboarded", Key: []byte("c1"), Value: []byte(`{}`)}
			for k, v := range good {
				if o, ok := tt.headers[k]; ok {
					v = o
				}
				r.Headers = append(r.Headers, kafkago.Header{Key: k, Value: []byte(v)})
			}
			for k, v := range tt.headers {
				if _, ok := good[k]; !ok {
					r.Headers = append(r.Headers, kafkago.Header{Key: k, Value: []byte(v)})
				}
			}
			_, err := kafka.Defaults("c", "g").Decode(r)
			if fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode() = %v, want invalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestDeadLetterTopicsAreNamedAfterTheirTopic(t *testing.T) {
	got := kafka.DeadLetterTopics([]string{"customer.onboarded", "notification.sent"})
	if strings.Join(got, ",") != "customer.onboarded.dlt,notification.sent.dlt" {
		t.Fatalf("got %v", got)
	}
}
