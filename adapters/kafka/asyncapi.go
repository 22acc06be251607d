package kafka

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/fintechlabs/customers/adapters/typeschema"
	"github.com/fintechlabs/customers/core/event"
)

// AsyncAPI returns the AsyncAPI 3.0 document of the event catalog: every
// topic and its dead-letter topic, with the owner that writes it, the record
// key, the CloudEvents binary-mode headers and the payload's JSON Schema.
// The schemas are derived from the payload types by reflection, as
// encoding/json reads their tags, so the document cannot drift from the
// code. title names the service serving it.
func AsyncAPI(title string) ([]byte, error) {
	channels, operations, messages := map[string]any{}, map[string]any{}, map[string]any{}
	for _, topic := range event.Topics() {
		name := channelName(topic)
		owner := event.Owner(topic)
		messages[name] = map[string]any{
			"name":          topic,
			"title":         topic + " (schema version " + strconv.Itoa(event.SchemaVersion(topic)) + ")",
			"contentType":   event.ContentType,
			"headers":       headers(topic, owner),
			"payload":       (&typeschema.Generator{}).Of(reflect.TypeOf(event.Payload(topic))),
			"correlationId": map[string]any{"location": "$message.header#/ce_subject"},
			"bindings": map[string]any{"kafka": map[string]any{
				"key":            map[string]any{"type": "string", "description": "the customer id (the notification id for a message to no customer): one customer's events stay in one partition, in order"},
				"bindingVersion": "0.5.0",
			}},
		}
		ref := map[string]any{"$ref": "#/components/messages/" + name}
		channels[name] = map[string]any{
			"address":     topic,
			"description": "Written only by " + owner + "; a record from any other ce_source is dead-lettered.",
			"messages":    map[string]any{name: ref},
		}
		dlt := name + "Dlt"
		channels[dlt] = map[string]any{
			"address": topic + event.DeadLetterSuffix,
			"description": "Records of " + topic + " a consumer could not handle, as they were, with dlt-* headers saying where from and why; " +
				"customers-dlt lists and replays them.",
			"messages": map[string]any{name: ref},
		}
		operations["publish"+strings.ToUpper(name[:1])+name[1:]] = map[string]any{
			"action": "send", "channel": map[string]any{"$ref": "#/channels/" + name},
			"summary": owner + " publishes " + topic + " through its outbox",
		}
	}
	doc := map[string]any{
		"asyncapi": "3.0.0",
		"info": map[string]any{
			"title":   title,
			"version": "1.0.0",
			"description": "The Kafka topics of the customer system. Metadata travels in CloudEvents binary-mode headers " +
				"(Kafka protocol binding); values are the original system's JSON message shapes. A record with no ce_ header " +
				"is read as the original system wrote it.",
		},
		"defaultContentType": event.ContentType,
		"channels":           channels,
		"operations":         operations,
		"components":         map[string]any{"messages": messages},
	}
	return json.MarshalIndent(doc, "", "  ")
}

// channelName is a topic's id in the document: customer.firstPayment
// becomes customerFirstPayment.
func channelName(topic string) string {
	parts := strings.Split(topic, ".")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

// headers is the schema of a topic's record headers.
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
		headerActor:         str("the name of the API key whose request caused the event, directly or through other events"),
	}
	return map[string]any{
		"type":       "object",
		"required":   []string{headerSpecVersion, headerID, headerType, headerSource, headerTime},
		"properties": props,
	}
}
