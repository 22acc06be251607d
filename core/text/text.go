// Package text checks free text a person gives (a name, a reason, a
// label) before it is kept: it ends up in headers, logs and messages.
package text

import (
	"errors"
	"unicode"
	"unicode/utf8"
)

// Check refuses empty text, text over max characters, invalid UTF-8 and
// control characters (which would break headers and logs).
func Check(s string, max int) error {
	switch {
	case s == "":
		return errors.New("is required")
	case !utf8.ValidString(s):
		return errors.New("must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		return errors.New("is too long")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return errors.New("must not contain control characters")
		}
	}
	return nil
}
