package kafka_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/test/golden"
)

type asyncDoc struct {
	AsyncAPI string `json:"asyncapi"`
	Channels map[string]struct {
		Address  string                     `json:"address"`
		Messages map[string]json.RawMessage `json:"messages"`
	} `json:"channels"`
	Components struct {
		Messages map[string]struct {
			Name    string         `json:"name"`
			Headers map[string]any `json:"headers"`
			Payload map[string]any `json:"payload"`
		} `json:"messages"`
	} `json:"components"`
}

func TestTheAsyncAPIDocumentDescribesEveryTopicAsTheCodeWritesIt(t *testing.T) {
	raw, err := kafka.AsyncAPI("the topics of the customer system")
	if err != nil {
		t.Fatal(err)
	}
	// A copy to browse, kept current: adapters/kafka/testdata/golden/asyncapi.json.
	golden.JSON(t, "asyncapi", json.RawMessage(raw))
	var doc asyncDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.AsyncAPI != "3.0.0" {
		t.Fatalf("asyncapi %q", doc.AsyncAPI)
	}
	addresses := map[string]bool{}
	for _, c := range doc.Channels {
		addresses[c.Address] = true
	}
	if len(doc.Channels) != 2*len(event.Topics()) {
		t.Errorf("%d channels for %d topics and their dead-letter topics", len(doc.Channels), len(event.Topics()))
	}
	for _, topic := range event.Topics() {
		t.Run(topic, func(t *testing.T) {
			if !addresses[topic] || !addresses[topic+event.DeadLetterSuffix] {
				t.Fatalf("no channel for %s or its dead-letter topic", topic)
			}
			var msg *struct {
				Name    string         `json:"name"`
				Headers map[string]any `json:"headers"`
				Payload map[string]any `json:"payload"`
			}
			for _, m := range doc.Components.Messages {
				if m.Name == topic {
					msg = &m
				}
			}
			if msg == nil {
				t.Fatal("no message")
			}
			headers := msg.Headers["properties"].(map[string]any)
			if src := headers["ce_source"].(map[string]any)["const"]; src != event.Owner(topic) {
				t.Errorf("ce_source %v, the owner is %s", src, event.Owner(topic))
			}
			if v := headers["ce_schemaversion"].(map[string]any)["const"]; v != fmt.Sprint(event.SchemaVersion(topic)) {
				t.Errorf("ce_schemaversion %v, the code's is %d", v, event.SchemaVersion(topic))
			}
			// The golden payloads are what the code writes for each topic.
			golden, err := os.ReadFile("../../core/event/testdata/golden/" + topic + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var value any
			if err := json.Unmarshal(golden, &value); err != nil {
				t.Fatal(err)
			}
			for _, problem := range validate("payload", msg.Payload, value) {
				t.Error(problem)
			}
		})
	}
}

// validate checks v against the subset of JSON Schema the document uses:
// type, properties (none unknown), required, items.
func validate(path string, schema map[string]any, v any) []string {
	var types []string
	switch t := schema["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, x.(string))
		}
	}
	got := "null"
	switch x := v.(type) {
	case string:
		got = "string"
	case bool:
		got = "boolean"
	case float64:
		got = "number"
		if x == float64(int64(x)) && slices.Contains(types, "integer") {
			got = "integer"
		}
	case []any:
		got = "array"
	case map[string]any:
		got = "object"
	}
	if len(types) > 0 && !slices.Contains(types, got) {
		return []string{fmt.Sprintf("%s is %s, the schema says %s", path, got, strings.Join(types, " or "))}
	}
	var problems []string
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for k, val := range x {
			sub, ok := props[k].(map[string]any)
			if !ok {
				if extra, ok := schema["additionalProperties"].(map[string]any); ok {
					problems = append(problems, validate(path+"."+k, extra, val)...)
					continue
				}
				problems = append(problems, fmt.Sprintf("%s.%s is written but not in the schema", path, k))
				continue
			}
			problems = append(problems, validate(path+"."+k, sub, val)...)
		}
		req, _ := schema["required"].([]any)
		for _, r := range req {
			if _, ok := x[r.(string)]; !ok {
				problems = append(problems, fmt.Sprintf("%s lacks the required %s", path, r))
			}
		}
	case []any:
		items, _ := schema["items"].(map[string]any)
		for i, item := range x {
			problems = append(problems, validate(fmt.Sprintf("%s[%d]", path, i), items, item)...)
		}
	}
	return problems
}
