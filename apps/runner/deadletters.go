package runner

import (
	"context"
	"slices"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/core/fault"
)

// deadLetters serves a service's own dead letters over its API: those of
// the topics it consumes, written by its consumer group.
type deadLetters struct {
	kafka  *kafka.DeadLetters
	topics []string
	group  string
}

var _ rest.DeadLetters = deadLetters{}

// List implements rest.DeadLetters.
func (d deadLetters) List(ctx context.Context) ([]rest.DeadLetter, error) {
	var out []rest.DeadLetter
	for _, topic := range d.topics {
		letters, err := d.mine(ctx, topic)
		if err != nil {
			return nil, err
		}
		for _, l := range letters {
			out = append(out, rest.DeadLetter{Topic: l.Topic, Partition: l.Partition, Offset: l.Offset, Group: l.Group,
				Kind: l.Kind, Error: l.Error, Attempts: l.Attempts, FailedAt: l.FailedAt, Key: string(l.Key)})
		}
	}
	return out, nil
}

// Replay implements rest.DeadLetters.
func (d deadLetters) Replay(ctx context.Context, topic string, partition int, offset int64) error {
	letters, err := d.mine(ctx, topic)
	if err != nil {
		return err
	}
	for _, l := range letters {
		if l.Partition == partition && l.Offset == offset {
			_, err := d.kafka.Replay(ctx, []kafka.DeadLetter{l})
			return unavailable(err)
		}
	}
	e := fault.NotFoundf("no dead letter of %s from partition %d, offset %d, for this service", topic, partition, offset)
	e.Code = "dead_letter.not_found"
	return e
}

// mine returns the dead letters of topic that this service's group wrote;
// a topic this service does not consume has none.
func (d deadLetters) mine(ctx context.Context, topic string) ([]kafka.DeadLetter, error) {
	if !slices.Contains(d.topics, topic) {
		return nil, nil
	}
	all, err := d.kafka.List(ctx, topic)
	if err != nil {
		return nil, unavailable(err)
	}
	var out []kafka.DeadLetter
	for _, l := range all {
		if l.Group == d.group {
			out = append(out, l)
		}
	}
	return out, nil
}

// unavailable reports a broker that cannot answer as a dependency that is
// down: a 503 to try again.
func unavailable(err error) error {
	if _, ok := fault.As(err); ok || err == nil {
		return err // classified already
	}
	return fault.Wrap(fault.Unavailable, err, "the broker cannot be read now")
}
