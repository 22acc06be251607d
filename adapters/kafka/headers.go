package kafka

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/adapters/validation"
	"github.com/fintechlabs/customers/core/actor"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
)

// CloudEvents binary-mode header names (Kafka protocol binding), plus the
// W3C trace context and our payload schema version.
const (
	headerSpecVersion   = "ce_specversion"
	headerID            = "ce_id"
	headerType          = "ce_type"
	headerSource        = "ce_source"
	headerTime          = "ce_time"
	headerSubject       = "ce_subject"
	headerSchemaVersion = "ce_schemaversion"
	headerContentType   = "content-type"
	headerTraceParent   = "traceparent"
	headerTraceState    = "tracestate"
	headerActor         = "ce_actor" // a CloudEvents extension attribute: who caused the event
	specVersion         = "1.0"
)

// toKafka turns an outbox message into a record keyed by its subject, on
// the topic of its type.
func (c Config) toKafka(m event.Message) kafkago.Message {
	h := []kafkago.Header{
		{Key: headerSpecVersion, Value: []byte(specVersion)},
		{Key: headerID, Value: []byte(m.ID)},
		{Key: headerType, Value: []byte(m.Type)},
		{Key: headerSource, Value: []byte(m.Source)},
		{Key: headerTime, Value: []byte(m.Time.UTC().Format(time.RFC3339Nano))},
		{Key: headerSubject, Value: []byte(m.Subject)},
		{Key: headerSchemaVersion, Value: []byte(strconv.Itoa(m.Version))},
		{Key: headerContentType, Value: []byte(event.ContentType)},
	}
	if m.TraceParent != "" {
		h = append(h, kafkago.Header{Key: headerTraceParent, Value: []byte(m.TraceParent)})
	}
	if m.TraceState != "" {
		h = append(h, kafkago.Header{Key: headerTraceState, Value: []byte(m.TraceState)})
	}
	if m.Actor != "" {
		h = append(h, kafkago.Header{Key: headerActor, Value: []byte(m.Actor)})
	}
	return kafkago.Message{Topic: c.topic(m.Type), Key: []byte(m.Subject), Value: m.Payload, Headers: h}
}

// fromKafka reads a record's headers back into a message. A record whose
// headers are missing or contradict its topic is poison: fault.Invalid.
func (c Config) fromKafka(r kafkago.Message) (event.Message, error) {
	h := map[string]string{}
	for _, x := range r.Headers {
		h[x.Key] = string(x.Value)
	}
	invalid := func(format string, args ...any) (event.Message, error) {
		e := fault.Invalidf(format, args...)
		e.Code = "event.bad_headers"
		return event.Message{}, e
	}
	eventType := c.eventType(r.Topic)
	switch {
	case h[headerSpecVersion] != specVersion:
		return invalid("ce_specversion is %q, want %q", h[headerSpecVersion], specVersion)
	case h[headerID] == "":
		return invalid("ce_id is missing")
	case h[headerType] != eventType:
		return invalid("ce_type %q does not match topic %q", h[headerType], r.Topic)
	case h[headerContentType] != "" && h[headerContentType] != event.ContentType:
		return invalid("content-type %q is not %s", h[headerContentType], event.ContentType)
	}
	at, err := time.Parse(time.RFC3339Nano, h[headerTime])
	if err != nil {
		return invalid("ce_time %q is not an RFC 3339 time", h[headerTime])
	}
	version := 1
	if v, ok := h[headerSchemaVersion]; ok {
		if version, err = strconv.Atoi(v); err != nil {
			return invalid("ce_schemaversion %q is not a number", v)
		}
	}
	subject := h[headerSubject]
	if subject == "" {
		subject = string(r.Key)
	}
	// A malformed trace context is dropped, not fatal; a malformed
	// tracestate alone is dropped with it.
	tc := tracing.Valid(tracing.Context{Parent: h[headerTraceParent], State: h[headerTraceState]})
	who := h[headerActor]
	if !actor.Valid(who) {
		who = "" // likewise an actor that is no name
	}
	return event.Message{
		Metadata: event.Metadata{ID: h[headerID], Type: eventType, Source: h[headerSource], Subject: subject,
			Time: at, Version: version, TraceParent: tc.Parent, TraceState: tc.State, Actor: who},
		Payload: r.Value,
	}, nil
}

// Decode reads a record into an event, as the consumer does. A record with
// no CloudEvents header at all, on one of OriginalTopics, was written by
// the original system (JSON value, key = customerId, no headers) and is
// read in its format; on another topic it is untrusted. One with any ce_
// header must carry them all, right, and come from the owner of its topic
// (event.Owner). Errors: fault.Invalid for records that can never be
// handled, event.ErrUntrustedSource among them.
func (c Config) Decode(r kafkago.Message) (event.Event, error) {
	e, err := c.decode(r)
	if err != nil {
		return e, err
	}
	// The rules of the payload's type (its validate tags), which the
	// topic's AsyncAPI schema shows: a tier nobody has is poison here, not
	// deep in a handler.
	if faults := checker.Check(e.Data); len(faults) > 0 {
		msg := make([]string, len(faults))
		for i, f := range faults {
			msg[i] = f.Field + " " + f.Message
		}
		bad := fault.Invalidf("%s %s breaks its schema: %s", e.Type, e.ID, strings.Join(msg, "; "))
		bad.Code = "event.undecodable"
		return event.Event{}, bad
	}
	return e, nil
}

// checker checks decoded payloads by their validate tags.
var checker = validation.New()

func (c Config) decode(r kafkago.Message) (event.Event, error) {
	if !hasCloudEvents(r.Headers) {
		eventType := c.eventType(r.Topic)
		if !slices.Contains(c.OriginalTopics, eventType) {
			return event.Event{}, event.ErrUntrustedSource.With(fmt.Sprintf("a record without CloudEvents headers on %s, "+
				"where no service of the original system writes (KAFKA_ORIGINAL_TOPICS): it names no source", eventType), nil)
		}
		return DecodeOriginal(eventType, r.Key, r.Value)
	}
	m, err := c.fromKafka(r)
	if err != nil {
		return event.Event{}, err
	}
	if err := event.CheckSource(m); err != nil {
		return event.Event{}, err
	}
	return event.Decode(m)
}

// hasCloudEvents reports whether any header is a CloudEvents attribute.
func hasCloudEvents(headers []kafkago.Header) bool {
	for _, h := range headers {
		if strings.HasPrefix(h.Key, "ce_") {
			return true
		}
	}
	return false
}
