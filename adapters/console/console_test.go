package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/adapters/console"
	"github.com/fintechlabs/customers/adapters/hosts"
)

func TestAKeyFormLeadsBackOnlyToAPathOfTheConsole(t *testing.T) {
	h := console.New(console.Options{})
	tests := []struct{ name, next, want string }{
		{"a page of the console", "/customers/42?tab=journey", "/customers/42?tab=journey"},
		{"another site", "https://evil.example/", "/"},
		{"a scheme-relative URL", "//evil.example", "/"},
		{"a tab that browsers strip", "/\t/evil.example", "/"},
		{"a line break that browsers strip", "/\n/evil.example", "/"},
		{"a backslash that browsers read as a slash", `/\evil.example`, "/"},
		{"a space", "/ /evil.example", "/"},
		{"no leading slash", "evil.example", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"key": {"k"}, "next": {tt.next}}
			req := httptest.NewRequest("POST", "/key", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != tt.want {
				t.Fatalf("next=%q: %d to %q, want %q", tt.next, rec.Code, rec.Header().Get("Location"), tt.want)
			}
		})
	}
}

func TestTheConsoleAnswersOnlyItsOwnHostNames(t *testing.T) {
	h := console.New(console.Options{AllowedHosts: hosts.Loopback})
	for host, want := range map[string]int{"127.0.0.1:3000": http.StatusOK, "localhost:3000": http.StatusOK, "rebound.example:3000": http.StatusMisdirectedRequest} {
		req := httptest.NewRequest("GET", "/key", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %s: %d, want %d", host, rec.Code, want)
		}
	}
}
