package rest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/idempotency"
	"github.com/fintechlabs/customers/core/money"
	"github.com/fintechlabs/customers/core/pii"
)

// document is one service's OpenAPI document, parsed and compiled.
type document struct {
	raw      map[string]any
	compiler *jsonschema.Compiler
}

func openAPIOf(t *testing.T, h http.Handler, resource string) document {
	t.Helper()
	r := call(t, h, "GET", "/"+resource+"/openapi.json", "")
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(r.raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("openapi.json", v); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(r.raw), &raw); err != nil {
		t.Fatal(err)
	}
	return document{raw: raw, compiler: c}
}

// body returns the request body schema of POST path, compiled, and as
// written.
func (d document) body(t *testing.T, path string) (*jsonschema.Schema, map[string]any) {
	t.Helper()
	ref := d.raw["paths"].(map[string]any)[path].(map[string]any)["post"].(map[string]any)["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)["$ref"].(string)
	s, err := d.compiler.Compile("openapi.json" + ref)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(ref, "#/components/schemas/")
	return s, d.raw["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
}

func TestAnEmptyBodyIsRefusedNamingWhatTheDocumentRequires(t *testing.T) {
	a := newAPI(t, rest.Options{})
	for _, tt := range []struct {
		h              http.Handler
		resource, path string
		required       []string // what the document requires
		either         string   // one of a group of which the document requires one, "" for none
	}{
		{a.Customers, "customers", "/customers/onboard", []string{"email", "phone"}, "name"},
		{a.Customers, "customers", "/customers/activate", []string{"customerId"}, ""},
		{a.Customers, "customers", "/customers/deactivate", []string{"customerId"}, ""},
		{a.Customers, "customers", "/customers/first-payment", []string{"customerId", "amount"}, ""},
		{a.Customers, "customers", "/customers/promote", []string{"customerId"}, ""},
		{a.Profiling, "profiling", "/profiling/promote", []string{"customerId"}, ""},
		{a.Notifications, "notifications", "/notifications/email", nil, "to"},
		{a.Notifications, "notifications", "/notifications/sms", nil, "to"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			_, schema := openAPIOf(t, tt.h, tt.resource).body(t, tt.path)
			var documented []string
			required, _ := schema["required"].([]any)
			for _, f := range required {
				documented = append(documented, f.(string))
			}
			if !slices.Equal(documented, tt.required) {
				t.Errorf("the document requires %v, want %v", documented, tt.required)
			}
			raw, _ := json.Marshal(schema["allOf"])
			if tt.either != "" && !strings.Contains(string(raw), `{"anyOf":[{"required":["`+tt.either+`"]}`) {
				t.Errorf("the document does not require %s or its alternatives: %s", tt.either, raw)
			}
			r := call(t, tt.h, "POST", tt.path, `{}`)
			var named []string
			for _, e := range r.body["errors"].([]any) {
				named = append(named, e.(map[string]any)["field"].(string))
			}
			for _, field := range append(slices.Clone(tt.required), tt.either) {
				if field != "" && !slices.Contains(named, field) {
					t.Errorf("{} is refused naming %v; the document requires %s too", named, field)
				}
			}
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("{}: %d %s", r.status, r.raw)
			}
		})
	}
}

