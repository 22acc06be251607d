package validation

import (
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// AmbiguousError is the error of a JSON text that parsers may read
// differently.
type AmbiguousError struct {
	// Field is the member named twice, named as Checker names fields
	// ("data.customerName"); empty for text that is not UTF-8.
	Field string
	// Reason says what is wrong, in words a client can act on.
	Reason string
}

// Error implements error: the field, if any, and the reason.
func (e *AmbiguousError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + " " + e.Reason
}

// Unambiguous returns an *AmbiguousError unless raw reads the same to every
// JSON parser, as I-JSON (RFC 7493) asks: valid UTF-8, and no object that
// names a member twice. encoding/json takes the last of two members of one
// name and reads invalid UTF-8 as U+FFFD, so a proxy or a consumer that
// keeps the first, or refuses the bytes, would act on another value than
// ours. Other syntax errors are left to the decoder, which names them.
func Unambiguous(raw []byte) error {
	if !utf8.Valid(raw) {
		return &AmbiguousError{Reason: "the text is not valid UTF-8"}
	}
	_, err := jsontext.NewDecoder(bytes.NewReader(raw)).ReadValue()
	var syntax *jsontext.SyntacticError
	if errors.As(err, &syntax) && errors.Is(syntax.Err, jsontext.ErrDuplicateName) {
		field := strings.ReplaceAll(strings.TrimPrefix(string(syntax.JSONPointer), "/"), "/", ".")
		return &AmbiguousError{Field: field, Reason: "is given twice"}
	}
	return nil
}
