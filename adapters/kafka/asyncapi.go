package kafka

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

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
			"payload":       schemaOf(reflect.TypeOf(event.Payload(topic))),
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

var (
	timeType   = reflect.TypeOf(time.Time{})
	numberType = reflect.TypeOf(json.Number(""))
)

// schemaOf returns the JSON Schema of values of t as encoding/json writes
// them: tagged names, embedded structs flattened, omitempty fields
// optional.
func schemaOf(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == numberType:
		return map[string]any{"type": "number"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(schemaOf(t.Elem()))
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array: // a nil slice is written null
		return nullable(map[string]any{"type": "array", "items": schemaOf(t.Elem())})
	case reflect.Map:
		return nullable(map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())})
	case reflect.Struct:
		props, required := map[string]any{}, []string{}
		fields(t, props, &required)
		s := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	return map[string]any{}
}

// nullable lets s also be null, as encoding/json writes a nil pointer,
// slice or map.
func nullable(s map[string]any) map[string]any {
	if t, ok := s["type"].(string); ok {
		s["type"] = []string{t, "null"}
	}
	return s
}

// fields adds t's JSON fields to props, flattening embedded structs as
// encoding/json does.
func fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			fields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type)
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}
