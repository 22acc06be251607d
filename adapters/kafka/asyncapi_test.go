package kafka_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/core/customer"
	customerapp "github.com/fintechlabs/customers/core/customer/app"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/locale"
	notificationapp "github.com/fintechlabs/customers/core/notification/app"
	profilingapp "github.com/fintechlabs/customers/core/profiling/app"
	"github.com/fintechlabs/customers/core/tier"
	"github.com/fintechlabs/customers/test/golden"
)

type asyncDoc struct {
	AsyncAPI string `json:"asyncapi"`
	Channels map[string]struct {
		Address  string                     `json:"address"`
		Messages map[string]json.RawMessage `json:"messages"`
	} `json:"channels"`
	Operations map[string]struct {
		Action  string `json:"action"`
		Channel struct {
			Ref string `json:"$ref"`
		} `json:"channel"`
	} `json:"operations"`
	Components struct {
		Messages map[string]struct {
			Name string `json:"name"`
		} `json:"messages"`
	} `json:"components"`
}

// services are each service's name and the topics it sends and receives.
var services = []struct {
	name            string
	sends, receives []string
}{
	{"customer", customerapp.Emits, customerapp.Consumes},
	{"profiling", profilingapp.Emits, profilingapp.Consumes},
	{"notifications", notificationapp.Emits, notificationapp.Consumes},
}

func TestEachServicesAsyncAPIDocumentSaysWhatItSendsAndReceives(t *testing.T) {
	for _, svc := range services {
		t.Run(svc.name, func(t *testing.T) {
			raw, err := kafka.AsyncAPI("service-"+svc.name, svc.sends, svc.receives)
			if err != nil {
				t.Fatal(err)
			}
			// A copy to browse, kept current: adapters/kafka/testdata/golden/.
			golden.JSON(t, "asyncapi-"+svc.name, json.RawMessage(raw))
			var doc asyncDoc
			if err := json.Unmarshal(raw, &doc); err != nil || doc.AsyncAPI != "3.0.0" {
				t.Fatalf("asyncapi %q, %v", doc.AsyncAPI, err)
			}
			want := map[string]string{} // channel address -> the action on it
			for _, topic := range svc.sends {
				want[topic] = "send"
			}
			for _, topic := range svc.receives {
				want[topic] = "receive"
				want[topic+event.DeadLetterSuffix] = "send" // it writes its own dead letters
			}
			got := map[string]string{}
			for name, op := range doc.Operations {
				c, ok := doc.Channels[strings.TrimPrefix(op.Channel.Ref, "#/channels/")]
				if !ok {
					t.Fatalf("operation %s names no channel: %s", name, op.Channel.Ref)
				}
				got[c.Address] = op.Action
			}
			if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) {
				t.Fatalf("operations by channel\n got %v\nwant %v", sorted(got), sorted(want))
			}
			if len(doc.Channels) != len(want) {
				t.Fatalf("%d channels for %d topics it sends or receives", len(doc.Channels), len(want))
			}
		})
	}
}

func sorted(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+" "+v)
	}
	sort.Strings(out)
	return out
}

func TestWhatTheCodeWritesIsWhatTheDocumentDescribesAndNothingLooser(t *testing.T) {
	raw, err := kafka.AsyncAPI("every topic", event.Topics(), nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("asyncapi.json", doc); err != nil {
		t.Fatal(err)
	}
	schema := func(t *testing.T, topic, part string) *jsonschema.Schema {
		t.Helper()
		s, err := c.Compile("asyncapi.json#/components/messages/" + channel(topic) + "/" + part)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, topic := range event.Topics() {
		t.Run(topic, func(t *testing.T) {
			// The golden payloads are what the code writes for each topic.
			written, err := os.ReadFile("../../core/event/testdata/golden/" + topic + ".json")
			if err != nil {
				t.Fatal(err)
			}
			payload := schema(t, topic, "payload")
			if err := payload.Validate(decodeJSON(t, written)); err != nil {
				t.Fatalf("what the code writes does not validate: %v", err)
			}
			// Closed, with its enums: a field nobody writes, or a tier
			// nobody has, does not validate.
			for _, broken := range []func(map[string]any){
				func(v map[string]any) { v["surprise"] = true },
				func(v map[string]any) {
					if c, ok := v["customer"].(map[string]any); ok {
						c["tier"] = "platinum"
					} else {
						v["surprise"] = true
					}
				},
			} {
				v := decodeJSON(t, written).(map[string]any)
				broken(v)
				if payload.Validate(v) == nil {
					t.Errorf("a payload the code never writes validates: %v", v)
				}
			}
			// The headers a record carries, trace state included.
			m := event.Message{Metadata: event.Metadata{ID: "e1", Type: topic, Source: event.Owner(topic), Subject: "c1",
				Version: event.SchemaVersion(topic), TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
				TraceState: "vendor=x", Actor: "backoffice"}}
			headers := map[string]any{}
			for _, h := range kafka.Defaults("c", "g").Record(m).Headers {
				headers[h.Key] = string(h.Value)
			}
			if err := schema(t, topic, "headers").Validate(headers); err != nil {
				t.Fatalf("the headers written do not validate: %v", err)
			}
		})
	}
}

// channel is the document's name of topic's channel and message.
func channel(topic string) string {
	parts := strings.Split(topic, ".")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

func decodeJSON(t *testing.T, raw []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTheDocumentsEnumsAreTheDomains(t *testing.T) {
	raw, err := kafka.AsyncAPI("every topic", event.Topics(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	snapshot := dig(doc, "components", "messages", "customerOnboarded", "payload", "properties", "customer", "properties")
	for field, want := range map[string][]string{
		"status":   {string(customer.Onboarded), string(customer.Active), string(customer.Inactive), string(customer.Erased)},
		"tier":     {string(tier.Basic), string(tier.Premium), string(tier.VIP)},
		"language": {string(locale.Spanish), string(locale.English)},
	} {
		var got []string
		for _, v := range dig(snapshot, field)["enum"].([]any) {
			got = append(got, v.(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("customer.%s enum %v, want %v", field, got, want)
		}
	}
}

func dig(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m, _ = m[p].(map[string]any)
	}
	return m
}
