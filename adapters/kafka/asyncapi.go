package kafka

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/fintechlabs/customers/adapters/typeschema"
	"github.com/fintechlabs/customers/core/event"
)

// AsyncAPI returns the AsyncAPI 3.0 document of one service's topics: those
// it sends (its own, and the dead-letter topics of those it reads) and
// those it receives, with the owner that writes each, the record key, the
// CloudEvents binary-mode headers and the payload's JSON Schema. The
// schemas are derived from the payload types as they are written, their
// validate tags included (the rules the consumers check them by, see
// Config.Decode), so the document cannot drift from the code. title names
// the service.
func AsyncAPI(title string, sends, receives []string) ([]byte, error) {
	channels, operations, messages := map[string]any{}, map[string]any{}, map[string]any{}
	for _, topic := range unique(append(slices.Clone(sends), receives...)) {
		name := channelName(topic)
		owner := event.Owner(topic)
		messages[name] = message(topic, headers(topic, owner))
		channels[name] = map[string]any{
			"address":     topic,
			"description": "Written only by " + owner + "; a record from any other ce_source is dead-lettered.",
			"messages":    map[string]any{name: map[string]any{"$ref": "#/components/messages/" + name}},
		}
		if slices.Contains(sends, topic) {
			operations["send"+upper(name)] = map[string]any{
				"action": "send", "channel": map[string]any{"$ref": "#/channels/" + name},
				"summary": owner + " publishes " + topic + " through its outbox",
			}
		}
		if !slices.Contains(receives, topic) {
			continue
		}
		operations["receive"+upper(name)] = map[string]any{
			"action": "receive", "channel": map[string]any{"$ref": "#/channels/" + name},
			"summary": title + " consumes " + topic + ": idempotently, offsets committed after the work",
		}
		dlt := name + "Dlt"
		messages[dlt] = deadLetterMessage(topic, owner)
		channels[dlt] = map[string]any{
			"address": topic + event.DeadLetterSuffix,
			"description": "Records of " + topic + " this service's consumer could not handle, as they were, with dlt-* headers " +
				"saying where from and why; GET /<resource>/dead-letters and customers-dlt list and replay them.",
			"messages": map[string]any{dlt: map[string]any{"$ref": "#/components/messages/" + dlt}},
		}
		operations["send"+upper(dlt)] = map[string]any{
			"action": "send", "channel": map[string]any{"$ref": "#/channels/" + dlt},
			"summary": title + " dead-letters what it cannot handle of " + topic,
		}
	}
	doc := map[string]any{
		"asyncapi": "3.0.0",
		"info": map[string]any{
			"title":   title,
			"version": "1.0.0",
			"description": "The Kafka topics this service sends and receives. Metadata travels in CloudEvents binary-mode headers " +
				"(Kafka protocol binding); values are the original system's JSON message shapes. A record with no ce_ header, " +
				"on a topic of KAFKA_ORIGINAL_TOPICS, is read as the original system wrote it.",
		},
		"defaultContentType": event.ContentType,
		"channels":           channels,
		"operations":         operations,
		"components":         map[string]any{"messages": messages},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// message describes topic's records, whose headers are as given.
func message(topic string, headers map[string]any) map[string]any {
	return map[string]any{
		"name":          topic,
		"title":         topic + " (schema version " + strconv.Itoa(event.SchemaVersion(topic)) + ")",
		"contentType":   event.ContentType,
		"headers":       headers,
		"payload":       (&typeschema.Generator{Special: eventNumber}).Of(reflect.TypeOf(event.Wire(topic))),
		"correlationId": map[string]any{"location": "$message.header#/ce_subject"},
		"bindings": map[string]any{"kafka": map[string]any{
			"key":            map[string]any{"type": "string", "description": "the customer id (the notification id for a message to no customer): one customer's events stay in one partition, in order"},
			"bindingVersion": "0.5.0",
		}},
	}
}

// eventNumber describes event.Number, a string in Go written as a JSON number.
func eventNumber(t reflect.Type) (map[string]any, bool) {
	return map[string]any{"type": "number"}, t == reflect.TypeFor[event.Number]()
}

// deadLetterMessage describes the dead letters of topic: its records, as
// they came (from the owner, or written as the original writes), with the
// dlt-* headers.
func deadLetterMessage(topic, owner string) map[string]any {
	h := headers(topic, owner)
	props := maps.Clone(h["properties"].(map[string]any))
	str := func(description string) map[string]any {
		return map[string]any{"type": "string", "description": description}
	}
	props["dlt-original-topic"] = str("the topic the record came from")
	props["dlt-original-partition"] = str("its partition there, in decimal")
	props["dlt-original-offset"] = str("its offset there, in decimal")
	props["dlt-consumer-group"] = str("the consumer group that gave up on it")
	props["dlt-error"] = str("why, at most 1 KiB of it")
	props["dlt-error-kind"] = map[string]any{"enum": []string{"invalid", "not_found", "conflict", "unauthorized", "panic"},
		"description": "the class of the failure"}
	props["dlt-attempts"] = str("how often it was tried, in decimal")
	props["dlt-failed-at"] = map[string]any{"type": "string", "format": "date-time"}
	props[HeaderDropped] = map[string]any{"enum": []string{droppedValue, droppedAll},
		"description": "what the copy lacks, because the whole did not fit the dead-letter topic; then it has no value, and cannot be replayed from here"}
	m := message(topic, map[string]any{"type": "object", "properties": props,
		"required": []string{"dlt-original-topic", "dlt-original-partition", "dlt-original-offset", "dlt-consumer-group", "dlt-error",
			"dlt-error-kind", "dlt-attempts", "dlt-failed-at"}})
	m["name"] = topic + event.DeadLetterSuffix
	m["title"] = "a dead letter of " + topic
	m["summary"] = "the record as it came, whatever it held: the payload is what " + topic + " should have been"
	return m
}

// channelName is a topic's id in the document: customer.firstPayment
// becomes customerFirstPayment.
func channelName(topic string) string {
	parts := strings.Split(topic, ".")
	for i := 1; i < len(parts); i++ {
		parts[i] = upper(parts[i])
	}
	return strings.Join(parts, "")
}

func upper(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// headers is the schema of a topic's record headers, as toKafka writes
// them.
func headers(topic, owner string) map[string]any {
	str := func(description string) map[string]any {
		return map[string]any{"type": "string", "description": description}
	}
	props := map[string]any{
		headerSpecVersion:   map[string]any{"const": specVersion},
		headerID:            str("the event id (UUIDv7): the consumers' idempotency key"),
		headerType:          map[string]any{"const": topic},
		headerSource:        map[string]any{"const": owner, "description": "the only source that may write the topic"},
		headerTime:          map[string]any{"type": "string", "format": "date-time"},
		headerSubject:       str("the customer id, also the record key"),
		headerSchemaVersion: map[string]any{"const": strconv.Itoa(event.SchemaVersion(topic)), "description": "consumers hold a newer version instead of misreading it"},
		headerContentType:   map[string]any{"const": event.ContentType},
		headerTraceParent:   str("W3C trace context of the request the event came from"),
		headerTraceState:    str("W3C tracestate that came with that trace context, when there was one"),
		headerActor:         str("the name of the API key whose request caused the event, directly or through other events"),
	}
	return map[string]any{
		"type":                 "object",
		"required":             []string{headerSpecVersion, headerID, headerType, headerSource, headerTime, headerSubject, headerSchemaVersion, headerContentType},
		"properties":           props,
		"additionalProperties": false,
	}
}
