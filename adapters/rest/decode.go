package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
)

// maxBody is the largest request body accepted.
const maxBody = 64 << 10

// decode reads a JSON body into dst strictly: the content type must be JSON,
// the body at most 64 KiB, a single object with no unknown fields and every
// value of the right type, which dst's validate tags then check. It answers
// the problem itself and returns false when the body is not acceptable.
// optional allows an empty body, which is checked too.
func decode(w http.ResponseWriter, r *http.Request, dst any, optional bool) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		badRequest(w, r, http.StatusRequestEntityTooLarge, "request.too_large",
			fmt.Sprintf("the request body exceeds %d bytes", maxBody))
		return false
	}
	if err != nil {
		badRequest(w, r, http.StatusBadRequest, "request.unreadable", "the request body could not be read")
		return false
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if optional {
			return check(w, r, dst)
		}
		badRequest(w, r, http.StatusBadRequest, "request.body_required", "a JSON request body is required")
		return false
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		badRequest(w, r, http.StatusUnsupportedMediaType, "request.content_type",
			"the request body must be JSON: send Content-Type: application/json")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		field, detail := describe(err)
		var fields []FieldError
		if field != "" {
			fields = []FieldError{{Field: field, Message: detail}}
		}
		badRequest(w, r, http.StatusBadRequest, "request.malformed", "the request body is not acceptable JSON: "+detail, fields...)
		return false
	}
	if dec.More() {
		badRequest(w, r, http.StatusBadRequest, "request.malformed", "the request body must hold a single JSON object")
		return false
	}
	return check(w, r, dst)
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// describe turns a json decoding error into a field and a message a client
// can act on.
func describe(err error) (field, message string) {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var bad *badValue
	switch {
	case errors.As(err, &syntax):
		return "", fmt.Sprintf("syntax error at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		f := typ.Field
		if f == "" {
			return "", "the body must be a JSON object"
		}
		if typ.Type == reflect.TypeFor[whole]() {
			return f, "must be a whole number, not " + typ.Value
		}
		return f, fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.As(err, &bad):
		return bad.field, bad.message
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "", "the JSON ends too early"
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name := strings.Trim(rest, `"`)
		return name, "is not a known field"
	}
	return "", strings.TrimPrefix(msg, "json: ")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "int32", "float64":
		return "a number"
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	}
	return "a " + goKind
}

// badValue is returned by custom JSON types with the field it concerns.
type badValue struct{ field, message string }

func (e *badValue) Error() string { return e.field + " " + e.message }

// templateData is the "data" object of a send request: values may be
// strings, numbers or booleans, which templates print as they are.
type templateData map[string]string

// UnmarshalJSON implements json.Unmarshaler.
func (t *templateData) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return &badValue{field: "data", message: "must be an object of strings, numbers or booleans"}
	}
	out := templateData{}
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) > 0 && v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return &badValue{field: "data." + k, message: "is not a valid string"}
			}
			out[k] = s
		case string(v) == "true" || string(v) == "false" || (len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9'))):
			out[k] = string(v)
		default:
			return &badValue{field: "data." + k, message: "must be a string, a number or a boolean"}
		}
	}
	*t = out
	return nil
}

// decimal is a number in a request body: a JSON number, or a number in
// quotes, kept as its exact text (never a float). Anything else is refused
// naming the field.
type decimal string

// unmarshal reads b into d; a refusal names field.
func (d *decimal) unmarshal(field string, b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil || n == "" {
		return &badValue{field: field, message: "must be a number such as 1500.50"}
	}
	*d = decimal(n)
	return nil
}

// amount is the decimal "amount" of a payment.
type amount struct{ decimal }

// UnmarshalJSON implements json.Unmarshaler.
func (a *amount) UnmarshalJSON(b []byte) error { return a.unmarshal("amount", b) }

// income is the decimal "income" of stated profiling facts.
type income struct{ decimal }

// UnmarshalJSON implements json.Unmarshaler.
func (i *income) UnmarshalJSON(b []byte) error { return i.unmarshal("income", b) }
