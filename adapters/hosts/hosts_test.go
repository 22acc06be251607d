package hosts_test

import (
	"testing"

	"github.com/fintechlabs/customers/adapters/hosts"
)

func TestOnlyTheAllowedHostNamesAreAnswered(t *testing.T) {
	tests := []struct {
		name    string
		allowed hosts.Allowed
		host    string
		want    bool
	}{
		{"localhost with a port", hosts.Loopback, "localhost:3001", true},
		{"a name under localhost", hosts.Loopback, "console.localhost:3000", true},
		{"the loopback address", hosts.Loopback, "127.0.0.1:3001", true},
		{"another address of the loopback range", hosts.Loopback, "127.0.0.2:3001", true},
		{"the IPv6 loopback address", hosts.Loopback, "[::1]:3001", true},
		{"localhost in capitals, with a final dot", hosts.Loopback, "LOCALHOST.:3001", true},
		{"a rebinding page's name", hosts.Loopback, "evil.example:3001", false},
		{"a name that ends like localhost", hosts.Loopback, "evillocalhost:3001", false},
		{"a private address", hosts.Loopback, "192.168.1.10:3001", false},
		{"no host at all", hosts.Loopback, "", false},
		{"a configured name", hosts.Allowed{"api.example.com"}, "api.example.com", true},
		{"a name under a configured domain", hosts.Allowed{".example.com"}, "customers.example.com:443", true},
		{"the configured domain itself", hosts.Allowed{".example.com"}, "example.com", true},
		{"a name outside the configured ones", hosts.Allowed{"api.example.com"}, "localhost", false},
		{"any name when none is configured", nil, "whatever.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.allowed.Permit(tt.host); got != tt.want {
				t.Fatalf("%v.Permit(%q) = %v, want %v", tt.allowed, tt.host, got, tt.want)
			}
		})
	}
}
