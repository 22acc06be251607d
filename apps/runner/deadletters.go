package runner

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/page"
)

// deadLetters serves a service's own dead letters over its API: those of
// the topics it consumes, written by its consumer group.
type deadLetters struct {
	kafka  *kafka.DeadLetters
	topics []string
	group  string
}

var _ rest.DeadLetters = deadLetters{}

// List implements rest.DeadLetters: the topics in order, each one's
// letters as Each reads them. A page's key is where its last letter stands
// in its dead-letter topic.
func (d deadLetters) List(ctx context.Context, w page.Window) (rest.DeadLetterPage, error) {
	topic, from, err := d.after(w.After)
	if err != nil {
		return rest.DeadLetterPage{}, err
	}
	type found struct {
		topic  string
		letter kafka.DeadLetter
	}
	var out []found
	for _, t := range d.topics[slices.Index(d.topics, topic):] {
		if t != topic {
			from = kafka.Position{}
		}
		err := d.kafka.Each(ctx, t, from, func(l kafka.DeadLetter) bool {
			if l.Group == d.group {
				out = append(out, found{t, l})
			}
			return len(out) <= w.Limit // one more tells whether a next page exists
		})
		if err != nil {
			return rest.DeadLetterPage{}, unavailable(err)
		}
		if len(out) > w.Limit {
			break
		}
	}
	out, next := page.Next(out, w, func(f found) string {
		return f.topic + " " + strconv.Itoa(f.letter.Letter.Partition) + " " + strconv.FormatInt(f.letter.Letter.Offset, 10)
	})
	res := rest.DeadLetterPage{Next: next, Letters: make([]rest.DeadLetter, len(out))}
	for i, f := range out {
		l := f.letter
		res.Letters[i] = rest.DeadLetter{Topic: l.Topic, Partition: l.Partition, Offset: l.Offset, Group: l.Group,
			Kind: l.Kind, Error: l.Error, Attempts: l.Attempts, FailedAt: l.FailedAt, Key: string(l.Key), Dropped: l.Dropped}
	}
	return res, nil
}

// after reads a page key: the topic to go on with, and the position in its
// dead-letter topic to read from.
func (d deadLetters) after(key string) (string, kafka.Position, error) {
	if key == "" {
		return d.topics[0], kafka.Position{}, nil
	}
	parts := strings.Split(key, " ")
	if len(parts) == 3 && slices.Contains(d.topics, parts[0]) {
		partition, perr := strconv.Atoi(parts[1])
		offset, oerr := strconv.ParseInt(parts[2], 10, 64)
		if perr == nil && oerr == nil && partition >= 0 && offset >= 0 {
			return parts[0], kafka.Position{Partition: partition, Offset: offset + 1}, nil
		}
	}
	var bad fault.Fields
	bad.Add("cursor", "is not a cursor this API returned")
	return "", kafka.Position{}, bad.Err("invalid page request")
}

// Replay implements rest.DeadLetters: it reads the topic's dead letters
// until it meets the one asked for.
func (d deadLetters) Replay(ctx context.Context, topic string, partition int, offset int64) error {
	if !slices.Contains(d.topics, topic) {
		return d.none(topic, partition, offset) // a topic this service does not consume has none
	}
	var match *kafka.DeadLetter
	err := d.kafka.Each(ctx, topic, kafka.Position{}, func(l kafka.DeadLetter) bool {
		if l.Group == d.group && l.Partition == partition && l.Offset == offset {
			match = &l
		}
		return match == nil
	})
	if err != nil {
		return unavailable(err)
	}
	if match == nil {
		return d.none(topic, partition, offset)
	}
	_, err = d.kafka.Replay(ctx, []kafka.DeadLetter{*match})
	return unavailable(err)
}

func (d deadLetters) none(topic string, partition int, offset int64) error {
	e := fault.NotFoundf("no dead letter of %s from partition %d, offset %d, for this service", topic, partition, offset)
	e.Code = "dead_letter.not_found"
	return e
}

// unavailable reports a broker that cannot answer as a dependency that is
// down: a 503 to try again.
func unavailable(err error) error {
	if _, ok := fault.As(err); ok || err == nil {
		return err // classified already
	}
	return fault.Wrap(fault.Unavailable, err, "the broker cannot be read now")
}