func TestWhatTheDocumentDescribesTheServerTakesAndWhatItRefusesTheServerRefuses(t *testing.T) {
	a := newAPI(t, rest.Options{})
	id := onboard(t, a, juan)
	tests := []struct {
		name           string
		h              http.Handler
		resource, path string
		body           string
		valid          bool // by the document
	}{
		{"an onboarding with every field", a.Customers, "customers", "/customers/onboard", `{"firstName":"Ana","lastName":"López",` +
			`"email":"ana.lopez@example.com","phone":"+34 600-111-222","documentType":"dni","documentNumber":"12345678z",` +
			`"birthDate":"1990-05-17","language":"en"}`, true},
		{"an onboarding with the original's fields", a.Customers, "customers", "/customers/onboard",
			`{"name":"Juan","email":"juan.o@example.com","phone":"+1234567890","birthDate":"1990-05-17T00:00:00.000Z"}`, true},
		{"a name and its parts", a.Customers, "customers", "/customers/onboard",
			`{"name":"Ana","firstName":"Ana","lastName":"L","email":"a2@example.com","phone":"+34600111222"}`, false},
		{"a first name without a last name", a.Customers, "customers", "/customers/onboard",
			`{"firstName":"Ana","email":"a3@example.com","phone":"+34600111222"}`, false},
		{"a language we do not write", a.Customers, "customers", "/customers/onboard",
			`{"name":"Ana","email":"a4@example.com","phone":"+34600111222","language":"fr"}`, false},
		{"a phone without its plus", a.Customers, "customers", "/customers/onboard",
			`{"name":"Ana","email":"a5@example.com","phone":"34600111222"}`, false},
		{"an address without a domain", a.Customers, "customers", "/customers/onboard",
			`{"name":"Ana","email":"ana@localhost","phone":"+34600111222"}`, false},
		{"a deactivation with the original's reason", a.Customers, "customers", "/customers/deactivate",
			`{"customerId":"` + id + `","deactivationReason":"fraud review"}`, true},
		{"an activation with the deactivation's reason", a.Customers, "customers", "/customers/activate",
			`{"customerId":"` + id + `","deactivationReason":"x"}`, false},
		{"a reason given twice", a.Customers, "customers", "/customers/activate",
			`{"customerId":"` + id + `","reason":"kyc","activationReason":"kyc"}`, false},
		{"a promotion to a tier nobody has", a.Customers, "customers", "/customers/promote", `{"customerId":"` + id + `","newTier":"gold"}`, false},
		{"a payment in a currency of four letters", a.Customers, "customers", "/customers/first-payment",
			`{"customerId":"` + id + `","amount":10,"currency":"EURO"}`, false},
		{"stated facts written as whole numbers in float form", a.Profiling, "profiling", "/profiling/promote",
			`{"customerId":"c1","age":28.0,"creditScore":7.2e2,"income":"75000","isFirstPayment":true}`, true},
		{"a fraction of a year", a.Profiling, "profiling", "/profiling/promote", `{"customerId":"c1","age":28.5}`, false},
		{"a credit score out of range", a.Profiling, "profiling", "/profiling/promote", `{"customerId":"c1","creditScore":900}`, false},
		{"an email and its alias", a.Notifications, "notifications", "/notifications/email",
			`{"to":"a@example.com","email":"b@example.com","subject":"s","body":"b"}`, false},
		{"an ad-hoc email", a.Notifications, "notifications", "/notifications/email", `{"to":"a@example.com","subject":"s","body":"b"}`, true},
		{"an SMS to a number of the original's", a.Notifications, "notifications", "/notifications/sms",
			`{"to":"+34600111222","message":"Tu código es {{code}}","template":"verification-sms","data":{"code":"123456"}}`, true},
	}
	docs := map[string]document{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := docs[tt.resource]
			if !ok {
				d = openAPIOf(t, tt.h, tt.resource)
				docs[tt.resource] = d
			}
			schema, _ := d.body(t, tt.path)
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(v); (err == nil) != tt.valid {
				t.Fatalf("by the document, valid = %v, want %v: %v", err == nil, tt.valid, err)
			}
			r := call(t, tt.h, "POST", tt.path, tt.body)
			refused := r.status == http.StatusBadRequest || r.status == http.StatusUnprocessableEntity
			if refused == tt.valid {
				t.Fatalf("the document says valid = %v, the server answered %d: %s", tt.valid, r.status, r.raw)
			}
		})
	}
}

func TestTheIdempotencyKeyIsBoundedAsTheDocumentSays(t *testing.T) {
	a := newAPI(t, rest.Options{})
	d := openAPIOf(t, a.Notifications, "notifications")
	var param map[string]any
	for _, p := range d.raw["paths"].(map[string]any)["/notifications/email"].(map[string]any)["post"].(map[string]any)["parameters"].([]any) {
		if p.(map[string]any)["name"] == "Idempotency-Key" {
			param = p.(map[string]any)["schema"].(map[string]any)
		}
	}
	if param["maxLength"] != float64(idempotency.MaxKeyLength) || param["minLength"] != float64(1) {
		t.Fatalf("Idempotency-Key's schema = %v", param)
	}
	re := regexp.MustCompile(param["pattern"].(string))
	body := `{"to":"a@example.com","subject":"s","body":"b"}`
	for _, tt := range []struct {
		key  string
		want int
	}{{"order-42", 201}, {strings.Repeat("k", idempotency.MaxKeyLength), 201}, {strings.Repeat("k", idempotency.MaxKeyLength+1), 400}, {"ñ", 400}} {
		if got := call(t, a.Notifications, "POST", "/notifications/email", body, "Idempotency-Key", tt.key); got.status != tt.want {
			t.Errorf("key of %d bytes: %d, want %d", len(tt.key), got.status, tt.want)
		}
		if documented := re.MatchString(tt.key) && len(tt.key) <= idempotency.MaxKeyLength; documented != (tt.want == 201) {
			t.Errorf("key %.20q: the document allows it = %v, the server answers %d", tt.key, documented, tt.want)
		}
	}
}

