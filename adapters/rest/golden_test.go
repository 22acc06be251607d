package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/test/golden"
	"github.com/fintechlabs/customers/test/stacktest"
)

type stoppedClock struct{ at time.Time }

func (c stoppedClock) Now() time.Time { return c.at }

// sequence hands out ids that sort like UUIDv7s: id-0001, id-0002...
type sequence struct{ n int }

func (s *sequence) NewID() string {
	s.n++
	return fmt.Sprintf("00000000-0000-7000-8000-%012d", s.n)
}

// TestTheAnswersArePinned pins every kind of answer of the three APIs, made
// by the real routers over SQLite stores with a stopped clock and
// predictable ids: the REST contract cannot change by accident, and it
// cannot change with the published events, which have types of their own.
func TestTheAnswersArePinned(t *testing.T) {
	clk, ids := stoppedClock{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}, &sequence{}
	a := stacktest.NewAPIs(t, rest.Options{Log: quiet, Clock: clk, CORSOrigins: []string{"*"}}, clk, ids)
	customers, profiles, notifications := a.Customers, a.Profiling, a.Notifications

	id := "00000000-0000-7000-8000-000000000001"
	steps := []struct {
		name, method, path, body string
		router                   http.Handler
	}{
		{"customer-onboarded", "POST", "/api/v1/customers/onboard", `{"firstName":"Juan","lastName":"Pérez","email":"juan@example.com",` +
			`"phone":"+34600111222","documentType":"DNI","documentNumber":"12345678Z","birthDate":"1990-05-17"}`, customers},
		{"customer-activated", "POST", "/api/v1/customers/activate", `{"customerId":"` + id + `","activationReason":"KYC ok"}`, customers},
		{"customer-first-payment", "POST", "/api/v1/customers/first-payment", `{"customerId":"` + id + `","amount":100.5}`, customers},
		{"customer-promoted", "POST", "/api/v1/customers/promote/" + id, ``, customers},
		{"customer", "GET", "/api/v1/customers/" + id, ``, customers},
		{"customer-list", "GET", "/api/v1/customers?limit=1", ``, customers},
		{"customer-history", "GET", "/api/v1/customers/" + id + "/history", ``, customers},
		{"customer-notifications", "GET", "/api/v1/customers/" + id + "/notifications", ``, customers},
		{"customer-not-found", "GET", "/api/v1/customers/nobody", ``, customers},
		{"customer-invalid", "POST", "/api/v1/customers/onboard", `{"name":"","email":"nope","phone":"12"}`, customers},
		{"customer-health", "GET", "/api/v1/customers/health", ``, customers},
		{"profile-promoted", "POST", "/api/v1/profiling/promote", `{"customerId":"c-42","age":28,"income":75000,"creditScore":720,` +
			`"isFirstPayment":true,"newTier":"vip","reason":"High value customer"}`, profiles},
		{"profile", "GET", "/api/v1/profiling/c-42", ``, profiles},
		{"profile-dry-run", "POST", "/api/v1/profiling/evaluate", `{"age":40,"creditScore":810}`, profiles},
		{"notification-email", "POST", "/api/v1/notifications/email", `{"customerId":"c-42","to":"juan@example.com",` +
			`"subject":"Hola {{name}}","template":"welcome-template","data":{"name":"Juan","code":1234}}`, notifications},
		{"notification-sms", "POST", "/api/v1/notifications/sms", `{"to":"+34600111222","message":"Tu código es {{code}}",` +
			`"template":"verification-sms","data":{"code":"123456"}}`, notifications},
		{"notification-list", "GET", "/api/v1/notifications?customerId=c-42", ``, notifications},
	}
	for _, s := range steps {
		if s.name == "customer-notifications" {
			// The customer's notification history is fed by notification.sent.
			err := a.CustomerStore.AddNotification(context.Background(), id, customer.Notification{ID: "n1", EventID: "e1",
				Channel: "email", Template: "welcome", Recipient: "juan@example.com", Subject: "¡Bienvenido/a, Juan Pérez!",
				Status: "sent", SentAt: clk.at})
			if err != nil {
				t.Fatal(err)
			}
		}
		r := call(t, s.router, s.method, s.path, s.body,
			"X-Request-ID", "req-"+s.name, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		if r.status >= 500 {
			t.Fatalf("%s: %d %s", s.name, r.status, r.raw)
		}
		answer := json.RawMessage(r.raw)
		golden.JSON(t, s.name, map[string]any{"status": r.status, "body": answer})
	}
}
