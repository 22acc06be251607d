// Package notification holds message templates, their rendering, the record
// of each delivery, and which messages each customer event triggers.
package notification

import (
	"slices"
	"strings"

	"github.com/fintechlabs/customers/core/fault"
)

// Render fills every {{key}} placeholder in text from data. Spaces inside the
// braces are allowed ("{{ code }}"). A key absent from data is an error that
// names every missing key; an empty value is not ("" may be meant). Text
// between braces that is not a key ("{{ not a key }}") is left as it is.
func Render(text string, data map[string]string) (string, error) {
	var out strings.Builder
	var missing []string
	rest := text
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			out.WriteString(rest)
			break
		}
		end := strings.Index(rest[open+2:], "}}")
		if end < 0 {
			out.WriteString(rest)
			break
		}
		key := strings.TrimSpace(rest[open+2 : open+2+end])
		if !isKey(key) {
			// Keep one brace and look again from the next one, so that
			// "{{{{code}}}}" still finds the inner "{{code}}".
			out.WriteString(rest[:open+1])
			rest = rest[open+1:]
			continue
		}
		out.WriteString(rest[:open])
		if v, ok := data[key]; ok {
			out.WriteString(v)
		} else if !slices.Contains(missing, key) {
			missing = append(missing, key)
		}
		rest = rest[open+2+end+2:]
	}
	if len(missing) > 0 {
		var bad fault.Fields
		for _, k := range missing {
			bad.Add("data."+k, "is required by the message")
		}
		return "", bad.Err("missing template data")
	}
	return out.String(), nil
}

// Placeholders lists the keys text refers to, in order, without repeats.
func Placeholders(text string) []string {
	var keys []string
	_, err := Render(text, nil)
	if e, ok := fault.As(err); ok {
		for _, f := range e.Fields {
			keys = append(keys, strings.TrimPrefix(f.Field, "data."))
		}
	}
	return keys
}

func isKey(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || ((r < '0' || r > '9') && r != '_' && r != '.')) {
			return false
		}
	}
	return true
}
