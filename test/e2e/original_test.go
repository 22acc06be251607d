package e2e

import (
	"net/http"
	"testing"
)

// TestEveryCurlExampleOfTheOriginalREADMEWorks replays the original
// README's requests as written, on both path styles. Examples that name a
// customer id nobody was given ("1234567890") get a precise 404, and the
// second onboarding of the same address a 409: the requests themselves are
// understood.
func TestEveryCurlExampleOfTheOriginalREADMEWorks(t *testing.T) {
	tests := []struct {
		name         string
		service      func() string
		path, body   string
		first, again int // status on the root path, then under /api/v1
		code         string
	}{
		{"onboard with a whole name", customers, "/customers/onboard",
			`{"name":"Juan Pérez","email":"juan@example.com","phone":"+1234567890"}`, 201, 409, "customer.email_taken"},
		{"onboard with first and last name", customers, "/customers/onboard",
			`{"email":"john.doe@example.com","firstName":"John","lastName":"Doe","phone":"+1234567890"}`, 201, 409, "customer.email_taken"},
		{"activate", customers, "/customers/activate", `{"customerId":"1234567890"}`, 404, 404, "customer.not_found"},
		{"activate the second example", customers, "/customers/activate", `{"customerId":"customer_1234567890"}`, 404, 404, "customer.not_found"},
		{"deactivate", customers, "/customers/deactivate", `{"customerId":"1234567890"}`, 404, 404, "customer.not_found"},
		{"promote", customers, "/customers/promote/1234567890", ``, 404, 404, "customer.not_found"},
		{"promote manually through profiling", profiling, "/profiling/promote",
			`{"customerId":"1234567890","newTier":"premium","reason":"High value customer"}`, 200, 200, ""},
		{"profile with facts", profiling, "/profiling/promote",
			`{"customerId":"customer_1234567890","age":28,"income":75000,"creditScore":720,"isFirstPayment":true}`, 200, 200, ""},
		{"send an email", notifications, "/notifications/email",
			`{"to":"cliente@example.com","subject":"Bienvenido","template":"welcome","data":{"customerName":"Juan Pérez"}}`, 201, 201, ""},
		{"send an email to a customer", notifications, "/notifications/email",
			`{"customerId":"customer_1234567890","email":"john.doe@example.com","template":"welcome","data":{"customerName":"John Doe"}}`, 201, 201, ""},
		{"send an SMS", notifications, "/notifications/sms", `{"to":"+1234567890","message":"Tu cuenta ha sido activada"}`, 201, 201, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, prefix := range []string{"", "/api/v1"} {
				want := tt.first
				if i == 1 {
					want = tt.again
				}
				r := do(t, "POST", tt.service()+prefix+tt.path, tt.body)
				r.want(t, want)
				if want >= 400 {
					if r.Header.Get("Content-Type") != "application/problem+json" || r.str("code") != tt.code {
						t.Fatalf("%s%s: %s", prefix, tt.path, r.Raw)
					}
					continue
				}
				if r.get("success") != true {
					t.Fatalf("%s%s: no success flag: %s", prefix, tt.path, r.Raw)
				}
			}
		})
	}
	for _, path := range []string{"/customers/health", "/api/v1/customers/health"} {
		do(t, "GET", customers()+path, "").want(t, http.StatusOK)
	}
}
