package kafka_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/core/event"
)

func TestSASLMechanismsAuthenticate(t *testing.T) {
	for _, mechanism := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mechanism, func(t *testing.T) {
			brokers, user, password := kafkatest.SASLBrokers(t, mechanism)
			roundTrip(t, brokers, kafka.Security{SASLMechanism: mechanism, Username: user, Password: password, AllowPlaintextSASL: true})
		})
	}
}

// roundTrip publishes a message through brokers with sec and consumes it.
func roundTrip(t *testing.T, brokers []string, sec kafka.Security) {
	t.Helper()
	cfg := kafkatest.Config(t, brokers, kafkatest.Name("secured"))
	if err := sec.Apply(&cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin := kafka.NewAdmin(cfg, quiet)
	defer admin.Close()
	if err := admin.WaitReachable(ctx); err != nil {
		t.Fatal(err)
	}
	if err := admin.EnsureTopics(ctx, []string{event.TopicOnboarded, event.TopicOnboarded + event.DeadLetterSuffix}, nil); err != nil {
		t.Fatal(err)
	}
	e := env{cfg: cfg, typ: event.TopicOnboarded, topic: cfg.TopicPrefix + event.TopicOnboarded}
	publish(t, e, onboarded(t, kafkatest.Name("secured"), 1, ""))
	h := &recorder{}
	start(t, e, h.handle, nil)
	waitFor(t, "the message over the secured connection", func() bool { return h.count() == 1 })
}

func TestAWrongPasswordIsAnImmediateStartUpError(t *testing.T) {
	for _, mechanism := range []string{"PLAIN", "SCRAM-SHA-256"} {
		t.Run(mechanism, func(t *testing.T) {
			brokers, user, _ := kafkatest.SASLBrokers(t, mechanism)
			cfg := kafkatest.Config(t, brokers, kafkatest.Name("sasl"))
			if err := (kafka.Security{SASLMechanism: mechanism, Username: user, Password: "wrong", AllowPlaintextSASL: true}).Apply(&cfg); err != nil {
				t.Fatal(err)
			}
			err := refusedAtOnce(t, cfg)
			if !errors.Is(err, kafkago.SASLAuthenticationFailed) || !strings.Contains(err.Error(), "KAFKA_SASL_") {
				t.Fatalf("the error should name the authentication failure and the settings to check: %v", err)
			}
		})
	}
}

// refusedAtOnce returns the error of connecting with cfg, which must come
// back at once: a retry loop would run into the deadline and report the
// broker unreachable instead of the refusal.
func refusedAtOnce(t *testing.T, cfg kafka.Config) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := kafka.NewAdmin(cfg, quiet).WaitReachable(ctx)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("WaitReachable = %v (context: %v)", err, ctx.Err())
	}
	return err
}
