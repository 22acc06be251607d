package event

import (
	"bytes"
	"encoding/json"
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
	payload, err := json.Marshal(e.Data)
	if err != nil {
		return Message{}, fmt.Errorf("encode %s %s: %w", e.Type, e.ID, err)
	}
	return Message{Metadata: e.Metadata, Payload: payload}, nil
}

var decoders = map[string]func() Data{
	TopicRegistered:         func() Data { return &Registered{} },
	TopicOnboarded:          func() Data { return &Onboarded{} },
	TopicActivated:          func() Data { return &Activated{} },
	TopicDeactivated:        func() Data { return &Deactivated{} },
	TopicFirstPayment:       func() Data { return &FirstPayment{} },
	TopicPromoted:           func() Data { return &Promoted{} },
	TopicProfiled:           func() Data { return &Profiled{} },
	TopicPromotionActivated: func() Data { return &PromotionActivated{} },
	TopicNotificationSent:   func() Data { return &NotificationSent{} },
}

// Decode parses and validates a message. Every failure is fault.Invalid: a
// message that cannot be decoded now never will be, so consumers dead-letter
// it. Unknown payload fields are tolerated, so producers can add fields
// before consumers know them.
func Decode(m Message) (Event, error) {
	invalid := func(format string, args ...any) (Event, error) {
		e := fault.Invalidf(format, args...)
		e.Code = "event.undecodable"
		return Event{}, e
	}
	newData, ok := decoders[m.Type]
	switch {
	case !ok:
		return invalid("unknown event type %q", m.Type)
	case m.ID == "":
		return invalid("%s: event id is missing", m.Type)
	case m.Version > SchemaVersion:
		return invalid("%s %s: schema version %d is newer than %d", m.Type, m.ID, m.Version, SchemaVersion)
	}
	ptr := newData()
	dec := json.NewDecoder(bytes.NewReader(m.Payload))
	if err := dec.Decode(ptr); err != nil {
		return invalid("%s %s: payload is not valid JSON: %v", m.Type, m.ID, err)
	}
	if dec.More() {
		return invalid("%s %s: payload has data after the JSON value", m.Type, m.ID)
	}
	data := deref(ptr)
	if err := data.validate(); err != nil {
		return invalid("%s %s: %v", m.Type, m.ID, err)
	}
	if m.Subject != "" && m.Subject != data.Key() {
		return invalid("%s %s: subject %q does not match payload %q", m.Type, m.ID, m.Subject, data.Key())
	}
	md := m.Metadata
	md.Subject = data.Key()
	return Event{Metadata: md, Data: data}, nil
}

// deref turns the pointer the decoder filled into the value type handlers
// switch on.
func deref(d Data) Data {
	switch v := d.(type) {
	case *Registered:
		return *v
	case *Onboarded:
		return *v
	case *Activated:
		return *v
	case *Deactivated:
		return *v
	case *FirstPayment:
		return *v
	case *Promoted:
		return *v
	case *Profiled:
		return *v
	case *PromotionActivated:
		return *v
	case *NotificationSent:
		return *v
	}
	return d
}
