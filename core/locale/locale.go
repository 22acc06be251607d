// Package locale holds the languages customers can be addressed in.
package locale

import (
	"errors"
	"strings"
)

// Language is an ISO 639-1 code.
type Language string

// Supported languages. Spanish is the default, as in the original system.
const (
	Spanish Language = "es"
	English Language = "en"
	Default          = Spanish
)

// ErrUnsupported is returned for a language we have no templates for.
var ErrUnsupported = errors.New(`must be "es" or "en"`)

// Parse accepts "es", "en" and regional forms such as "es-ES" or "en_GB".
// Empty text means the default language.
func Parse(s string) (Language, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return Default, nil
	}
	base, _, _ := strings.Cut(strings.ReplaceAll(s, "_", "-"), "-")
	switch Language(base) {
	case Spanish:
		return Spanish, nil
	case English:
		return English, nil
	}
	return "", ErrUnsupported
}
