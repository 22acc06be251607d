package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sort"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/core/backoff"
	"github.com/fintechlabs/customers/core/event"
)

// Admin creates topics and checks the cluster.
type Admin struct {
	cfg    Config
	client *kafkago.Client
	log    *slog.Logger
}

// NewAdmin returns an Admin.
func NewAdmin(cfg Config, log *slog.Logger) *Admin {
	return &Admin{cfg: cfg, log: log, client: &kafkago.Client{
		Addr: kafkago.TCP(cfg.Brokers...), Timeout: cfg.RequestTimeout, Transport: cfg.transport(),
	}}
}

// Close closes the admin's connections to the brokers.
func (a *Admin) Close() error {
	closeTransport(a.client.Transport)
	return nil
}

// DeadLetterTopics returns the dead-letter topic of each topic.
func DeadLetterTopics(topics []string) []string {
	out := make([]string, len(topics))
	for i, t := range topics {
		out[i] = t + event.DeadLetterSuffix
	}
	return out
}

// EnsureTopics creates the topics (names before any prefix) that do not
// exist (with the configured partitions and replication factor), then
// waits until every partition of every topic has a leader: a group reader
// that joins before its topics are ready can stall with an empty
// assignment. Of others (another service's), it creates those it may: one
// it is not allowed to create is left to its owner, with a warning.
func (a *Admin) EnsureTopics(ctx context.Context, topics, others []string) error {
	topics = unique(a.cfg.topics(topics))
	extra := slices.DeleteFunc(unique(a.cfg.topics(others)), func(t string) bool { return slices.Contains(topics, t) })
	all := append(slices.Clone(topics), extra...)
	configs := make([]kafkago.TopicConfig, len(all))
	for i, t := range all {
		configs[i] = kafkago.TopicConfig{Topic: t, NumPartitions: a.cfg.Partitions, ReplicationFactor: a.cfg.ReplicationFactor}
	}
	resp, err := a.client.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: configs})
	if err != nil {
		return fmt.Errorf("create topics on %v: %w", a.cfg.Brokers, err)
	}
	for topic, err := range resp.Errors {
		switch {
		case err == nil || errors.Is(err, kafkago.TopicAlreadyExists):
		case slices.Contains(extra, topic) && (errors.Is(err, kafkago.TopicAuthorizationFailed) || errors.Is(err, kafkago.ClusterAuthorizationFailed)):
			a.log.WarnContext(ctx, "a topic of another service is missing, and this one may not create it", "topic", topic, "error", err)
			extra = slices.DeleteFunc(extra, func(t string) bool { return t == topic })
		default:
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
	}
	topics = append(topics, extra...)
	for attempt := 0; ; attempt++ {
		missing, err := a.leaderless(ctx, topics)
		if err == nil && len(missing) == 0 {
			a.log.InfoContext(ctx, "Kafka topics ready", "topics", len(topics), "brokers", a.cfg.Brokers)
			return nil
		}
		if !backoff.Sleep(ctx, (backoff.Policy{Min: 50 * time.Millisecond, Max: time.Second}).Delay(attempt)) {
			return fmt.Errorf("topics without a leader %v (last error %v): %w", missing, err, ctx.Err())
		}
	}
}

// leaderless lists the topics that are missing or have a partition without
// a leader. It asks a broker over a fresh connection: the client's cached
// metadata may predate the topics.
func (a *Admin) leaderless(ctx context.Context, topics []string) ([]string, error) {
	conn, err := a.cfg.dial(ctx)
	if err != nil {
		return topics, err
	}
	defer conn.Close()
	partitions, err := conn.ReadPartitions(topics...)
	if err != nil {
		return topics, err
	}
	ready := map[string]bool{}
	for _, t := range topics {
		ready[t] = true
	}
	seen := map[string]bool{}
	for _, p := range partitions {
		seen[p.Topic] = true
		if p.Error != nil || p.Leader.Host == "" {
			ready[p.Topic] = false
		}
	}
	var missing []string
	for _, t := range topics {
		if !ready[t] || !seen[t] {
			missing = append(missing, t)
		}
	}
	return missing, nil
}

// Ping opens a fresh connection to a broker and asks for its API versions:
// a real round trip, unlike the client's cached metadata. Readiness probes
// use it.
func (a *Admin) Ping(ctx context.Context) error {
	conn, err := a.cfg.dial(ctx) // a broker that answered its API versions
	if err != nil {
		return err
	}
	return conn.Close()
}

