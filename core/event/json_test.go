package event_test

import (
	"encoding/json"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/fintechlabs/customers/core/event"
)

// A Number reads and writes as encoding/json's Number did, through either
// version of the package.
func TestANumberReadsAndWritesAsEncodingJSONsNumber(t *testing.T) {
	reads := []struct {
		name, in string
		want     event.Number
		ok       bool
	}{
		{"a number", `1500.50`, "1500.50", true},
		{"a string holding a number, as version 1 of a payment wrote it", `"1500.50"`, "1500.50", true},
		{"null, which leaves it as it was", `null`, "7", true},
		{"a string holding anything else", `"ten"`, "", false},
		{"an empty string", `""`, "", false},
		{"an object", `{}`, "", false},
		{"a broken string", `"15`, "", false},
	}
	decoders := map[string]func([]byte, *event.Number) error{
		"v1": func(b []byte, n *event.Number) error { return json.Unmarshal(b, n) },
		"v2": func(b []byte, n *event.Number) error { return jsonv2.Unmarshal(b, n) },
	}
	for version, decode := range decoders {
		for _, tt := range reads {
			t.Run(version+" reads "+tt.name, func(t *testing.T) {
				n := event.Number("7")
				err := decode([]byte(tt.in), &n)
				if (err == nil) != tt.ok || (tt.ok && n != tt.want) {
					t.Fatalf("%s: %q, %v", tt.in, n, err)
				}
			})
		}
	}
	writes := []struct {
		name string
		in   event.Number
		want string
		ok   bool
	}{
		{"a number", "1500.50", `1500.50`, true},
		{"an empty one, as 0", "", `0`, true},
		{"text that is no number", "ten", "", false},
	}
	encoders := map[string]func(event.Number) ([]byte, error){
		"v1": func(n event.Number) ([]byte, error) { return json.Marshal(n) },
		"v2": func(n event.Number) ([]byte, error) { return jsonv2.Marshal(n) },
	}
	for version, encode := range encoders {
		for _, tt := range writes {
			t.Run(version+" writes "+tt.name, func(t *testing.T) {
				b, err := encode(tt.in)
				if (err == nil) != tt.ok || (tt.ok && string(b) != tt.want) {
					t.Fatalf("%q: %s, %v", tt.in, b, err)
				}
			})
		}
	}
}
