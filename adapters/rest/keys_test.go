package rest_test

import (
	"strings"
	"testing"

	"github.com/fintechlabs/customers/adapters/rest"
)

func TestKeysAreReadWithTheirNamesAndScopes(t *testing.T) {
	tests := []struct {
		spec, name, scopes, err string
	}{
		{"s3cret", "key-", "admin", ""},
		{"backoffice:s3cret", "backoffice", "admin", ""},
		{"backoffice:s3cret:customers:read+customers:write", "backoffice", "customers:read,customers:write", ""},
		{"scraper:sha256=" + strings.Repeat("ab", 32) + ":metrics", "scraper", "metrics", ""},
		{"x:s3cret:customers:delete", "", "", `unknown scope "customers:delete"`},
		{":s3cret", "", "", "needs a name"},
		{"x:", "", "", "empty secret"},
		{"x:sha256=abc", "", "", "64 hex digits"},
	}
	for _, tt := range tests {
		k, err := rest.ParseKey(tt.spec)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("ParseKey(%q) = %v, want an error about %q that does not show the secret", tt.spec, err, tt.err)
			}
			continue
		}
		if err != nil || !strings.HasPrefix(k.Name, tt.name) || strings.Join(k.Scopes, ",") != tt.scopes {
			t.Errorf("ParseKey(%q) = %+v, %v", tt.spec, k, err)
		}
	}
}
