package text_test

import (
	"strings"
	"testing"

	"github.com/fintechlabs/customers/core/text"
)

func TestFreeTextIsRefusedWhenItWouldBreakAHeaderOrALog(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // in the error; "" for none
	}{
		{"a name", "Juan Pérez", ""},
		{"exactly the limit, in characters not bytes", strings.Repeat("ñ", 10), ""},
		{"nothing", "", "is required"},
		{"over the limit", strings.Repeat("a", 11), "is too long"},
		{"not UTF-8", "a\xffb", "valid UTF-8"},
		{"a newline", "line\nbreak", "control characters"},
		{"a NUL", "a\x00b", "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := text.Check(tt.in, 10)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Check(%q) = %v, want %q", tt.in, err, tt.want)
			}
		})
	}
}
