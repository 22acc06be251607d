// Package broker runs an embedded Kafka-protocol broker (franz-go's kfake) so
// that the whole system, and its tests, run without Docker or a Kafka
// installation. It speaks the Kafka wire protocol over real TCP, so any
// Kafka client (kcat included) can attach to it.
package broker

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Options configure the embedded broker.
type Options struct {
	// Port to listen on, on 127.0.0.1; 0 picks a free one.
	Port int
	// DataDir keeps the broker's data across restarts; empty keeps it in
	// memory.
	DataDir string
	// Partitions is the default partition count of new topics.
	Partitions int
	// SASL, when set, requires clients to authenticate with these
	// credentials (mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512).
	SASL *Credentials
	// CountRequests counts the requests the broker serves, by kind
	// (Requests): for the benchmark's broker round trips.
	CountRequests bool
}

// Credentials are a SASL user.
type Credentials struct {
	Mechanism, User, Password string
}

// Broker is a running embedded broker.
type Broker struct {
	cluster  *kfake.Cluster
	addr     string
	requests sync.Map // request name -> *atomic.Int64
}

// Start starts a single-node broker on 127.0.0.1.
func Start(opts Options, log *slog.Logger) (*Broker, error) {
	if opts.Partitions <= 0 {
		opts.Partitions = 3
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.DefaultNumPartitions(opts.Partitions),
		// Allow the short group session timeouts tests use.
		kfake.GroupMinSessionTimeout(100 * time.Millisecond),
	}
	if opts.Port != 0 {
		kopts = append(kopts, kfake.Ports(opts.Port))
	}
	if opts.DataDir != "" {
		kopts = append(kopts, kfake.DataDir(opts.DataDir))
	}
	if c := opts.SASL; c != nil {
		kopts = append(kopts, kfake.EnableSASL(), kfake.Superuser(c.Mechanism, c.User, c.Password))
	}
	cluster, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded Kafka broker: %w", err)
	}
	addrs := cluster.ListenAddrs()
	if len(addrs) == 0 {
		cluster.Close()
		return nil, fmt.Errorf("embedded Kafka broker has no listener")
	}
	b := &Broker{cluster: cluster, addr: addrs[0]}
	if opts.CountRequests {
		cluster.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
			cluster.KeepControl()
			n, _ := b.requests.LoadOrStore(kmsg.NameForKey(req.Key()), new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			return nil, nil, false // served as usual
		})
	}
	log.Info("embedded Kafka broker listening", "addr", b.addr, "dataDir", opts.DataDir)
	return b, nil
}

// Addr returns host:port of the broker.
func (b *Broker) Addr() string { return b.addr }

// Requests returns how many requests of each kind (Produce, Fetch...) the
// broker served, when it counts them.
func (b *Broker) Requests() map[string]int64 {
	out := map[string]int64{}
	b.requests.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// Close stops the broker.
func (b *Broker) Close() { b.cluster.Close() }
