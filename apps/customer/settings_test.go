package customer

import (
	"strings"
	"testing"

	"github.com/fintechlabs/customers/apps/config"
)

func TestTheDefaultCurrencyIsEurosUnlessSet(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // the currency, or a part of the error
	}{
		{"euros by default", nil, "EUR"},
		{"any ISO 4217 code, in any case", map[string]string{"DEFAULT_CURRENCY": "ars"}, "ARS"},
		{"not a code", map[string]string{"DEFAULT_CURRENCY": "euro"}, "DEFAULT_CURRENCY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s settings
			_, err := config.Load(config.Customer, config.MapEnv(tt.env), false, func(r *config.Reader) { s = read(r) })
			if err != nil {
				if !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Load = %v, want it to mention %s", err, tt.want)
				}
				return
			}
			if s.currency != tt.want {
				t.Fatalf("currency %q, want %q", s.currency, tt.want)
			}
		})
	}
}
