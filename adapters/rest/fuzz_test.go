package rest_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/adapters/rest"
)

// FuzzRoutersAnswerEveryRequestWithoutA5xx sends arbitrary methods, paths,
// bodies and keys to the three routers over in-memory stores, where
// nothing is down: every answer must be below 500 (no panic, no internal
// error), and a refusal must be a problem document.
func FuzzRoutersAnswerEveryRequestWithoutA5xx(f *testing.F) {
	seeds := []struct{ method, path, body, key string }{
		{"POST", "/customers/onboard", `{"name":"Ana","email":"ana@example.com","phone":"+34600111222"}`, "k"},
		{"POST", "/api/v1/customers/activate", `{"customerId":"x"}`, "k"},
		{"POST", "/customers/first-payment", `{"customerId":"x","amount":"1e400"}`, "k"},
		{"POST", "/customers/promote/abc%2Fhealth", ``, ""},
		{"GET", "/customers?limit=-1&cursor=%ff", ``, "k"},
		{"POST", "/profiling/evaluate", `{"age":1e309}`, "k"},
		{"POST", "/profiling/promote", `{"customerId":"x","newTier":"vip"}`, "wrong"},
		{"POST", "/notifications/email", `{"to":"a@b.c","template":"{{x}}","data":{"x":[1]}}`, "k"},
		{"POST", "/notifications/sms", `{"to":"+1","message":"` + strings.Repeat("x", 2000) + `"}`, "k"},
		{"INVENTED", "/notifications/../customers", `[]`, "k"},
		{"GET", "/api/v1/notifications?channel=fax", ``, "k"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body, s.key)
	}
	a := newAPI(f, rest.Options{APIKeys: []string{"k"}})
	routers := map[string]http.Handler{"customers": a.Customers, "profiling": a.Profiling, "notifications": a.Notifications}
	f.Fuzz(func(t *testing.T, method, path, body, key string) {
		if !validRequestLine(method, path) {
			return // not a request an HTTP server would hand to a handler
		}
		for name, h := range routers {
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-API-Key", key)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s %q on %s = %d %s", method, path, body, name, rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); rec.Code >= 400 && !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("%s %s on %s = %d with %q, not a problem", method, path, name, rec.Code, ct)
			}
		}
	})
}

// validRequestLine reports whether net/http would parse a request line with
// method and target (httptest.NewRequest panics on what it would refuse).
func validRequestLine(method, target string) bool {
	if method == "" || !strings.HasPrefix(target, "/") {
		return false
	}
	for _, r := range method {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return false
		}
	}
	for _, r := range target {
		if r <= ' ' || r >= 0x7f || r == '#' {
			return false
		}
	}
	_, err := http.ReadRequest(bufioReader(method + " " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"))
	return err == nil
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
