package kafka_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
)

// These run against the real broker's TLS listeners (make test-kafka):
// verification on, with the CA the test tooling made.

func TestTLSCarriesSASLToABrokerTheCAVouchesFor(t *testing.T) {
	l := kafkatest.TLS(t)
	// PLAIN needs no plaintext allowance here: its password travels
	// encrypted.
	for _, mechanism := range []string{"PLAIN", "SCRAM-SHA-512"} {
		t.Run(mechanism, func(t *testing.T) {
			roundTrip(t, l.SASL, kafka.Security{TLS: true, CAFile: filepath.Join(l.Dir, "ca.pem"),
				SASLMechanism: mechanism, Username: l.User, Password: l.Password})
		})
	}
}

func TestMutualTLSCarriesMessagesWithTheClientsCertificate(t *testing.T) {
	l := kafkatest.TLS(t)
	roundTrip(t, l.Mutual, kafka.Security{TLS: true, CAFile: filepath.Join(l.Dir, "ca.pem"),
		CertFile: filepath.Join(l.Dir, "client.pem"), KeyFile: filepath.Join(l.Dir, "client-key.pem")})
}

func TestAnUntrustedTLSConnectionIsAnImmediateStartUpError(t *testing.T) {
	l := kafkatest.TLS(t)
	ca, other := filepath.Join(l.Dir, "ca.pem"), filepath.Join(l.Dir, "other-ca.pem")
	tests := []struct {
		name    string
		brokers []string
		sec     kafka.Security
		want    string
	}{
		{"a broker signed by a CA the client does not trust", l.SASL,
			kafka.Security{TLS: true, CAFile: other, SASLMechanism: "SCRAM-SHA-512", Username: l.User, Password: l.Password}, "KAFKA_TLS_"},
		{"a broker whose certificate names another host", l.SASL,
			kafka.Security{TLS: true, CAFile: ca, ServerName: "kafka.example.com", SASLMechanism: "SCRAM-SHA-512", Username: l.User, Password: l.Password}, "KAFKA_TLS_"},
		{"a client without a certificate where one is required", l.Mutual,
			kafka.Security{TLS: true, CAFile: ca}, "KAFKA_TLS_"},
		{"a wrong password over TLS", l.SASL,
			kafka.Security{TLS: true, CAFile: ca, SASLMechanism: "SCRAM-SHA-512", Username: l.User, Password: "wrong"}, "KAFKA_SASL_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := kafkatest.Config(t, tt.brokers, kafkatest.Name("tls"))
			if err := tt.sec.Apply(&cfg); err != nil {
				t.Fatal(err)
			}
			if err := refusedAtOnce(t, cfg); !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("the error should name the settings to check (%s): %v", tt.want, err)
			}
		})
	}
}
