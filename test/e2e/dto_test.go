package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestEveryBodyTheOriginalsDTOsAcceptedIsAccepted goes over every request
// DTO of the original (shared/seed/original/*/dto): bodies its validation
// accepted are accepted here with the same meaning, and bodies it refused
// are refused with the field named. Rows marked stricter are refusals the
// original did not make, kept on purpose and listed in the README.
func TestEveryBodyTheOriginalsDTOsAcceptedIsAccepted(t *testing.T) {
	type row struct {
		name     string
		service  func() string
		path     string
		customer string // "" (none needed), "onboarded" or "active": ID in path and body is its id
		body     string
		status   int
		field    string // the field a refusal names
	}
	rows := []row{
		// OnboardCustomerDto
		{"onboard with the required fields", customers, "/customers/onboard", "",
			`{"name":"Juan Pérez","email":"EMAIL","phone":"+1234567890"}`, 201, ""},
		{"onboard with every field", customers, "/customers/onboard", "",
			`{"name":"Juan Pérez","email":"EMAIL","phone":"+1234567890","documentType":"DNI","documentNumber":"12345678","birthDate":"1990-01-15"}`, 201, ""},
		{"onboard with a birth date and time", customers, "/customers/onboard", "",
			`{"name":"Juan Pérez","email":"EMAIL","phone":"+1234567890","birthDate":"1990-01-15T00:00:00.000Z"}`, 201, ""},
		{"onboard without name", customers, "/customers/onboard", "", `{"email":"EMAIL","phone":"+1234567890"}`, 422, "name"},
		{"onboard with a malformed email", customers, "/customers/onboard", "", `{"name":"J","email":"juan","phone":"+1234567890"}`, 422, "email"},
		{"onboard without phone", customers, "/customers/onboard", "", `{"name":"J","email":"EMAIL"}`, 422, "phone"},
		{"onboard with a numeric phone", customers, "/customers/onboard", "", `{"name":"J","email":"EMAIL","phone":1234567890}`, 400, "phone"},
		{"onboard with a birth date that is no date", customers, "/customers/onboard", "",
			`{"name":"J","email":"EMAIL","phone":"+1234567890","birthDate":"yesterday"}`, 422, "birthDate"},
		{"onboard with a field the DTO lacks", customers, "/customers/onboard", "",
			`{"name":"J","email":"EMAIL","phone":"+1234567890","age":30}`, 400, "age"},
		{"stricter: onboard with a phone that is not E.164", customers, "/customers/onboard", "",
			`{"name":"J","email":"EMAIL","phone":"600 111 222"}`, 422, "phone"},

		// ActivateCustomerDto
		{"activate with the original's reason", customers, "/customers/activate", "onboarded",
			`{"customerId":"ID","activationReason":"KYC completado"}`, 200, ""},
		{"activate without customer id", customers, "/customers/activate", "", `{"activationReason":"x"}`, 422, "customerId"},
		{"activate with a numeric reason", customers, "/customers/activate", "onboarded",
			`{"customerId":"ID","activationReason":7}`, 400, "activationReason"},
		{"activate with the deactivation's reason", customers, "/customers/activate", "onboarded",
			`{"customerId":"ID","deactivationReason":"x"}`, 400, "deactivationReason"},
		{"activate with two different reasons", customers, "/customers/activate", "onboarded",
			`{"customerId":"ID","reason":"a","activationReason":"b"}`, 400, "activationReason"},

		// DeactivateCustomerDto
		{"deactivate with the original's reason", customers, "/customers/deactivate", "active",
			`{"customerId":"ID","deactivationReason":"Solicitud del cliente"}`, 200, ""},
		{"deactivate without customer id", customers, "/customers/deactivate", "", `{"deactivationReason":"x"}`, 422, "customerId"},
		{"deactivate with the activation's reason", customers, "/customers/deactivate", "active",
			`{"customerId":"ID","activationReason":"x"}`, 400, "activationReason"},

		// FirstPaymentDto
		{"first payment with the required fields", customers, "/customers/first-payment", "active",
			`{"customerId":"ID","amount":100}`, 200, ""},
		{"first payment with every field", customers, "/customers/first-payment", "active",
			`{"customerId":"ID","amount":100.5,"paymentMethod":"cheque","description":"Primer pago"}`, 200, ""},
		{"first payment without amount", customers, "/customers/first-payment", "active", `{"customerId":"ID"}`, 422, "amount"},
		{"first payment with an amount in words", customers, "/customers/first-payment", "active",
			`{"customerId":"ID","amount":"cien"}`, 400, "amount"},
		{"first payment with a numeric description", customers, "/customers/first-payment", "active",
			`{"customerId":"ID","amount":1,"description":5}`, 400, "description"},
		{"stricter: a first payment of zero", customers, "/customers/first-payment", "active",
			`{"customerId":"ID","amount":0}`, 422, "amount"},
		{"stricter: a first payment with more decimals than the currency has", customers, "/customers/first-payment", "active",
			`{"customerId":"ID","amount":1.005}`, 422, "amount"},

		// PromoteCustomerDto (customer service)
		{"promote", customers, "/customers/promote", "active", `{"customerId":"ID"}`, 200, ""},
		{"promote without customer id", customers, "/customers/promote", "", `{}`, 422, "customerId"},

		// PromoteCustomerDto (profiling)
		{"profile with every field", profiling, "/profiling/promote", "active",
			`{"customerId":"ID","age":30,"income":50000,"creditScore":700,"isFirstPayment":true,"newTier":"premium","reason":"r"}`, 200, ""},
		{"profile with a credit score out of range", profiling, "/profiling/promote", "",
			`{"customerId":"c","age":30,"income":1,"creditScore":200,"isFirstPayment":true,"newTier":"premium","reason":"r"}`, 422, "creditScore"},
		{"profile with an age in words", profiling, "/profiling/promote", "",
			`{"customerId":"c","age":"thirty","income":1,"creditScore":700,"isFirstPayment":true,"newTier":"premium","reason":"r"}`, 400, "age"},
		{"profile with a first payment in words", profiling, "/profiling/promote", "",
			`{"customerId":"c","age":30,"income":1,"creditScore":700,"isFirstPayment":"yes","newTier":"premium","reason":"r"}`, 400, "isFirstPayment"},
		{"profile with a negative income", profiling, "/profiling/promote", "",
			`{"customerId":"c","age":30,"income":-1,"creditScore":700,"isFirstPayment":true,"newTier":"premium","reason":"r"}`, 422, "income"},
		{"stricter: profile with a tier we do not have", profiling, "/profiling/promote", "",
			`{"customerId":"c","age":30,"income":1,"creditScore":700,"isFirstPayment":true,"newTier":"gold","reason":"r"}`, 422, "newTier"},

		// SendEmailDto
		{"email with a template of the client's", notifications, "/notifications/email", "",
			`{"to":"EMAIL","subject":"Hola {{name}}","template":"welcome-template","data":{"name":"Juan"}}`, 201, ""},
		{"email to a customer", notifications, "/notifications/email", "active",
			`{"customerId":"ID","to":"EMAIL","subject":"Hola","template":"welcome","data":{"customerName":"Juan"}}`, 201, ""},
		{"email to a malformed address", notifications, "/notifications/email", "",
			`{"to":"juan","subject":"s","template":"t","data":{}}`, 422, "to"},
		{"email with data that is no object", notifications, "/notifications/email", "",
			`{"to":"EMAIL","subject":"s","template":"t","data":"x"}`, 400, "data"},
		{"email with a placeholder the data lacks", notifications, "/notifications/email", "",
			`{"to":"EMAIL","subject":"Hola {{name}}","template":"t","data":{}}`, 422, "data.name"},

		// SendSmsDto
		{"SMS with a template of the client's", notifications, "/notifications/sms", "",
			`{"to":"+1234567890","message":"Tu código es {{code}}","template":"verification-sms","data":{"code":"123456"}}`, 201, ""},
		{"SMS without message", notifications, "/notifications/sms", "",
			`{"to":"+1234567890","template":"verification-sms","data":{}}`, 422, "message"},
		{"SMS with a numeric message", notifications, "/notifications/sms", "",
			`{"to":"+1234567890","message":5,"template":"t","data":{}}`, 400, "message"},
		{"stricter: SMS to a number that is not E.164", notifications, "/notifications/sms", "",
			`{"to":"600111222","message":"m","template":"t","data":{}}`, 422, "to"},
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.ReplaceAll(tt.body, "EMAIL", newEmail(t))
			path := tt.path
			if tt.customer != "" {
				id := onboard(t, "")
				if tt.customer == "active" {
					post(t, customers()+"/customers/activate", `{"customerId":"`+id+`"}`)
				}
				body, path = strings.ReplaceAll(body, "ID", id), strings.ReplaceAll(path, "ID", id)
			}
			r := do(t, "POST", tt.service()+"/api/v1"+path, body)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Raw)
			}
			if tt.status < 300 {
				if r.get("success") != true {
					t.Fatalf("no success flag: %s", r.Raw)
				}
				return
			}
			if r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("a refusal that is not a problem: %s", r.Raw)
			}
			for _, e := range r.list("errors") {
				if e["field"] == tt.field {
					return
				}
			}
			t.Fatalf("the refusal does not name %s: %s", tt.field, r.Raw)
		})
	}
	do(t, "GET", customers()+"/api/v1/customers/health", "").want(t, http.StatusOK)
}
