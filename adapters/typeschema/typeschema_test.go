package typeschema_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/typeschema"
)

type base struct {
	ID string `json:"id"`
}

type item struct {
	base
	Name    string            `json:"name"`
	Note    string            `json:"note,omitempty"`
	Count   *int              `json:"count"`
	At      time.Time         `json:"at"`
	Tags    []string          `json:"tags"`
	Labels  map[string]string `json:"labels,omitempty"`
	Skipped string            `json:"-"`
}

type box struct {
	Items []item `json:"items"`
	First *item  `json:"first,omitempty"`
}

func encode(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestASchemaFollowsWhatEncodingJSONWrites(t *testing.T) {
	g := &typeschema.Generator{}
	got := encode(t, g.Of(reflect.TypeOf(item{})))
	want := `{"additionalProperties":false,"properties":{"at":{"format":"date-time","type":"string"},"count":{"type":["integer","null"]},"id":{"type":"string"},` +
		`"labels":{"additionalProperties":{"type":"string"},"type":["object","null"]},"name":{"type":"string"},"note":{"type":"string"},` +
		`"tags":{"items":{"type":"string"},"type":["array","null"]}},"required":["id","name","at","tags"],"type":"object"}`
	if got != want {
		t.Fatalf("schema\n got %s\nwant %s", got, want)
	}
	if input := encode(t, g.Input(reflect.TypeOf(item{}))); containsRequired(t, input) {
		t.Fatalf("an input schema requires only what its validate tags say: %s", input)
	}
}

func containsRequired(t *testing.T, schema string) bool {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(schema), &m); err != nil {
		t.Fatal(err)
	}
	_, ok := m["required"]
	return ok
}

func TestNamedStructsAreDefinedOnceAndReferredTo(t *testing.T) {
	g := &typeschema.Generator{RefPrefix: "#/defs/"}
	if got := encode(t, g.Of(reflect.TypeOf(box{}))); got != `{"$ref":"#/defs/box"}` {
		t.Fatalf("box: %s", got)
	}
	if len(g.Defs) != 2 {
		t.Fatalf("definitions %v, want box and item", g.Defs)
	}
	b := encode(t, g.Defs["box"])
	want := `{"additionalProperties":false,"properties":{"first":{"$ref":"#/defs/item"},` +
		`"items":{"items":{"$ref":"#/defs/item"},"type":["array","null"]}},"required":["items"],"type":"object"}`
	if b != want {
		t.Fatalf("box definition\n got %s\nwant %s", b, want)
	}
}

func TestSpecialTypesTakeTheSchemaTheySay(t *testing.T) {
	g := &typeschema.Generator{Special: func(t reflect.Type) (map[string]any, bool) {
		if t == reflect.TypeOf(time.Duration(0)) {
			return map[string]any{"type": "string", "description": "a duration"}, true
		}
		return nil, false
	}}
	if got := encode(t, g.Of(reflect.TypeOf(time.Duration(0)))); got != `{"description":"a duration","type":"string"}` {
		t.Fatalf("duration: %s", got)
	}
}

// onboarding is a request body whose validate tags say what it needs.
type onboarding struct {
	Name      string `json:"name" validate:"required_without_all=FirstName LastName,excluded_with=FirstName LastName,max=100"`
	FirstName string `json:"firstName" validate:"required_with=LastName"`
	LastName  string `json:"lastName" validate:"required_with=FirstName"`
	Email     string `json:"email" validate:"required" format:"email" doc:"the customer's address"`
	Tier      string `json:"tier" validate:"omitempty,oneof=basic premium vip"`
	Score     *int   `json:"score" validate:"omitempty,min=300,max=850"`
	Amount    string `json:"amount" validate:"required" pattern:"^[0-9]+$"`
}

func TestAnInputSchemaSaysWhatItsValidateTagsCheck(t *testing.T) {
	got := encode(t, (&typeschema.Generator{}).Input(reflect.TypeOf(onboarding{})))
	want := `{"additionalProperties":false,` +
		`"allOf":[{"anyOf":[{"required":["name"]},{"required":["firstName"]},{"required":["lastName"]}]},` +
		`{"not":{"anyOf":[{"required":["name","firstName"]},{"required":["name","lastName"]}]}}],` +
		`"dependentRequired":{"firstName":["lastName"],"lastName":["firstName"]},` +
		`"properties":{"amount":{"pattern":"^[0-9]+$","type":"string"},` +
		`"email":{"description":"the customer's address","format":"email","type":"string"},` +
		`"firstName":{"type":"string"},"lastName":{"type":"string"},"name":{"maxLength":100,"type":"string"},` +
		`"score":{"maximum":850,"minimum":300,"type":["integer","null"]},` +
		`"tier":{"enum":["basic","premium","vip"],"type":"string"}},` +
		`"required":["email","amount"],"type":"object"}`
	if got != want {
		t.Fatalf("schema\n got %s\nwant %s", got, want)
	}
}

type snapshot struct {
	Status string  `json:"status" validate:"omitempty,oneof=onboarded active"`
	Tier   *string `json:"tier" validate:"omitempty,oneof=basic vip"`
}

type promotedSnapshot struct {
	snapshot
	Status string `json:"status" validate:"oneof=basic vip"`
}

func TestAnOuterFieldReplacesTheEmbeddedOneAsEncodingJSONDoes(t *testing.T) {
	got := encode(t, (&typeschema.Generator{}).Of(reflect.TypeOf(promotedSnapshot{})))
	want := `{"additionalProperties":false,"properties":{"status":{"enum":["basic","vip"],"type":"string"},` +
		`"tier":{"enum":["basic","vip",null],"type":["string","null"]}},"required":["status"],"type":"object"}`
	if got != want {
		t.Fatalf("schema\n got %s\nwant %s", got, want)
	}
}