// patternOf returns the pattern the document gives a request field.
func patternOf(t *testing.T, d document, schema, field string) *regexp.Regexp {
	t.Helper()
	p := d.raw["components"].(map[string]any)["schemas"].(map[string]any)[schema].(map[string]any)["properties"].(map[string]any)[field].(map[string]any)["pattern"].(string)
	return regexp.MustCompile(p)
}

func TestTheDocumentsPatternsTakeOnlyWhatTheDomainTakes(t *testing.T) {
	a := newAPI(t, rest.Options{})
	d := openAPIOf(t, a.Customers, "customers")
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	domain := map[string]func(string) bool{
		"email":          func(s string) bool { _, err := pii.ParseEmail(s); return err == nil },
		"phone":          func(s string) bool { _, err := pii.ParsePhone(s); return err == nil },
		"documentNumber": func(s string) bool { _, err := pii.ParseDocumentNumber(s); return err == nil },
		"documentType": func(s string) bool {
			_, _, err := customer.New("c", customer.Registration{Name: "A", Email: "a@example.com", Phone: "+34600111222",
				DocumentType: s, DocumentNumber: "12345678Z"}, now)
			return err == nil
		},
		"birthDate": func(s string) bool { _, err := customer.ParseBirthDate(s, now); return err == nil },
	}
	corpus := []string{"", " ", "+34600111222", "+34 600-111-222", "+1 (555) 010-9999", "34600111222", "+0123456789", "+12",
		"+34a600111222", "+3460011122233344", "ana@example.com", "ana.lopez+tag@sub.example.es", "ana@localhost", "ana@@example.com",
		"a..b@example.com", ".a@example.com", "ana@example..com", "ana@-example.com", "12345678Z", "x-1234", "AB", "DNI", "PASSPORT_ID",
		"pass port", "D", "1990-05-17", " 1990-05-17 ", "1990-05-17T00:00:00.000Z", "1899-12-31", "1990-13-01", "1990-05-17T25:00",
		"17/05/1990", strings.Repeat("A", 21), strings.Repeat("9", 20)}
	for field, takes := range domain {
		re := patternOf(t, d, "OnboardRequest", field)
		for _, s := range corpus {
			// What the document allows, the domain must take (the range of
			// a birth date aside, which the description gives).
			if re.MatchString(s) && !takes(s) && !(field == "birthDate" && s == "1899-12-31") && !(field == "birthDate" && s == "1990-13-01") {
				t.Errorf("%s %q: the document's pattern allows it, the domain refuses it", field, s)
			}
			// And what the domain takes in the form the pattern was made
			// for, the pattern allows.
			if takes(s) && !re.MatchString(s) && strings.TrimSpace(s) == s {
				t.Errorf("%s %q: the domain takes it, the document's pattern refuses it", field, s)
			}
		}
	}
	currency := patternOf(t, d, "PaymentRequest", "currency")
	for _, s := range []string{"EUR", "eur", " usd ", "EURO", "E1R", ""} {
		_, err := money.ParseCurrency(s)
		if s != "" && currency.MatchString(s) != (err == nil) {
			t.Errorf("currency %q: pattern %v, domain %v", s, currency.MatchString(s), err)
		}
	}
}

func TestWholeNumbersAreTakenHoweverWritten(t *testing.T) {
	a := newAPI(t, rest.Options{})
	for _, body := range []string{`{"customerId":"c1","age":28,"creditScore":720}`, `{"customerId":"c1","age":28.0,"creditScore":7.2e2}`,
		`{"customerId":"c1","age":2.8e1,"creditScore":720.00}`} {
		r := call(t, a.Profiling, "POST", "/profiling/evaluate", body)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", body, r.status, r.raw)
		}
	}
	for body, want := range map[string]string{
		`{"customerId":"c1","age":28.5}`:  "must be a whole number, not number 28.5",
		`{"customerId":"c1","age":"28"}`:  "must be a whole number, not string",
		`{"customerId":"c1","age":1e400}`: "must be a whole number",
	} {
		r := call(t, a.Profiling, "POST", "/profiling/evaluate", body)
		if r.status != 400 || !strings.Contains(r.raw, want) || !bytes.Contains([]byte(r.raw), []byte(`"field":"age"`)) {
			t.Errorf("%s: %d %s, want 400 naming age: %s", body, r.status, r.raw, want)
		}
	}
	if r := call(t, a.Customers, "GET", "/customers?limit=20.0", ""); r.status != 200 {
		t.Errorf("limit=20.0: %d %s", r.status, r.raw)
	}
}

