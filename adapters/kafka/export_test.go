package kafka

import (
	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/core/event"
)

// Record is the record the publisher writes for m, for tests of what
// crosses the wire.
func (c Config) Record(m event.Message) kafkago.Message { return c.toKafka(m) }
