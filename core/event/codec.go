package event

import (
	"fmt"

	"github.com/fintechlabs/customers/core/fault"
)

// Message is an event in its wire form: metadata plus the JSON payload. The
// outbox stores messages and the Kafka adapter moves them.
type Message struct {
	Metadata
	Payload []byte
}

// ContentType is the media type of every payload.
const ContentType = "application/json"

// Encode serialises e's payload.
func Encode(e Event) (Message, error) {
	payload, err := marshal(e.Data)
	if err != nil {
		return Message{}, fmt.Errorf("encode %s %s: %w", e.Type, e.ID, err)
	}
	return Message{Metadata: e.Metadata, Payload: payload}, nil
}

// entry is one topic of the catalog: its payload schema's version, its
// owner, and a decoder into the payload's type. (The original system's
// record format is the Kafka adapter's to read.)
type entry struct {
	version int
	owner   string // the only source that may write the topic
	decode  func(payload []byte) (Data, error)
	// wire is a value of the type the payload is written as (the
	// payload's own, but where it writes itself another way), for schemas.
	wire any
}

// catalog holds every topic. Adding an event is one line here and its
// payload type (payloads.go).
var catalog = map[string]entry{
	TopicRegistered:         {1, SourceCustomer, decodeAs[Registered], Registered{}},
	TopicOnboarded:          {1, SourceCustomer, decodeAs[Onboarded], Onboarded{}},
	TopicActivated:          {1, SourceCustomer, decodeAs[Activated], Activated{}},
	TopicDeactivated:        {1, SourceCustomer, decodeAs[Deactivated], Deactivated{}},
	TopicFirstPayment:       {2, SourceCustomer, decodeAs[FirstPayment], FirstPayment{}},
	TopicPromoted:           {2, SourceCustomer, decodeAs[Promoted], promotedWire{}},
	TopicErased:             {1, SourceCustomer, decodeAs[Erased], Erased{}},
	TopicPreferencesChanged: {1, SourceCustomer, decodeAs[PreferencesChanged], PreferencesChanged{}},
	TopicProfiled:           {2, SourceProfiling, decodeAs[Profiled], Profiled{}},
	TopicPromotionActivated: {2, SourceProfiling, decodeAs[PromotionActivated], PromotionActivated{}},
	TopicNotificationSent:   {2, SourceNotifications, decodeAs[NotificationSent], NotificationSent{}},
}

// Wire returns a value of the type topic's payload is written as, nil for
// a topic outside the catalog: what a schema of the topic is derived from.
func Wire(topic string) any { return catalog[topic].wire }

// decodeAs reads one JSON object into a T, refusing trailing data.
func decodeAs[T Data](payload []byte) (Data, error) {
	var v T
	if err := unmarshal(payload, &v); err != nil {
		return nil, fmt.Errorf("payload is not valid JSON: %w", err)
	}
	return v, nil
}

// ErrUntrustedSource is the error of a record whose ce_source is not the
// owner of its topic (see Owner): poison, whoever wrote it.
var ErrUntrustedSource = fault.New(fault.Invalid, "event.untrusted_source", "the event's source does not own its topic")

// CheckSource returns ErrUntrustedSource unless m's source owns its topic.
func CheckSource(m Message) error {
	if owner := Owner(m.Type); owner != "" && m.Source != owner {
		return ErrUntrustedSource.With(fmt.Sprintf("%s %s comes from %q, only %q writes %s", m.Type, m.ID, m.Source, owner, m.Type), nil)
	}
	return nil
}

// ErrNewerSchema is the error of a message whose payload schema is newer
// than this code knows: a producer was upgraded first. It is no fault of
// the message, so it is not poison: the consumer waits for an upgraded
// version of itself.
var ErrNewerSchema = fault.New(fault.Unavailable, "event.newer_schema", "the event's schema is newer than this service reads")

// Decode parses and validates a message. Every failure but ErrNewerSchema
// is fault.Invalid: a message that cannot be decoded now never will be, so
// consumers dead-letter it. Unknown payload fields are tolerated, so
// producers can add fields before consumers know them.
func Decode(m Message) (Event, error) {
	entry, ok := catalog[m.Type]
	switch {
	case !ok:
		return undecodable("unknown event type %q", m.Type)
	case m.ID == "":
		return undecodable("%s: event id is missing", m.Type)
	case m.Version < 1:
		return undecodable("%s %s: schema version %d is not a version", m.Type, m.ID, m.Version)
	case m.Version > entry.version:
		return Event{}, ErrNewerSchema.With(fmt.Sprintf("%s %s: schema version %d is newer than %d", m.Type, m.ID, m.Version, entry.version), nil)
	}
	data, err := entry.decode(m.Payload)
	if err != nil {
		return undecodable("%s %s: %v", m.Type, m.ID, err)
	}
	if err := data.validate(); err != nil {
		return undecodable("%s %s: %v", m.Type, m.ID, err)
	}
	return Bind(m.Metadata, data)
}

// bind checks that the metadata's subject is the payload's key and returns
// the event.

// Bind joins metadata and a payload into an event, the subject being the
// payload's key. Errors: fault.Invalid when md names another subject.
func Bind(md Metadata, data Data) (Event, error) {
	if md.Subject != "" && md.Subject != data.Key() {
		return undecodable("%s %s: subject %q does not match payload %q", md.Type, md.ID, md.Subject, data.Key())
	}
	md.Subject = data.Key()
	return Event{Metadata: md, Data: data}, nil
}

// undecodable is the error of a message that can never be handled.
func undecodable(format string, args ...any) (Event, error) {
	return Event{}, Undecodable(format, args...)
}

// Undecodable is the error of a record that can never be handled, as the
// decoders report it: fault.Invalid, code event.undecodable.
func Undecodable(format string, args ...any) error {
	e := fault.Invalidf(format, args...)
	e.Code = "event.undecodable"
	return e
}
