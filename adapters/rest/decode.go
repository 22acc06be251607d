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
	"strconv"
	"strings"

	"github.com/fintechlabs/customers/adapters/validation"
)

// maxBody is the largest request body accepted.
const maxBody = 64 << 10

// byteOrderMark is U+FEFF in UTF-8.
const byteOrderMark = "\uFEFF"

// Decode reads a JSON body into dst strictly: the content type must be JSON,
// the body at most 64 KiB, a single object with no unknown fields and every
// value of the right type, which dst's validate tags then check. It answers
// the problem itself and returns false when the body is not acceptable.
// optional allows an empty body, which is checked too.
func Decode(w http.ResponseWriter, r *http.Request, dst any, optional bool) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		BadRequest(w, r, http.StatusRequestEntityTooLarge, "request.too_large",
			fmt.Sprintf("the request body exceeds %d bytes", maxBody))
		return false
	}
	if err != nil {
		BadRequest(w, r, http.StatusBadRequest, "request.unreadable", "the request body could not be read")
		return false
	}
	// RFC 8259 lets a parser ignore a byte-order mark, and the original's
	// did (its body parser drops one at the start), so clients that write
	// one keep working; one anywhere else is a syntax error.
	raw = bytes.TrimPrefix(raw, []byte(byteOrderMark))
	if len(bytes.TrimSpace(raw)) == 0 {
		if optional {
			return check(w, r, dst)
		}
		BadRequest(w, r, http.StatusBadRequest, "request.body_required", "a JSON request body is required")
		return false
	}
	if coding := r.Header.Get("Content-Encoding"); coding != "" && !strings.EqualFold(coding, "identity") {
		// RFC 9110: a coding the server does not take is a 415 that says
		// which it takes.
		w.Header().Set("Accept-Encoding", "identity")
		BadRequest(w, r, http.StatusUnsupportedMediaType, "request.content_encoding",
			"the request body must not be compressed: send it without Content-Encoding "+strconv.Quote(coding))
		return false
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		BadRequest(w, r, http.StatusUnsupportedMediaType, "request.content_type",
			"the request body must be JSON: send Content-Type: application/json")
		return false
	}
	var ambiguous *validation.AmbiguousError
	if errors.As(validation.Unambiguous(raw), &ambiguous) {
		malformed(w, r, ambiguous.Field, ambiguous.Reason, ambiguous.Error())
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		field, detail := describe(err)
		malformed(w, r, field, detail, detail)
		return false
	}
	if dec.More() {
		BadRequest(w, r, http.StatusBadRequest, "request.malformed", "the request body must hold a single JSON object")
		return false
	}
	return check(w, r, dst)
}

// malformed answers a body that is not acceptable JSON: what is wrong, and
// the field it concerns, if any, with its message.
func malformed(w http.ResponseWriter, r *http.Request, field, message, detail string) {
	var fields []FieldError
	if field != "" {
		fields = []FieldError{{Field: field, Message: message}}
	}
	BadRequest(w, r, http.StatusBadRequest, "request.malformed", "the request body is not acceptable JSON: "+detail, fields...)
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
	var bad *BadValue
	switch {
	case errors.As(err, &syntax):
		return "", fmt.Sprintf("syntax error at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		f := typ.Field
		if f == "" {
			return "", "the body must be a JSON object"
		}
		if typ.Type == reflect.TypeFor[Whole]() {
			return f, "must be a whole number, not " + typ.Value
		}
		return f, fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.As(err, &bad):
		return bad.Field, bad.Message
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

// BadValue is returned by a request's own JSON types (their
// UnmarshalJSON) with the field it concerns: the refusal names it.
type BadValue struct{ Field, Message string }

func (e *BadValue) Error() string { return e.Field + " " + e.Message }

// Decimal is a number in a request body: a JSON number, or a number in
// quotes, kept as its exact text (never a float). A request's own types
// embed it, to name their field in a refusal (see Unmarshal).
type Decimal string

// Unmarshal reads b into d; anything but a number is refused naming field.
func (d *Decimal) Unmarshal(field string, b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil || n == "" {
		return &BadValue{Field: field, Message: "must be a number such as 1500.50"}
	}
	*d = Decimal(n)
	return nil
}

// DecimalPattern is what money.ParseMinor reads of a decimal written as a
// string: digits, and a point with digits after it (a number's form the
// schema cannot hold; the pattern binds only strings).
const DecimalPattern = `^\s*[0-9]+(\.[0-9]+)?\s*$`

// Aliased is a request body O that takes, beside ours (T), the original's
// names for some of its fields: Ours turns it into the body without them.
// Each API declares those bodies in its original.go.
type Aliased[T any] interface{ Ours() T }

// DecodeAliased decodes r's body as the O that takes the original's names,
// turned into a T, or, when opts serve ours only (Options.OursOnly), as a
// T. It answers the problem itself and reports false when the body is not
// acceptable (see Decode).
func DecodeAliased[T any, O Aliased[T]](w http.ResponseWriter, r *http.Request, opts Options, optional bool) (T, bool) {
	if opts.OursOnly {
		var t T
		return t, Decode(w, r, &t, optional)
	}
	var o O
	if !Decode(w, r, &o, optional) {
		var none T
		return none, false
	}
	return o.Ours(), true
}

// Body is the body a route documents: O, unless opts serve ours only.
func Body[T any, O Aliased[T]](opts Options) any {
	if opts.OursOnly {
		var t T
		return t
	}
	var o O
	return o
}
