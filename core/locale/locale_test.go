package locale_test

import (
	"errors"
	"testing"

	"github.com/fintechlabs/customers/core/locale"
)

func TestParseFallsBackToSpanishAndAcceptsRegions(t *testing.T) {
	tests := []struct {
		in   string
		want locale.Language
		err  error
	}{
		{"", locale.Spanish, nil},
		{"es", locale.Spanish, nil},
		{"ES-es", locale.Spanish, nil},
		{"en", locale.English, nil},
		{"en_GB", locale.English, nil},
		{" en ", locale.English, nil},
		{"fr", "", locale.ErrUnsupported},
		{"english", "", locale.ErrUnsupported},
	}
	for _, tt := range tests {
		got, err := locale.Parse(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
