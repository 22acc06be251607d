// Package kafka moves events over Apache Kafka with segmentio/kafka-go:
// topic set-up, a publisher for the outbox relay, and a consumer group that
// handles each message idempotently, retries transient failures and
// dead-letters poison. Messages carry their metadata in CloudEvents binary
// mode headers.
package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/backoff"
	"github.com/fintechlabs/customers/core/event"
)

// Config configures a service's Kafka clients. The first block mirrors the
// original system's shared Kafka module options.
type Config struct {
	Brokers  []string
	ClientID string
	GroupID  string

	ConnectionTimeout    time.Duration // dialing a broker
	RequestTimeout       time.Duration // one request (produce, metadata)
	SessionTimeout       time.Duration // consumer group session
	HeartbeatInterval    time.Duration
	RebalanceTimeout     time.Duration
	MaxBytesPerPartition int // most bytes fetched per partition request

	// TopicPrefix is put before every topic name ("staging." gives
	// "staging.customer.onboarded"), so environments can share a cluster.
	// Event types, in ce_type, stay unprefixed.
	TopicPrefix string

	// Partitions and ReplicationFactor apply to topics this service creates.
	Partitions        int
	ReplicationFactor int

	// BatchTimeout is how long the publisher waits to fill a batch; keep it
	// small, since the relay sends whole batches already.
	BatchTimeout time.Duration
	// HandlerTimeout bounds one attempt at handling a message: heartbeats
	// run apart from handling, so a stuck handler would hold its partition
	// forever.
	HandlerTimeout time.Duration
	// CommitInterval batches offset commits: a handled message's offset is
	// committed within this interval (and at close or rebalance), never
	// before its handling committed. Zero commits each message at once; a
	// crash redelivers at most one interval's messages, which the services'
	// inboxes turn into no-ops.
	CommitInterval time.Duration
	// Concurrency is how many records of one partition are handled at
	// once, each customer's (each record key's) still one after another
	// and in order. One handles a partition strictly in order.
	Concurrency int
	// InHand bounds the records of one partition fetched and not yet
	// settled. A record waiting between retries (its provider down for a
	// moment) counts here but not against Concurrency, so other customers'
	// records pass it; once InHand records are in hand, fetching waits.
	InHand int
	// MaxAttempts is how often a message whose handler panics is tried
	// before it is dead-lettered. Infrastructure faults are retried without
	// limit (see Consumer).
	MaxAttempts int
	// RetryBackoff spaces retries: capped, exponential, jittered.
	RetryBackoff backoff.Policy

	// OriginalTopics are the event types on which a record without
	// CloudEvents headers is read as the original system's: such a record
	// names no source, so nothing but the broker's ACLs says who wrote it.
	// Elsewhere it is untrusted. Defaults holds the topics the original
	// writes; empty it once no service of the original is left.
	OriginalTopics []string

	// Tracer gives each handled message and each published batch a span;
	// one that exports nothing when nil.
	Tracer *tracing.Tracer

	// TLS, when not nil, encrypts connections. SASL, when not nil,
	// authenticates them.
	TLS  *tls.Config
	SASL sasl.Mechanism
}

