// Package event is the catalog of integration events the services exchange:
// one payload type per Kafka topic, with the JSON shape of the original
// system (customerId, a customer snapshot, timestamp and the event's own
// fields), and the metadata every event carries.
//
// The payload types carry JSON tags on purpose: they are the published
// contract between services, and the outbox stores exactly the bytes that go
// on the wire. Each service maps them to and from its own domain types.
package event

import (
	"context"
	"time"

	"github.com/fintechlabs/customers/core/actor"
)

// Topic names, one per event type, as in the original system.
const (
	TopicRegistered         = "customer.registered"
	TopicOnboarded          = "customer.onboarded"
	TopicActivated          = "customer.activated"
	TopicDeactivated        = "customer.deactivated"
	TopicFirstPayment       = "customer.firstPayment"
	TopicPromoted           = "customer.promoted"
	TopicErased             = "customer.erased"
	TopicPreferencesChanged = "customer.preferencesChanged"
	TopicProfiled           = "customer.profiled"
	TopicPromotionActivated = "customer.promotion.activated"
	TopicNotificationSent   = "notification.sent"
)

// Sources: the services that produce events, as ce_source names them. Each
// topic has one owner, the only source that may write it.
const (
	SourceCustomer      = "service-customer"
	SourceProfiling     = "service-profiling"
	SourceNotifications = "service-notifications"
)

// Owner returns the source that writes topic, "" for a topic outside the
// catalog. A consumer refuses an event of topic from any other source: a
// record on customer.profiled from anyone else would promote customers.
func Owner(topic string) string { return catalog[topic].owner }

// DeadLetterSuffix is appended to a topic's name to form its dead-letter topic.
const DeadLetterSuffix = ".dlt"

// SchemaVersion returns the version of topic's payload schema in this
// package, 0 for a topic outside the catalog. A payload's version goes up
// when its JSON changes; consumers refuse events of a newer version instead
// of misreading them, and keep decoding every older one.
//
//	version 1: the first catalog.
//	version 2: customer.firstPayment, customer.profiled,
//	           customer.promotion.activated and notification.sent also carry
//	           the fields the original system's consumers read.
func SchemaVersion(topic string) int { return catalog[topic].version }

// Topics lists every topic in the catalog.
func Topics() []string {
	return []string{
		TopicRegistered, TopicOnboarded, TopicActivated, TopicDeactivated, TopicFirstPayment,
		TopicPromoted, TopicPreferencesChanged, TopicErased, TopicProfiled, TopicPromotionActivated, TopicNotificationSent,
	}
}

// Data is the payload of one event type. The set is closed: only the types
// of this package implement it.
type Data interface {
	// Topic is the topic, and the event type, of the payload.
	Topic() string
	// Key is the id the event is about (the customer id when there is one).
	// It becomes the metadata subject and the Kafka record key, so one
	// customer's events stay in order.
	Key() string
	validate() error
}

// Metadata describes an event independently of its payload. On Kafka it
// travels in CloudEvents binary-mode headers.
type Metadata struct {
	ID      string    // unique event id (UUIDv7), the consumers' idempotency key
	Type    string    // the topic
	Source  string    // the emitting service, e.g. "service-customer"
	Subject string    // the customer id; also the record key
	Time    time.Time // when the event happened
	Version int       // payload schema version; 0 for the original's records
	// TraceParent and TraceState are the W3C trace context of the work
	// that caused the event, as the adapters read and write it (the
	// outbox sets them, the consumer reads them back): opaque here.
	TraceParent, TraceState string
	// Actor names who caused the event: the API key of the request it
	// came from, directly or through other events; "" when unknown.
	Actor string
}

// Original reports whether the event was written by the original system (a
// record without CloudEvents headers, which the Kafka adapter reads in the
// original's format).
func (m Metadata) Original() bool { return m.Version == 0 }

// Event is a payload with its metadata.
type Event struct {
	Metadata
	Data Data
}

// Factory stamps payloads with metadata.
type Factory struct {
	// Source names the emitting service.
	Source string
	// NewID returns a fresh unique id.
	NewID func() string
}

// New wraps each payload in an event that happened at time at, carrying the
// actor in ctx. (Its trace context is the outbox's to set.)
func (f Factory) New(ctx context.Context, at time.Time, data ...Data) []Event {
	events := make([]Event, 0, len(data))
	for _, d := range data {
		events = append(events, Event{
			Metadata: Metadata{
				ID: f.NewID(), Type: d.Topic(), Source: f.Source, Subject: d.Key(),
				Time: at, Version: SchemaVersion(d.Topic()), Actor: actor.From(ctx),
			},
			Data: d,
		})
	}
	return events
}

// OriginalSource names the producer of a record in the original's format.
const OriginalSource = "original"

// OriginalTopics are the topics the original's services write (all but
// customer.registered): where a record in its format can come from while a
// fleet mixes its services with ours.
var OriginalTopics = []string{
	TopicOnboarded, TopicActivated, TopicDeactivated, TopicFirstPayment, TopicPromoted,
	TopicProfiled, TopicPromotionActivated, TopicNotificationSent,
}

// Timestamp returns when the event of payload d happened, as the payload
// says.
func Timestamp(d Data) time.Time {
	switch v := d.(type) {
	case interface{ envelope() Envelope }:
		return v.envelope().Timestamp
	case Profiled:
		return v.Timestamp
	case NotificationSent:
		return v.Timestamp
	}
	return time.Time{}
}

func (e Envelope) envelope() Envelope { return e }
