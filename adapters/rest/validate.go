package rest

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/fintechlabs/customers/core/page"

	"github.com/fintechlabs/customers/adapters/validation"
)

// A request's body and query are declared once, as Go types whose validate
// tags say what each field needs (go-playground/validator's rules). The
// server checks every request by those tags, and the OpenAPI document
// describes the same tags (adapters/typeschema), so the two cannot drift:
// a client generated from the document sends what the server takes. The
// domain then checks what no schema can say (an address that parses, a
// customer that exists).

// checker checks decoded requests by their tags.
var checker = validation.New()

// check answers the problem with v's fields, by v's validate tags, and
// reports whether there was none. An alias given beside the field it
// stands for is ambiguous: 400 request.ambiguous; any other rule broken is
// 422, every field at fault listed.
func check(w http.ResponseWriter, r *http.Request, v any) bool {
	faults := checker.Check(v)
	if len(faults) == 0 {
		return true
	}
	var ambiguous, invalid []FieldError
	for _, f := range faults {
		if f.Ambiguous {
			ambiguous = append(ambiguous, FieldError{Field: f.Field, Message: f.Message})
		} else {
			invalid = append(invalid, FieldError{Field: f.Field, Message: f.Message})
		}
	}
	if len(ambiguous) > 0 {
		BadRequest(w, r, http.StatusBadRequest, "request.ambiguous", "give each value once: "+ambiguous[0].Field+" "+ambiguous[0].Message, ambiguous...)
		return false
	}
	writeProblem(w, r, Problem{Status: http.StatusUnprocessableEntity, Code: "validation", Detail: "invalid request", Errors: invalid})
	return false
}

// fieldName is a field's name in JSON, or in the query string.
func fieldName(f reflect.StructField) string { return validation.Name(f) }

// Whole is an integer in a request: any JSON number that is a whole one,
// however written (7, 7.0, 7.0e0, 0.7e1), as JSON and JSON Schema count
// integers; a fraction, or text, is refused naming the field.
type Whole int64

// UnmarshalJSON implements json.Unmarshaler. A refusal is a type error,
// which encoding/json tells the field of.
func (n *Whole) UnmarshalJSON(b []byte) error {
	v, ok := parseWhole(string(b))
	if !ok {
		what := "number " + string(b)
		switch {
		case len(b) > 0 && b[0] == '"':
			what = "string"
		case string(b) == "true" || string(b) == "false":
			what = "bool"
		case len(b) > 0 && (b[0] == '{' || b[0] == '['):
			what = map[byte]string{'{': "object", '[': "array"}[b[0]]
		}
		return &json.UnmarshalTypeError{Value: what, Type: reflect.TypeFor[Whole]()}
	}
	*n = v
	return nil
}

// parseWhole reads a number that is whole and fits an int64.
func parseWhole(s string) (Whole, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Whole(i), true
	}
	if s == "" || !strings.ContainsAny(s[len(s)-1:], "0123456789") || strings.ContainsAny(s, " \"") {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return Whole(r.Num().Int64()), true
}

// Ptr returns n as the *int the core takes, nil for nil.
func (n *Whole) Ptr() *int {
	if n == nil {
		return nil
	}
	i := int(*n)
	return &i
}

// DecodeQuery fills q, a struct of query fields (tag query: strings and
// *Whole), from r's query string and checks it by its tags; it answers
// the problem itself and returns false when the query is not acceptable.
func DecodeQuery(w http.ResponseWriter, r *http.Request, q any) bool {
	// r.URL.Query() drops what it cannot decode, and Get keeps the first of
	// a repeated name: a filter would be left out, or another taken, than
	// the one the client meant.
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		BadRequest(w, r, http.StatusBadRequest, "request.malformed", "the query string is not well encoded: "+err.Error())
		return false
	}
	v := reflect.ValueOf(q).Elem()
	for _, f := range queryFields(v.Type()) {
		name := fieldName(f)
		if len(values[name]) > 1 {
			BadRequest(w, r, http.StatusBadRequest, "request.malformed", name+" is given more than once",
				FieldError{Field: name, Message: "is given more than once"})
			return false
		}
		raw := values.Get(name)
		if raw == "" {
			continue
		}
		switch dst := v.FieldByIndex(f.Index).Addr().Interface().(type) {
		case *string:
			*dst = raw
		case **Whole:
			n, ok := parseWhole(raw)
			if !ok {
				BadRequest(w, r, http.StatusBadRequest, "request.malformed", name+" must be a whole number",
					FieldError{Field: name, Message: "must be a whole number" + rangeOf(v.Type(), f)})
				return false
			}
			*dst = &n
		default:
			panic(fmt.Sprintf("rest: query field %s of type %s", name, f.Type)) // a declaration to fix, not a request
		}
	}
	return check(w, r, q)
}

// queryFields are the fields of a query type, those of embedded structs
// included.
func queryFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for _, f := range reflect.VisibleFields(t) {
		if !f.Anonymous && f.IsExported() {
			out = append(out, f)
		}
	}
	return out
}

// rangeOf tells a query field's bounds, for the refusal of one that is no
// number at all.
func rangeOf(t reflect.Type, f reflect.StructField) string {
	min, low := validation.Rule(t, f.Name, "min")
	max, high := validation.Rule(t, f.Name, "max")
	if low && high {
		return " between " + min + " and " + max
	}
	return ""
}

// PageQuery is a page's place in a list: embedded in a list's query type.
type PageQuery struct {
	Limit  *Whole `query:"limit" validate:"omitempty,min=1,max=100" doc:"20 when left out"`
	Cursor string `query:"cursor" doc:"the nextCursor of the page before"`
}

// Request is the page the query asks for.
func (q PageQuery) Request() page.Request {
	p := page.Request{Cursor: q.Cursor}
	if q.Limit != nil {
		p.Limit = int(*q.Limit)
	}
	return p
}