// Defaults returns a Config with the original's timeouts and safe settings,
// for clientID and groupID.
func Defaults(clientID, groupID string) Config {
	return Config{
		Brokers: []string{"localhost:9092"}, ClientID: clientID, GroupID: groupID,
		ConnectionTimeout: 5 * time.Second, RequestTimeout: 60 * time.Second,
		SessionTimeout: 45 * time.Second, HeartbeatInterval: 5 * time.Second, RebalanceTimeout: 90 * time.Second,
		MaxBytesPerPartition: 2 << 20,
		Partitions:           3, ReplicationFactor: 1,
		BatchTimeout: time.Millisecond, CommitInterval: 250 * time.Millisecond, HandlerTimeout: 10 * time.Second,
		Concurrency: 32, InHand: 1024, MaxAttempts: 5, RetryBackoff: backoff.Policy{Min: 100 * time.Millisecond, Max: 2 * time.Second},
		OriginalTopics: slices.Clone(event.OriginalTopics),
	}
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	var problems []string
	check := func(ok bool, msg string) {
		if !ok {
			problems = append(problems, msg)
		}
	}
	check(len(c.Brokers) > 0, "at least one broker is required")
	for _, b := range c.Brokers {
		check(strings.Contains(b, ":") && !strings.ContainsAny(b, " /"), fmt.Sprintf("broker %q must be host:port", b))
	}
	check(c.ClientID != "", "client id is required")
	check(c.GroupID != "", "group id is required")
	check(c.ConnectionTimeout > 0 && c.RequestTimeout > 0, "timeouts must be positive")
	check(c.HeartbeatInterval > 0 && c.HeartbeatInterval < c.SessionTimeout, "the heartbeat interval must be shorter than the session timeout")
	check(c.RebalanceTimeout > 0, "the rebalance timeout must be positive")
	check(c.MaxBytesPerPartition >= 1024, "max bytes per partition must be at least 1024")
	check(c.Partitions >= 1 && c.ReplicationFactor >= 1, "partitions and replication factor must be at least 1")
	check(c.HandlerTimeout > 0 && c.MaxAttempts >= 1, "the handler timeout and attempts must be positive")
	check(c.Concurrency >= 1 && c.Concurrency <= 1024, "the concurrency per partition must be between 1 and 1024")
	check(c.InHand >= c.Concurrency && c.InHand <= 1<<16, "the records in hand per partition must be between the concurrency and 65536")
	check(c.CommitInterval >= 0 && c.CommitInterval <= time.Minute, "the commit interval must be between 0 and 1m")
	check(!strings.ContainsFunc(c.TopicPrefix, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}), "the topic prefix may hold only letters, digits, '.', '_' and '-'")
	if len(problems) > 0 {
		return fmt.Errorf("invalid Kafka configuration: %s", strings.Join(problems, "; "))
	}
	return nil
}

// topic returns the Kafka topic of an event type.
func (c Config) topic(eventType string) string { return c.TopicPrefix + eventType }

// eventType returns the event type a Kafka topic holds.
func (c Config) eventType(topic string) string { return strings.TrimPrefix(topic, c.TopicPrefix) }

// topics prefixes every name.
func (c Config) topics(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = c.topic(n)
	}
	return out
}

func (c Config) dialer() *kafkago.Dialer {
	return &kafkago.Dialer{
		ClientID: c.ClientID, Timeout: c.ConnectionTimeout, DualStack: true, KeepAlive: 30 * time.Second,
		TLS: c.TLS, SASLMechanism: c.SASL,
	}
}

// dial connects to a bootstrap broker that answers, trying each in turn:
// one that is down must not stop a service whose other brokers are up.
func (c Config) dial(ctx context.Context) (*kafkago.Conn, error) {
	var errs []error
	for _, b := range c.Brokers {
		conn, err := c.dialer().DialContext(ctx, "tcp", b)
		if err == nil {
			if _, err = conn.ApiVersions(); err == nil {
				return conn, nil
			}
			_ = conn.Close()
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("no bootstrap broker of %v answers: %w", c.Brokers, errors.Join(errs...))
}

// dialLeader connects to the leader of a partition, found through any
// bootstrap broker that answers.
func (c Config) dialLeader(ctx context.Context, topic string, partition int) (*kafkago.Conn, error) {
	var errs []error
	for _, b := range c.Brokers {
		conn, err := c.dialer().DialLeader(ctx, "tcp", b, topic, partition)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("the leader of %s/%d cannot be reached through %v: %w", topic, partition, c.Brokers, errors.Join(errs...))
}

func (c Config) transport() *kafkago.Transport {
	return &kafkago.Transport{
		ClientID: c.ClientID, DialTimeout: c.ConnectionTimeout, IdleTimeout: 30 * time.Second,
		MetadataTTL: 10 * time.Second, TLS: c.TLS, SASL: c.SASL,
	}
}

// tracer is cfg's Tracer, or one that exports nothing.
func (c Config) tracer() *tracing.Tracer {
	if c.Tracer != nil {
		return c.Tracer
	}
	return tracing.Local(c.ClientID)
}
