package kafka

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/fintechlabs/customers/adapters/tlsfiles"
)

// Security describes how to reach a secured cluster, as operators write it
// in the environment.
type Security struct {
	TLS                bool
	CAFile             string // PEM bundle; empty means the system roots
	CertFile, KeyFile  string // client certificate, for mutual TLS
	ServerName         string // overrides the name checked in the certificate
	InsecureSkipVerify bool   // for experiments only; never in production

	// SASLMechanism is "", "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512".
	SASLMechanism string
	Username      string
	Password      string
	// AllowPlaintextSASL lets PLAIN send its password without TLS: for a
	// test broker only, since anyone on the path reads the password.
	AllowPlaintextSASL bool
}

// Apply sets cfg's TLS and SASL from s.
func (s Security) Apply(cfg *Config) error {
	var err error
	if cfg.TLS, err = s.tlsConfig(); err != nil {
		return err
	}
	cfg.SASL, err = s.mechanism()
	return err
}

func (s Security) tlsConfig() (*tls.Config, error) {
	if !s.TLS {
		if s.CAFile != "" || s.CertFile != "" || s.KeyFile != "" {
			return nil, fmt.Errorf("kafka TLS files are set but TLS is off: set KAFKA_TLS=true")
		}
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.ServerName, InsecureSkipVerify: s.InsecureSkipVerify} //nolint:gosec // opt-in, documented as unsafe
	if s.CAFile != "" {
		pool, err := tlsfiles.CertPool(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka TLS: %w", err)
		}
		c.RootCAs = pool
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return nil, fmt.Errorf("kafka client certificate and key must be given together")
	}
	if s.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load kafka client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

func (s Security) mechanism() (sasl.Mechanism, error) {
	name := strings.ToUpper(strings.TrimSpace(s.SASLMechanism))
	if name == "" {
		return nil, nil
	}
	if s.Username == "" || s.Password == "" {
		return nil, fmt.Errorf("kafka SASL %s needs a username and a password", name)
	}
	switch name {
	case "PLAIN":
		if !s.TLS && !s.AllowPlaintextSASL {
			return nil, fmt.Errorf("kafka SASL PLAIN without TLS sends the password in clear: set KAFKA_TLS=true (or KAFKA_ALLOW_PLAINTEXT_SASL=true for a test broker)")
		}
		return plain.Mechanism{Username: s.Username, Password: s.Password}, nil
	case "SCRAM-SHA-256":
		return scram.Mechanism(scram.SHA256, s.Username, s.Password)
	case "SCRAM-SHA-512":
		return scram.Mechanism(scram.SHA512, s.Username, s.Password)
	}
	return nil, fmt.Errorf("kafka SASL mechanism %q is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.SASLMechanism)
}