// TestABodyOpeningWithAByteOrderMarkIsReadAsTheOriginalReadIt: the
// original's body parser drops a UTF-8 byte-order mark at the start of a
// body (some clients write one), as RFC 8259 allows; one anywhere else is
// not JSON.
func TestABodyOpeningWithAByteOrderMarkIsReadAsTheOriginalReadIt(t *testing.T) {
	a := newAPI(t, rest.Options{})
	tests := []struct {
		name, body string
		status     int
	}{
		{name: "a mark at the start", body: "\uFEFF" + `{"name":"Ana Test","email":"ana@example.com","phone":"+34600000001"}`, status: http.StatusCreated},
		{name: "a mark after white space", body: " \uFEFF" + `{"name":"Ana Test","email":"ana2@example.com","phone":"+34600000002"}`, status: http.StatusBadRequest},
		{name: "a mark inside the object", body: `{"name":"Ana Test",` + "\uFEFF" + `"email":"ana3@example.com","phone":"+34600000003"}`, status: http.StatusBadRequest},
		{name: "a mark alone", body: "\uFEFF", status: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, a.Customers, "POST", "/customers/onboard", tt.body)
			if r.status != tt.status {
				t.Fatalf("%d %s, want %d", r.status, r.raw, tt.status)
			}
		})
	}
	if got := len(call(t, a.Customers, "GET", "/customers", "").body["customers"].([]any)); got != 1 {
		t.Fatalf("%d customers stored, want the one whose body was JSON", got)
	}
}

// TestServingOursOnlyRefusesTheOriginalsNames: with the original's names
// off (HTTP_ORIGINAL_ALIASES=false), each alias is an unknown field, the
// original's route is not served, and the documents describe neither.
func TestServingOursOnlyRefusesTheOriginalsNames(t *testing.T) {
	a := newAPI(t, rest.Options{OursOnly: true})
	id := onboard(t, a, juan)
	tests := []struct {
		name, path, body, field string
		h                       http.Handler
		status                  int
	}{
		{"activationReason", "/customers/activate", `{"customerId":"` + id + `","activationReason":"KYC"}`, "activationReason", a.Customers, 400},
		{"deactivationReason", "/customers/deactivate", `{"customerId":"` + id + `","deactivationReason":"fraud"}`, "deactivationReason", a.Customers, 400},
		{"email for to", "/notifications/email", `{"email":"ana@example.com","subject":"Hola"}`, "email", a.Notifications, 400},
		{"phone for to", "/notifications/sms", `{"phone":"+34600111222","message":"Hola"}`, "phone", a.Notifications, 400},
		{"the original's promotion path", "/customers/promote/" + id, ``, "", a.Customers, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, tt.h, "POST", tt.path, tt.body)
			if r.status != tt.status || (tt.field != "" && !strings.Contains(r.raw, `"field":"`+tt.field+`","message":"is not a known field"`)) {
				t.Fatalf("%d %s, want %d naming %q", r.status, r.raw, tt.status, tt.field)
			}
		})
	}
	if r := call(t, a.Customers, "POST", "/customers/activate", `{"customerId":"`+id+`","reason":"KYC"}`); r.status != 200 {
		t.Fatalf("our own names: %d %s", r.status, r.raw)
	}
	for _, tt := range []struct {
		h              http.Handler
		resource, path string
		alias, ours    string
	}{
		{a.Customers, "customers", "/customers/activate", "activationReason", "reason"},
		{a.Customers, "customers", "/customers/deactivate", "deactivationReason", "reason"},
		{a.Notifications, "notifications", "/notifications/email", "email", "to"},
		{a.Notifications, "notifications", "/notifications/sms", "phone", "to"},
	} {
		doc := openAPIOf(t, tt.h, tt.resource)
		_, schema := doc.body(t, tt.path)
		props := schema["properties"].(map[string]any)
		if _, ok := props[tt.alias]; ok || props[tt.ours] == nil {
			t.Errorf("the body of %s describes %v, want %s and not %s", tt.path, props, tt.ours, tt.alias)
		}
		if _, ok := doc.raw["paths"].(map[string]any)["/customers/promote/{customerId}"]; ok {
			t.Error("the document describes the original's promotion path")
		}
	}
}
