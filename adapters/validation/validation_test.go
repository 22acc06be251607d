package validation_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/fintechlabs/customers/adapters/validation"
)

type page struct {
	Limit *int `query:"limit" validate:"omitempty,min=1,max=100"`
}

type snapshot struct {
	Tier string `json:"tier" validate:"omitempty,oneof=basic premium vip"`
}

type request struct {
	Name     string   `json:"name" validate:"required_without_all=First Last,excluded_with=First"`
	First    string   `json:"firstName" validate:"required_with=Last"`
	Last     string   `json:"lastName" validate:"required_with=First"`
	Phone    string   `json:"phone" validate:"pattern" pattern:"^\\+[0-9]+$" message:"must be an E.164 number"`
	Customer snapshot `json:"customer"`
	page
}

func TestEachBrokenRuleIsNamedAsTheClientWroteTheField(t *testing.T) {
	big := 500
	tests := []struct {
		name string
		in   request
		want []validation.Fault
	}{
		{"nothing broken", request{Name: "Ana", Phone: "+34600111222"}, nil},
		{"a name or its parts, missing", request{}, []validation.Fault{{Field: "name", Message: "is required (or firstName and lastName)"}}},
		{"a name beside its parts", request{Name: "Ana", First: "Ana", Last: "L"},
			[]validation.Fault{{Field: "name", Message: "must be left out when firstName is given", Ambiguous: true}}},
		{"one part without the other", request{First: "Ana"}, []validation.Fault{{Field: "lastName", Message: "is required with firstName"}}},
		{"a text not of its pattern", request{Name: "Ana", Phone: "600"}, []validation.Fault{{Field: "phone", Message: "must be an E.164 number"}}},
		{"an unknown value, nested", request{Name: "Ana", Customer: snapshot{Tier: "gold"}},
			[]validation.Fault{{Field: "customer.tier", Message: "must be one of basic, premium, vip"}}},
		{"out of range, in an embedded struct", request{Name: "Ana", page: page{Limit: &big}},
			[]validation.Fault{{Field: "limit", Message: "must be between 1 and 100"}}},
	}
	c := validation.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Check(tt.in); !slices.Equal(got, tt.want) {
				t.Fatalf("Check = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// BenchmarkCheckARequest checks a valid request, patterns included, as
// every request body and consumed event is checked.
func BenchmarkCheckARequest(b *testing.B) {
	c := validation.New()
	in := request{Name: "Ana", Phone: "+34600111222", Customer: snapshot{Tier: "vip"}}
	b.ReportAllocs()
	for b.Loop() {
		if faults := c.Check(in); faults != nil {
			b.Fatal(faults)
		}
	}
}

func TestJSONThatParsersMayReadDifferentlyIsAmbiguous(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		ok    bool
		field string
	}{
		{name: "an object of distinct names", raw: `{"name":"A","data":{"name":"B"}}`, ok: true},
		{name: "malformed JSON is the decoder's to name", raw: `{"name":`, ok: true},
		{name: "a member named twice", raw: `{"name":"A","email":"a@example.com","name":"B"}`, field: "name"},
		{name: "a member named twice in a nested object", raw: `{"data":{"customerName":"A","customerName":"B"}}`, field: "data.customerName"},
		{name: "a member named twice, once escaped", raw: `{"name":"A","\u006eame":"B"}`, field: "name"},
		{name: "a member named twice in an array's object", raw: `{"items":[{"id":1},{"id":2,"id":3}]}`, field: "items.1.id"},
		{name: "text that is not UTF-8", raw: "{\"name\":\"\xff\xfe\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validation.Unambiguous([]byte(tt.raw))
			var amb *validation.AmbiguousError
			switch {
			case tt.ok && err != nil:
				t.Fatalf("Unambiguous = %v, want nil", err)
			case !tt.ok && !errors.As(err, &amb):
				t.Fatalf("Unambiguous = %v, want an *AmbiguousError", err)
			case !tt.ok && amb.Field != tt.field:
				t.Fatalf("the error names %q, want %q", amb.Field, tt.field)
			}
		})
	}
}