func unique(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// refusedTLS reports whether err is a TLS handshake that cannot succeed by
// waiting: the broker's certificate failed verification here, or the broker
// refused ours (or its absence) with a TLS alert ("remote error").
func refusedTLS(err error) bool {
	var cert *tls.CertificateVerificationError
	var op *net.OpError
	return errors.As(err, &cert) || errors.As(err, &op) && op.Op == "remote error"
}

// WaitReachable waits until the cluster answers, retrying connection
// failures until ctx ends. Authentication failures are returned at once: a
// wrong password does not get better by retrying.
func (a *Admin) WaitReachable(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		err := a.Ping(ctx)
		if err == nil {
			return nil
		}
		if errors.Is(err, kafkago.SASLAuthenticationFailed) || errors.Is(err, kafkago.UnsupportedSASLMechanism) ||
			errors.Is(err, kafkago.IllegalSASLState) {
			return fmt.Errorf("kafka authentication failed for %v (check KAFKA_SASL_*): %w", a.cfg.Brokers, err)
		}
		if refusedTLS(err) {
			return fmt.Errorf("kafka TLS certificate rejected for %v (check KAFKA_TLS_*): %w", a.cfg.Brokers, err)
		}
		if attempt == 0 {
			a.log.WarnContext(ctx, "waiting for Kafka", "brokers", a.cfg.Brokers, "error", err)
		}
		if !backoff.Sleep(ctx, (backoff.Policy{Min: 100 * time.Millisecond, Max: 2 * time.Second}).Delay(attempt)) {
			return fmt.Errorf("kafka at %v is unreachable: %w", a.cfg.Brokers, err)
		}
	}
}

// PartitionLag is how far a consumer group is behind on one partition: the
// records past its committed offset.
type PartitionLag struct {
	Topic     string // the event type, without any topic prefix
	Partition int
	Lag       int64
}

// GroupLag asks the brokers how far group is behind on every partition of
// topics (names before any prefix): the partition's end offset minus the
// group's committed one, or minus the partition's first offset while the
// group has committed none (it reads from the start). A partition that no
// member holds (a service down) is counted too.
func (a *Admin) GroupLag(ctx context.Context, group string, topics []string) ([]PartitionLag, error) {
	meta, err := a.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: a.cfg.topics(topics)})
	if err != nil {
		return nil, fmt.Errorf("topic metadata: %w", err)
	}
	partitions := map[string][]int{}
	ends := map[string][]kafkago.OffsetRequest{}
	for _, t := range meta.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			partitions[t.Name] = append(partitions[t.Name], p.ID)
			ends[t.Name] = append(ends[t.Name], kafkago.FirstOffsetOf(p.ID), kafkago.LastOffsetOf(p.ID))
		}
	}
	committed, err := a.client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: partitions})
	if err == nil {
		err = committed.Error
	}
	if errors.Is(err, kafkago.GroupIdNotFound) {
		// A group that never ran (some brokers say so; Kafka answers -1
		// offsets): it has committed nothing.
		committed, err = &kafkago.OffsetFetchResponse{Topics: map[string][]kafkago.OffsetFetchPartition{}}, nil
		for topic, ps := range partitions {
			for _, p := range ps {
				committed.Topics[topic] = append(committed.Topics[topic], kafkago.OffsetFetchPartition{Partition: p, CommittedOffset: -1})
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the offsets of group %s: %w", group, err)
	}
	offsets, err := a.client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: ends})
	if err != nil {
		return nil, fmt.Errorf("the partitions' offsets: %w", err)
	}
	bounds := map[string]map[int]kafkago.PartitionOffsets{}
	for topic, ps := range offsets.Topics {
		bounds[topic] = map[int]kafkago.PartitionOffsets{}
		for _, p := range ps {
			if p.Error != nil {
				return nil, fmt.Errorf("the offsets of %s/%d: %w", topic, p.Partition, p.Error)
			}
			bounds[topic][p.Partition] = p
		}
	}
	var out []PartitionLag
	for topic, ps := range committed.Topics {
		for _, p := range ps {
			b, ok := bounds[topic][p.Partition]
			if !ok || p.Error != nil {
				continue
			}
			from := p.CommittedOffset
			if from < 0 {
				from = b.FirstOffset
			}
			out = append(out, PartitionLag{Topic: a.cfg.eventType(topic), Partition: p.Partition, Lag: max(b.LastOffset-from, 0)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Topic < out[j].Topic || out[i].Topic == out[j].Topic && out[i].Partition < out[j].Partition
	})
	return out, nil
}
