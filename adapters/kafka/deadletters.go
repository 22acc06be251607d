package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
)

// DeadLetter is a record a consumer could not handle, as its dead-letter
// topic keeps it: the original record and why it failed.
type DeadLetter struct {
	// Where it came from.
	Topic     string // the event type, without any topic prefix
	Partition int
	Offset    int64
	Group     string // the consumer group that gave up on it
	// Why.
	Error    string
	Kind     string // invalid, panic...
	Attempts int
	FailedAt time.Time
	// Dropped says what the copy lacks because it did not fit the
	// dead-letter topic (HeaderDropped), "" for a whole copy.
	Dropped string
	// Where it is now: the dead-letter topic's partition and offset.
	Letter Position
	// The original record.
	Key, Value []byte
	Headers    []kafkago.Header
}

// Position is a record's place in a topic.
type Position struct {
	Partition int
	Offset    int64
}

// DeadLetters reads the dead-letter topics and redrives their records: an
// operator lists what failed, fixes the cause (a bug, a missing customer),
// and replays the records to their original topics. Replaying is safe: the
// consumers' inboxes skip what they handled already.
type DeadLetters struct {
	cfg Config
	log *slog.Logger
}

// NewDeadLetters returns the dead letters of the cluster in cfg.
func NewDeadLetters(cfg Config, log *slog.Logger) *DeadLetters {
	return &DeadLetters{cfg: cfg, log: log}
}

// Each calls fn with each dead letter of eventType, partition by
// partition and in the order they were written, from the dead-letter
// topic's position from on (the zero Position is the start), until fn
// returns false or the letters end. It holds one letter at a time, however
// many there are.
func (d *DeadLetters) Each(ctx context.Context, eventType string, from Position, fn func(DeadLetter) bool) error {
	topic := d.cfg.topic(eventType) + event.DeadLetterSuffix
	conn, err := d.cfg.dial(ctx)
	if err != nil {
		return err
	}
	partitions, err := conn.ReadPartitions(topic)
	_ = conn.Close()
	if errors.Is(err, kafkago.UnknownTopicOrPartition) {
		return nil // a topic no service consumes has no dead-letter topic
	}
	if err != nil {
		return fmt.Errorf("read the partitions of %s: %w", topic, err)
	}
	sort.Slice(partitions, func(i, j int) bool { return partitions[i].ID < partitions[j].ID })
	for _, p := range partitions {
		if p.ID < from.Partition {
			continue
		}
		start := int64(0)
		if p.ID == from.Partition {
			start = from.Offset
		}
		more, err := d.read(ctx, topic, p.ID, start, fn)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// read calls fn with the records of one partition of a dead-letter topic
// from offset start on, as it stands now; false when fn asked to stop.
func (d *DeadLetters) read(ctx context.Context, topic string, partition int, start int64, fn func(DeadLetter) bool) (bool, error) {
	leader, err := d.cfg.dialLeader(ctx, topic, partition)
	if err != nil {
		return false, err
	}
	first, last, err := leader.ReadOffsets()
	_ = leader.Close()
	if err != nil {
		return false, err
	}
	start = max(start, first)
	if start >= last {
		return true, nil
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: d.cfg.Brokers, Topic: topic, Partition: partition, Dialer: d.cfg.dialer(),
		MinBytes: 1, MaxBytes: d.cfg.MaxBytesPerPartition, MaxWait: 250 * time.Millisecond, ReadLagInterval: -1})
	defer r.Close()
	if err := r.SetOffset(start); err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.RequestTimeout)
	defer cancel()
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return false, fmt.Errorf("read %s/%d: %w", topic, partition, err)
		}
		if !fn(d.letter(m)) {
			return false, nil
		}
		if m.Offset >= last-1 {
			return true, nil
		}
	}
}

// letter reads a dead-letter record's headers.
func (d *DeadLetters) letter(m kafkago.Message) DeadLetter {
	l := DeadLetter{Letter: Position{Partition: m.Partition, Offset: m.Offset}, Key: m.Key, Value: m.Value}
	for _, h := range m.Headers {
		v := string(h.Value)
		switch h.Key {
		case "dlt-original-topic":
			l.Topic = d.cfg.eventType(v)
		case "dlt-original-partition":
			l.Partition, _ = strconv.Atoi(v)
		case "dlt-original-offset":
			l.Offset, _ = strconv.ParseInt(v, 10, 64)
		case "dlt-consumer-group":
			l.Group = v
		case "dlt-error":
			l.Error = v
		case "dlt-error-kind":
			l.Kind = v
		case "dlt-attempts":
			l.Attempts, _ = strconv.Atoi(v)
		case "dlt-failed-at":
			l.FailedAt, _ = time.Parse(time.RFC3339Nano, v)
		case HeaderDropped:
			l.Dropped = v
		default:
			if !strings.HasPrefix(h.Key, "dlt-") {
				l.Headers = append(l.Headers, h)
			}
		}
	}
	return l
}

// Replay writes letters back to their original topics, as they were
// first written (key, value and headers, without the dead-letter ones), and
// returns how many it wrote. The consumers get them again; what a consumer
// handled already, its inbox skips (a record of the original system keeps
// its derived id, since its bytes are the same).
func (d *DeadLetters) Replay(ctx context.Context, letters []DeadLetter) (int, error) {
	if len(letters) == 0 {
		return 0, nil
	}
	records := make([]kafkago.Message, len(letters))
	for i, l := range letters {
		if l.Topic == "" {
			return 0, errors.New("a dead letter without its original topic cannot be replayed")
		}
		if l.Dropped != "" {
			e := fault.Conflictf("the dead letter of %s %d:%d lacks its %s, which did not fit the dead-letter topic, so it cannot "+
				"be replayed from there; the record stays on its own topic until the topic's retention", l.Topic, l.Partition, l.Offset, l.Dropped)
			e.Code = "dead_letter.incomplete"
			return 0, e
		}
		records[i] = kafkago.Message{Topic: d.cfg.topic(l.Topic), Key: l.Key, Value: l.Value, Headers: l.Headers}
	}
	w := newWriter(d.cfg, d.log)
	defer w.Close()
	if err := w.WriteMessages(ctx, records...); err != nil {
		return 0, fmt.Errorf("replay %d dead letters: %w", len(records), err)
	}
	for _, l := range letters {
		d.log.InfoContext(ctx, "dead letter replayed", "topic", l.Topic, "partition", l.Partition, "offset", l.Offset, "group", l.Group)
	}
	return len(records), nil
}
