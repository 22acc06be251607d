package rest_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/rest/customerapi"
	"github.com/fintechlabs/customers/adapters/sqlstore/customersql"
	"github.com/fintechlabs/customers/adapters/uuidv7"
	customerapp "github.com/fintechlabs/customers/core/customer/app"
	"github.com/fintechlabs/customers/core/idempotency"
	"github.com/fintechlabs/customers/test/stacktest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newAPI is the three routers over SQLite stores, with opts; CORS for
// any origin unless opts say.
func newAPI(t testing.TB, opts rest.Options) stacktest.APIs {
	t.Helper()
	if opts.Log == nil {
		opts.Log = quiet
	}
	if opts.CORSOrigins == nil {
		opts.CORSOrigins = []string{"*"}
	}
	return stacktest.NewAPIs(t, opts, nil, nil)
}

// response is a decoded reply.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func call(t *testing.T, h http.Handler, method, path, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := response{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if strings.Contains(rec.Header().Get("Content-Type"), "json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &out.body); err != nil {
			t.Fatalf("%s %s: body is not a JSON object: %s", method, path, rec.Body.String())
		}
	}
	return out
}

func (r response) str(path ...string) string {
	var v any = r.body
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	switch x := v.(type) {
	case string:
		return x
	case float64, bool:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return ""
}

func onboard(t *testing.T, a stacktest.APIs, body string) string {
	t.Helper()
	r := call(t, a.Customers, "POST", "/customers/onboard", body)
	if r.status != http.StatusCreated {
		t.Fatalf("onboard: %d %s", r.status, r.raw)
	}
	return r.str("customerId")
}

const juan = `{"name":"Juan Pérez","email":"juan@example.com","phone":"+1234567890"}`

func TestEveryRouteAnswersUnderBothPrefixes(t *testing.T) {
	a := newAPI(t, rest.Options{})
	id := onboard(t, a, juan)
	tests := []struct {
		h    http.Handler
		path string
	}{
		{a.Customers, "/customers/health"},
		{a.Customers, "/customers"},
		{a.Customers, "/customers/" + id},
		{a.Customers, "/customers/" + id + "/history"},
		{a.Customers, "/customers/" + id + "/notifications"},
		{a.Profiling, "/profiling/health"},
		{a.Profiling, "/profiling/rules"},
		{a.Notifications, "/notifications/health"},
		{a.Notifications, "/notifications"},
		{a.Notifications, "/notifications/templates"},
		{a.Notifications, "/notifications/mailbox"},
	}
	for _, tt := range tests {
		for _, prefix := range []string{"", "/api/v1"} {
			if r := call(t, tt.h, "GET", prefix+tt.path, ""); r.status != http.StatusOK {
				t.Errorf("GET %s%s = %d %s", prefix, tt.path, r.status, r.raw)
			}
		}
	}
	if r := call(t, a.Customers, "GET", "/healthz", ""); r.str("service") != "service-customer" || r.str("status") != "ok" {
		t.Fatalf("healthz = %s", r.raw)
	}
}

func TestOnboardingAnswersTheOriginalBodyPlusTheCustomer(t *testing.T) {
	a := newAPI(t, rest.Options{})
	r := call(t, a.Customers, "POST", "/api/v1/customers/onboard",
		`{"email":"john.doe@example.com","firstName":"John","lastName":"Doe","phone":"+1234567890","documentType":"dni","documentNumber":"12345678Z"}`)
	if r.status != http.StatusCreated || r.str("success") != "true" || r.str("message") != "Customer onboarded successfully" {
		t.Fatalf("onboard = %d %s", r.status, r.raw)
	}
	id := r.str("customerId")
	if r.header.Get("Location") != "/api/v1/customers/"+id || r.str("customer", "id") != id ||
		r.str("customer", "name") != "John Doe" || r.str("customer", "status") != "onboarded" || r.str("customer", "tier") != "basic" {
		t.Fatalf("customer = %s", r.raw)
	}
	if strings.Contains(r.raw, "12345678Z") || r.str("customer", "documentNumber") != "******78Z" {
		t.Fatalf("the document number must be masked in responses: %s", r.raw)
	}
}

func TestLifecycleOverHTTP(t *testing.T) {
	a := newAPI(t, rest.Options{})
	id := onboard(t, a, juan)
	steps := []struct {
		path, body, message, status, tier string
	}{
		{"/customers/activate", `{"customerId":"` + id + `"}`, "Customer activated successfully", "active", "basic"},
		{"/customers/first-payment", `{"customerId":"` + id + `","amount":1500.50,"currency":"EUR","description":"top-up"}`, "First payment recorded successfully", "active", "basic"},
		{"/customers/promote/" + id, ``, "Customer promoted to premium", "active", "premium"},
		{"/customers/promote", `{"customerId":"` + id + `","newTier":"vip","reason":"loyal"}`, "Customer promoted to vip", "active", "vip"},
		{"/customers/deactivate", `{"customerId":"` + id + `","reason":"closed by customer"}`, "Customer deactivated successfully", "inactive", "vip"},
	}
	for _, s := range steps {
		r := call(t, a.Customers, "POST", s.path, s.body)
		if r.status != http.StatusOK || r.str("message") != s.message || r.str("customer", "status") != s.status || r.str("customer", "tier") != s.tier {
			t.Fatalf("POST %s = %d %s", s.path, r.status, r.raw)
		}
	}
	c := call(t, a.Customers, "GET", "/customers/"+id, "")
	if c.str("firstPayment", "amount") != "1500.50" || c.str("firstPayment", "amountMinor") != "150050" ||
		c.str("deactivationReason") != "closed by customer" || c.str("version") != "6" {
		t.Fatalf("customer = %s", c.raw)
	}
	h := call(t, a.Customers, "GET", "/customers/"+id+"/history", "")
	if got := len(h.body["history"].([]any)); got != 6 {
		t.Fatalf("history has %d entries: %s", got, h.raw)
	}
}

func TestListsFilterAndPage(t *testing.T) {
	a := newAPI(t, rest.Options{})
	var ids []string
	for _, e := range []string{"a", "b", "c"} {
		ids = append(ids, onboard(t, a, `{"name":"N","email":"`+e+`@example.com","phone":"+1234567890"}`))
	}
	call(t, a.Customers, "POST", "/customers/activate", `{"customerId":"`+ids[1]+`"}`)
	first := call(t, a.Customers, "GET", "/customers?limit=2", "")
	cursor := first.str("nextCursor")
	if len(first.body["customers"].([]any)) != 2 || cursor == "" {
		t.Fatalf("first page = %s", first.raw)
	}
	second := call(t, a.Customers, "GET", "/customers?limit=2&cursor="+cursor, "")
	if len(second.body["customers"].([]any)) != 1 || second.str("nextCursor") != "" {
		t.Fatalf("second page = %s", second.raw)
	}
	active := call(t, a.Customers, "GET", "/customers?status=active&tier=basic", "")
	list := active.body["customers"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != ids[1] {
		t.Fatalf("active = %s", active.raw)
	}
}

func TestBadRequestsGetAPreciseProblemAndChangeNothing(t *testing.T) {
	a := newAPI(t, rest.Options{})
	id := onboard(t, a, juan)
	call(t, a.Customers, "POST", "/customers/activate", `{"customerId":"`+id+`"}`)
	big := `{"name":"` + strings.Repeat("x", 70<<10) + `"}`
	tests := []struct {
		name        string
		h           http.Handler
		method      string // POST when empty
		path, body  string
		contentType string // application/json when empty
		encoding    string // the body's Content-Encoding, if any
		status      int
		code        string // the problem's code, when it has one
		field       string // a field the problem names, if any
	}{
		{name: "malformed JSON", h: a.Customers, path: "/customers/onboard", body: `{"name":`, status: 400, code: "request.malformed"},
		{name: "a syntax error", h: a.Customers, path: "/customers/onboard", body: `{"name" "x"}`, status: 400, code: "request.malformed"},
		{name: "an unknown field", h: a.Customers, path: "/customers/onboard", body: `{"name":"A","email":"a@example.com","phone":"+1234567890","admin":true}`, status: 400, code: "request.malformed", field: "admin"},
		{name: "a wrong type", h: a.Customers, path: "/customers/onboard", body: `{"name":"A","email":5,"phone":"+1234567890"}`, status: 400, code: "request.malformed", field: "email"},
		{name: "an array instead of an object", h: a.Customers, path: "/customers/onboard", body: `[1,2]`, status: 400, code: "request.malformed"},
		{name: "two JSON values", h: a.Customers, path: "/customers/activate", body: `{"customerId":"x"}{"customerId":"y"}`, status: 400, code: "request.malformed"},
		{name: "a member named twice", h: a.Customers, path: "/customers/onboard", body: `{"name":"A","email":"a@example.com","phone":"+1234567890","name":"B"}`, status: 400, code: "request.malformed", field: "name"},
		{name: "a member named twice in a nested object", h: a.Notifications, path: "/notifications/email", body: `{"to":"a@example.com","template":"welcome","data":{"customerName":"A","customerName":"B"}}`, status: 400, code: "request.malformed", field: "data.customerName"},
		{name: "a compressed body", h: a.Customers, path: "/customers/onboard", body: "\x1f\x8b\x08\x00", encoding: "gzip", status: 415, code: "request.content_encoding"},
		{name: "text that is not UTF-8", h: a.Customers, path: "/customers/onboard", body: "{\"name\":\"\xff\xfe\",\"email\":\"a@example.com\",\"phone\":\"+1234567890\"}", status: 400, code: "request.malformed"},
		{name: "an empty body", h: a.Customers, path: "/customers/onboard", status: 400, code: "request.body_required"},
		{name: "a body that is not JSON", h: a.Customers, path: "/customers/onboard", body: juan, contentType: "text/plain", status: 415, code: "request.content_type"},
		{name: "an oversized body", h: a.Customers, path: "/customers/onboard", body: big, status: 413, code: "request.too_large"},
		{name: "an invalid email", h: a.Customers, path: "/customers/onboard", body: `{"name":"A","email":"nope","phone":"+1234567890"}`, status: 422, code: "validation", field: "email"},
		{name: "a duplicate email", h: a.Customers, path: "/customers/onboard", body: juan, status: 409, code: "customer.email_taken"},
		{name: "a missing customer id", h: a.Customers, path: "/customers/activate", body: `{}`, status: 422, code: "validation", field: "customerId"},
		{name: "an unknown customer", h: a.Customers, path: "/customers/activate", body: `{"customerId":"1234567890"}`, status: 404, code: "customer.not_found"},
		{name: "an impossible transition", h: a.Customers, path: "/customers/activate", body: `{"customerId":"` + id + `"}`, status: 409, code: "customer.already_active"},
		{name: "a payment with too many decimals", h: a.Customers, path: "/customers/first-payment", body: `{"customerId":"` + id + `","amount":10.005,"currency":"EUR"}`, status: 422, code: "validation", field: "amount"},
		{name: "a payment in exponent form", h: a.Customers, path: "/customers/first-payment", body: `{"customerId":"` + id + `","amount":1e3,"currency":"EUR"}`, status: 422, code: "validation", field: "amount"},
		{name: "a payment amount of the wrong type", h: a.Customers, path: "/customers/first-payment", body: `{"customerId":"` + id + `","amount":true,"currency":"EUR"}`, status: 400, code: "request.malformed", field: "amount"},
		{name: "a promotion whose body contradicts its path", h: a.Customers, path: "/customers/promote/" + id, body: `{"customerId":"other"}`, status: 400, code: "request.id_mismatch", field: "customerId"},
		{name: "a promotion to an unknown tier", h: a.Customers, path: "/customers/promote/" + id, body: `{"newTier":"gold"}`, status: 422, code: "validation", field: "newTier"},
		{name: "a non-numeric page size", h: a.Customers, method: "GET", path: "/customers?limit=ten", status: 400, code: "request.malformed", field: "limit"},
		{name: "a page size over 100", h: a.Customers, method: "GET", path: "/customers?limit=1000", status: 422, code: "validation", field: "limit"},
		{name: "an unknown status filter", h: a.Customers, method: "GET", path: "/customers?status=zombie", status: 422, code: "validation", field: "status"},
		{name: "a forged cursor", h: a.Customers, method: "GET", path: "/customers?cursor=abc", status: 422, code: "validation", field: "cursor"},
		{name: "an unknown route", h: a.Customers, method: "GET", path: "/customers/x/y/z", status: 404, code: "route.not_found"},
		{name: "a wrong method", h: a.Customers, method: "DELETE", path: "/customers", status: 405, code: "route.method_not_allowed"},
		{name: "an out-of-range credit score", h: a.Profiling, path: "/profiling/promote", body: `{"customerId":"c","creditScore":900}`, status: 422, code: "validation", field: "creditScore"},
		{name: "an age given as text", h: a.Profiling, path: "/profiling/promote", body: `{"customerId":"c","age":"28"}`, status: 400, code: "request.malformed", field: "age"},
		{name: "a manual tier for a minor", h: a.Profiling, path: "/profiling/promote", body: `{"customerId":"c","age":16,"newTier":"premium"}`, status: 409, code: "profile.not_eligible"},
		{name: "an unknown profile", h: a.Profiling, method: "GET", path: "/profiling/nobody", status: 404, code: "profile.not_found"},
		{name: "template data that is an object", h: a.Notifications, path: "/notifications/email", body: `{"to":"a@example.com","template":"welcome","data":{"customerName":{"first":"A"}}}`, status: 400, code: "request.malformed", field: "data.customerName"},
		{name: "two recipients", h: a.Notifications, path: "/notifications/email", body: `{"to":"a@example.com","email":"b@example.com","template":"welcome"}`, status: 400, code: "request.ambiguous", field: "email"},
		{name: "a bad address given as email", h: a.Notifications, path: "/notifications/email", body: `{"email":"nope","template":"welcome","data":{"customerName":"A"}}`, status: 422, code: "validation", field: "email"},
		{name: "missing template data", h: a.Notifications, path: "/notifications/email", body: `{"to":"a@example.com","template":"welcome"}`, status: 422, code: "validation", field: "data.customerName"},
		{name: "an SMS without text", h: a.Notifications, path: "/notifications/sms", body: `{"to":"+1234567890"}`, status: 422, code: "validation", field: "message"},
		{name: "an SMS to a bad number given as phone", h: a.Notifications, path: "/notifications/sms", body: `{"phone":"12","message":"x"}`, status: 422, code: "validation", field: "phone"},
		{name: "an email the provider refuses", h: a.Notifications, path: "/notifications/email", body: `{"to":"a@bounce.example","subject":"s","body":"b"}`, status: 422, code: "notification.refused"},
		{name: "an unknown notification", h: a.Notifications, method: "GET", path: "/notifications/nope", status: 404},
		{name: "an unknown channel filter", h: a.Notifications, method: "GET", path: "/notifications?channel=fax", status: 422, code: "validation", field: "channel"},
		{name: "a filter given twice", h: a.Customers, method: "GET", path: "/customers?status=active&status=inactive", status: 400, code: "request.malformed", field: "status"},
		{name: "a query string that is not well encoded", h: a.Customers, method: "GET", path: "/customers?status=%zz", status: 400, code: "request.malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := call(t, a.Customers, "GET", "/customers/"+id, "").raw
			method, ct := cmp.Or(tt.method, "POST"), cmp.Or(tt.contentType, "application/json")
			req := httptest.NewRequest(method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", ct)
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, req)
			var p rest.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("not a problem: %s", rec.Body.String())
			}
			if rec.Code != tt.status || p.Status != tt.status || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d (%s), want %d problem: %s", rec.Code, rec.Header().Get("Content-Type"), tt.status, rec.Body)
			}
			if tt.code != "" && p.Code != tt.code {
				t.Fatalf("code %q, want %q: %s", p.Code, tt.code, rec.Body)
			}
			if tt.field != "" && !slices.ContainsFunc(p.Errors, func(e rest.FieldError) bool { return e.Field == tt.field }) {
				t.Fatalf("the problem does not name %q: %s", tt.field, rec.Body)
			}
			path, _, _ := strings.Cut(tt.path, "?")
			if p.Title == "" || p.Detail == "" || p.Instance != path || p.RequestID == "" || p.TraceID == "" {
				t.Fatalf("incomplete problem: %s", rec.Body)
			}
			if after := call(t, a.Customers, "GET", "/customers/"+id, "").raw; after != before {
				t.Fatalf("a refused request changed the customer:\n%s\n%s", before, after)
			}
		})
	}
	list := call(t, a.Customers, "GET", "/customers", "")
	if n := len(list.body["customers"].([]any)); n != 1 {
		t.Fatalf("refused onboardings stored customers: %d", n)
	}
}

func TestProfilingOverHTTP(t *testing.T) {
	a := newAPI(t, rest.Options{})
	r := call(t, a.Profiling, "POST", "/profiling/promote",
		`{"customerId":"customer_1234567890","age":28,"income":75000,"creditScore":720,"isFirstPayment":true}`)
	if r.status != 200 || r.str("success") != "true" || r.str("promoted") != "true" || r.str("profile", "evaluation", "score") != "75" ||
		r.str("profile", "evaluation", "recommendedTier") != "premium" || r.str("profile", "facts", "income") != "75000.00" {
		t.Fatalf("promote = %d %s", r.status, r.raw)
	}
	g := call(t, a.Profiling, "GET", "/profiling/customer_1234567890", "")
	if g.str("version") != "1" || g.str("evaluation", "segment") != "preferred" {
		t.Fatalf("profile = %s", g.raw)
	}
	d := call(t, a.Profiling, "POST", "/profiling/evaluate", `{"customerId":"customer_1234567890","creditScore":850}`)
	if d.str("dryRun") != "true" || d.str("evaluation", "score") != "90" {
		t.Fatalf("dry run = %s", d.raw)
	}
	if again := call(t, a.Profiling, "GET", "/profiling/customer_1234567890", ""); again.str("version") != "1" {
		t.Fatalf("a dry run changed the profile: %s", again.raw)
	}
	if empty := call(t, a.Profiling, "POST", "/profiling/evaluate", ""); empty.status != 200 || empty.str("evaluation", "eligible") != "false" {
		t.Fatalf("an empty dry run = %s", empty.raw)
	}
	rules := call(t, a.Profiling, "GET", "/profiling/rules", "")
	if rules.str("minAge") != "18" || rules.str("firstPaymentBonus", "discountPercent") != "60" {
		t.Fatalf("rules = %s", rules.raw)
	}
	manual := call(t, a.Profiling, "POST", "/profiling/promote", `{"customerId":"c9","age":40,"newTier":"premium","reason":"High value customer"}`)
	if manual.status != 200 || manual.str("promoted") != "true" || manual.str("profile", "evaluation", "recommendedTier") != "premium" {
		t.Fatalf("manual = %s", manual.raw)
	}
}

func TestSendingOverHTTP(t *testing.T) {
	a := newAPI(t, rest.Options{})
	first := call(t, a.Notifications, "POST", "/notifications/email",
		`{"to":"cliente@example.com","subject":"Bienvenido","template":"welcome","data":{"customerName":"Juan Pérez"}}`)
	if first.status != 201 || first.str("success") != "true" || first.str("notification", "subject") != "Bienvenido" ||
		!strings.Contains(first.str("notification", "body"), "Juan Pérez") {
		t.Fatalf("email = %d %s", first.status, first.raw)
	}
	second := call(t, a.Notifications, "POST", "/notifications/email",
		`{"customerId":"customer_1234567890","email":"john.doe@example.com","template":"welcome","data":{"customerName":"John Doe"}}`)
	if second.status != 201 || second.str("customerId") != "customer_1234567890" {
		t.Fatalf("email by customer = %d %s", second.status, second.raw)
	}
	sms := call(t, a.Notifications, "POST", "/notifications/sms", `{"to":"+1234567890","message":"Tu código de verificación: {{code}}","data":{"code":123456}}`)
	if sms.status != 201 || sms.str("notification", "body") != "Tu código de verificación: 123456" {
		t.Fatalf("sms = %d %s", sms.status, sms.raw)
	}
	byID := call(t, a.Notifications, "GET", "/notifications/"+sms.str("notificationId"), "")
	if byID.str("channel") != "sms" {
		t.Fatalf("get = %s", byID.raw)
	}
	list := call(t, a.Notifications, "GET", "/notifications?customerId=customer_1234567890", "")
	if n := len(list.body["notifications"].([]any)); n != 1 {
		t.Fatalf("list has %d", n)
	}
	tpl := call(t, a.Notifications, "GET", "/notifications/templates", "")
	if n := len(tpl.body["templates"].([]any)); n != 5 {
		t.Fatalf("templates = %d", n)
	}
}

// TestTemplateDataThatIsNullIsNotGiven: the original took any value in
// data; a null one is read as a key left out, so a client that writes
// nulls keeps working, and a placeholder that needs the key is still a 422.
func TestTemplateDataThatIsNullIsNotGiven(t *testing.T) {
	a := newAPI(t, rest.Options{})
	sent := call(t, a.Notifications, "POST", "/notifications/email",
		`{"to":"cliente@example.com","subject":"Hola","template":"welcome","data":{"customerName":"Ana","middleName":null}}`)
	if sent.status != 201 || !strings.Contains(sent.str("notification", "body"), "Ana") || strings.Contains(sent.raw, "middleName") {
		t.Fatalf("email with a null value = %d %s", sent.status, sent.raw)
	}
	adHoc := call(t, a.Notifications, "POST", "/notifications/email",
		`{"to":"cliente@example.com","subject":"Pedido","template":"order-shipped","data":{"order":"42","coupon":null}}`)
	if adHoc.status != 201 || adHoc.str("notification", "body") != "Pedido\n\norder: 42" {
		t.Fatalf("ad-hoc email with a null value = %d %s", adHoc.status, adHoc.raw)
	}
	needed := call(t, a.Notifications, "POST", "/notifications/email",
		`{"to":"cliente@example.com","template":"welcome","data":{"customerName":null}}`)
	if needed.status != 422 || !strings.Contains(needed.raw, `"field":"data.customerName"`) {
		t.Fatalf("a placeholder whose value is null = %d %s", needed.status, needed.raw)
	}
}

func TestARetriedSendWithTheSameIdempotencyKeyIsNotSentTwice(t *testing.T) {
	a := newAPI(t, rest.Options{})
	body := `{"to":"+1234567890","message":"hola"}`
	first := call(t, a.Notifications, "POST", "/notifications/sms", body, "Idempotency-Key", "order-42")
	again := call(t, a.Notifications, "POST", "/notifications/sms", body, "Idempotency-Key", "order-42")
	if first.status != 201 || again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" || again.raw != first.raw ||
		again.str("notificationId") != first.str("notificationId") {
		t.Fatalf("first %d %s / again %d %s", first.status, first.raw, again.status, again.raw)
	}
	list := call(t, a.Notifications, "GET", "/notifications", "")
	if n := len(list.body["notifications"].([]any)); n != 1 {
		t.Fatalf("%d deliveries recorded", n)
	}
	long := call(t, a.Notifications, "POST", "/notifications/sms", body, "Idempotency-Key", strings.Repeat("k", 201))
	if long.status != 400 {
		t.Fatalf("an absurd key = %d", long.status)
	}
}

func TestAnIdempotencyKeyBelongsToItsCallerAndItsRequest(t *testing.T) {
	a := newAPI(t, rest.Options{APIKeys: []string{"alice-key", "bob-key"}})
	alice, bob := []string{"X-API-Key", "alice-key", "Idempotency-Key", "k-1"}, []string{"X-API-Key", "bob-key", "Idempotency-Key", "k-1"}
	first := call(t, a.Notifications, "POST", "/notifications/sms", `{"to":"+34600111222","message":"code 4711"}`, alice...)
	if first.status != 201 {
		t.Fatalf("first = %d %s", first.status, first.raw)
	}
	theirs := call(t, a.Notifications, "POST", "/notifications/sms", `{"to":"+34600999888","message":"hi"}`, bob...)
	if theirs.status != 201 || theirs.header.Get("Idempotent-Replayed") != "" || strings.Contains(theirs.raw, "4711") {
		t.Fatalf("another caller's request with the same key = %d %s", theirs.status, theirs.raw)
	}
	reused := call(t, a.Notifications, "POST", "/notifications/sms", `{"to":"+34600999888","message":"hi"}`, alice...)
	if reused.status != 422 || reused.str("code") != "idempotency.key_reused" || strings.Contains(reused.raw, "4711") ||
		strings.Contains(reused.raw, "600111222") {
		t.Fatalf("the same key with another body = %d %s", reused.status, reused.raw)
	}
	if again := call(t, a.Notifications, "POST", "/notifications/sms", `{"to":"+34600111222","message":"code 4711"}`, alice...); again.status != 201 ||
		again.str("notificationId") != first.str("notificationId") {
		t.Fatalf("the same request again = %d %s", again.status, again.raw)
	}
}

func TestEachClientIsHeldToItsRate(t *testing.T) {
	// A stopped clock: no token comes back during the test.
	limited := rest.RateLimit{PerSecond: 1, Burst: 2}
	keyed := newAPI(t, rest.Options{APIKeys: []string{"alice-key", "bob-key"}, RateLimit: limited, Clock: stoppedClock{}})
	for i, want := range []int{200, 200, 429} {
		if r := call(t, keyed.Customers, "GET", "/customers", "", "X-API-Key", "alice-key"); r.status != want {
			t.Fatalf("alice's request %d = %d, want %d", i+1, r.status, want)
		} else if want == 429 && (r.header.Get("Retry-After") != "1" || r.str("code") != "rate.limited") {
			t.Fatalf("a refusal must say when to retry: %v %s", r.header, r.raw)
		}
	}
	if r := call(t, keyed.Customers, "GET", "/customers", "", "X-API-Key", "bob-key"); r.status != 200 {
		t.Fatalf("bob pays for alice: %d", r.status)
	}
	for i, want := range []int{401, 401, 429} {
		if r := call(t, keyed.Customers, "GET", "/customers", "", "X-API-Key", "guess-"+strconv.Itoa(i)); r.status != want {
			t.Fatalf("guess %d = %d, want %d: guessing keys must be limited by address", i+1, r.status, want)
		}
	}
	// Every path counts: the open ones too, on the address's account.
	for _, path := range []string{"/customers/health", "/healthz", "/customers/docs"} {
		if r := call(t, keyed.Customers, "GET", path, ""); r.status != 429 {
			t.Fatalf("GET %s from an address over its rate = %d, want 429", path, r.status)
		}
	}
	if r := call(t, keyed.Customers, "POST", "/customers/health", "", "Idempotency-Key", "k-1"); r.status != 429 {
		t.Fatalf("POST to an open path from an address over its rate = %d, want 429", r.status)
	}

	open := newAPI(t, rest.Options{RateLimit: limited, Clock: stoppedClock{}})
	statuses := func(remote string) []int {
		var got []int
		for range 3 {
			req := httptest.NewRequest("GET", "/customers", nil)
			req.RemoteAddr = remote
			rec := httptest.NewRecorder()
			open.Customers.ServeHTTP(rec, req)
			got = append(got, rec.Code)
		}
		return got
	}
	if got := statuses("203.0.113.9:4000"); got[2] != 429 {
		t.Fatalf("a remote client without keys: %v", got)
	}
	if got := statuses("127.0.0.1:4000"); got[2] != 200 {
		t.Fatalf("loopback in development must not be limited: %v", got)
	}
}

func TestRequestIDsAndTracesAreEchoed(t *testing.T) {
	a := newAPI(t, rest.Options{})
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	r := call(t, a.Customers, "GET", "/customers/health", "", "X-Request-ID", "req-123", "traceparent", tp)
	if r.header.Get("X-Request-ID") != "req-123" {
		t.Fatalf("request id = %q", r.header.Get("X-Request-ID"))
	}
	got := r.header.Get("traceparent")
	if !strings.HasPrefix(got, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || got == tp {
		t.Fatalf("traceparent = %q: want the caller's trace with a new span", got)
	}
	odd := call(t, a.Customers, "GET", "/customers/health", "", "X-Request-ID", "no spaces allowed!", "traceparent", "garbage")
	if id := odd.header.Get("X-Request-ID"); id == "" || strings.Contains(id, " ") || odd.header.Get("traceparent") == "" {
		t.Fatalf("a bad request id or trace must be replaced: %v", odd.header)
	}
}

func TestSecurityHeadersAndCORS(t *testing.T) {
	a := newAPI(t, rest.Options{})
	r := call(t, a.Customers, "GET", "/customers", "", "Origin", "https://backoffice.example")
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"} {
		if r.header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, r.header.Get(k), v)
		}
	}
	pre := call(t, a.Customers, "OPTIONS", "/customers/onboard", "", "Origin", "https://x.example", "Access-Control-Request-Method", "POST")
	if pre.status != 204 || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Idempotency-Key") {
		t.Fatalf("preflight = %d %v", pre.status, pre.header)
	}
	narrow := newAPI(t, rest.Options{CORSOrigins: []string{"https://ok.example"}})
	if r := call(t, narrow.Customers, "GET", "/customers", "", "Origin", "https://ok.example"); r.header.Get("Access-Control-Allow-Origin") != "https://ok.example" {
		t.Fatalf("allowed origin = %v", r.header)
	}
	if r := call(t, narrow.Customers, "GET", "/customers", "", "Origin", "https://evil.example"); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a foreign origin was allowed: %v", r.header)
	}
	none := newAPI(t, rest.Options{CORSOrigins: []string{}}) // the default
	if r := call(t, none.Customers, "OPTIONS", "/customers/onboard", "", "Origin", "https://x.example", "Access-Control-Request-Method", "POST"); r.header.Get("Access-Control-Allow-Origin") != "" || r.status == 204 {
		t.Fatalf("with no origins configured, a preflight was allowed: %d %v", r.status, r.header)
	}
}

func TestAPIKeysAreRequiredWhenConfigured(t *testing.T) {
	a := newAPI(t, rest.Options{APIKeys: []string{"s3cret", "other"}})
	tests := []struct {
		name    string
		path    string
		headers []string
		status  int
	}{
		{"no key", "/customers", nil, 401},
		{"a wrong key", "/customers", []string{"Authorization", "Bearer nope"}, 401},
		{"a prefix of a key", "/customers", []string{"X-API-Key", "s3cre"}, 401},
		{"a bearer key", "/customers", []string{"Authorization", "Bearer s3cret"}, 200},
		{"the second key in X-API-Key", "/api/v1/customers", []string{"X-API-Key", "other"}, 200},
		{"health needs no key", "/customers/health", nil, 200},
		{"liveness needs no key", "/healthz", nil, 200},
		{"the versioned health needs no key", "/api/v1/customers/health", nil, 200},
		{"a path whose decoded form ends in /health", "/customers/abc%2Fhealth", nil, 401},
		{"a path with a /health segment", "/customers/abc/health", nil, 401},
		{"another service's health", "/notifications/health", nil, 401},
	}
	for _, tt := range tests {
		r := call(t, a.Customers, "GET", tt.path, "", tt.headers...)
		if r.status != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, r.status, tt.status)
		}
		if tt.status == 401 && (r.header.Get("WWW-Authenticate") == "" || r.str("code") != "auth.required") {
			t.Errorf("%s: a 401 needs a challenge and a problem: %v %s", tt.name, r.header, r.raw)
		}
	}
}

func TestReadinessFailsOnlyOnRequiredDependencies(t *testing.T) {
	down := func(context.Context) error { return errors.New("unreachable") }
	up := func(context.Context) error { return nil }
	tests := []struct {
		name   string
		checks []rest.Check
		status int
		state  string
	}{
		{"every check passes", []rest.Check{{Name: "database", Required: true, Probe: up}, {Name: "kafka", Probe: up}}, 200, "ready"},
		{"an optional dependency is down", []rest.Check{{Name: "database", Required: true, Probe: up}, {Name: "kafka", Probe: down}}, 200, "degraded"},
		{"a required dependency is down", []rest.Check{{Name: "database", Required: true, Probe: down}, {Name: "kafka", Probe: down}}, 503, "unready"},
		{"nothing to check", nil, 200, "ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, rest.Options{Checks: tt.checks})
			r := call(t, a.Customers, "GET", "/readyz", "")
			if r.status != tt.status || r.str("status") != tt.state {
				t.Fatalf("readyz = %d %s", r.status, r.raw)
			}
			if tt.status == 503 && r.header.Get("Retry-After") == "" {
				t.Fatal("an unready answer should say when to retry")
			}
			for _, c := range tt.checks {
				if got := r.str("checks", c.Name); (got == "ok") != (c.Probe(context.Background()) == nil) {
					t.Fatalf("check %s = %q", c.Name, got)
				}
			}
		})
	}
}

func TestEachRouteNeedsItsScope(t *testing.T) {
	metricsHandler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("up 1\n")) })
	a := newAPI(t, rest.Options{Metrics: metricsHandler, APIKeys: []string{
		"reader:reader-secret:customers:read", "writer:writer-secret:customers:write+notifications:send",
		"scraper:scraper-secret:metrics", "sender:sender-secret:notifications:send", "root:root-secret"}})
	tests := []struct {
		name   string
		h      http.Handler
		method string
		path   string
		body   string
		key    string
		status int
	}{
		{"a reader lists customers", a.Customers, "GET", "/customers", "", "reader-secret", 200},
		{"a reader may not onboard", a.Customers, "POST", "/api/v1/customers/onboard", juan, "reader-secret", 403},
		{"a writer onboards", a.Customers, "POST", "/customers/onboard", juan, "writer-secret", 201},
		{"a writer may not list", a.Customers, "GET", "/api/v1/customers", "", "writer-secret", 403},
		{"a writer sends an SMS", a.Notifications, "POST", "/notifications/sms", `{"to":"+34600111222","message":"hola"}`, "writer-secret", 201},
		{"a writer may not read the notifications", a.Notifications, "GET", "/notifications", "", "writer-secret", 403},
		{"a sender may not write into a customer's history", a.Notifications, "POST", "/notifications/sms",
			`{"customerId":"c-1","phone":"+34600111222","message":"hola"}`, "sender-secret", 403},
		{"a customer writer may", a.Notifications, "POST", "/notifications/sms",
			`{"customerId":"c-1","phone":"+34600111222","message":"hola"}`, "writer-secret", 201},
		{"a reader may not promote through profiling", a.Profiling, "POST", "/profiling/promote", `{"customerId":"x","newTier":"vip"}`, "reader-secret", 403},
		{"the mailbox is for admins", a.Notifications, "GET", "/notifications/mailbox", "", "writer-secret", 403},
		{"an admin reads the mailbox", a.Notifications, "GET", "/notifications/mailbox", "", "root-secret", 200},
		{"metrics need a key", a.Customers, "GET", "/metrics", "", "", 401},
		{"metrics need their scope", a.Customers, "GET", "/metrics", "", "reader-secret", 403},
		{"a scraper reads metrics", a.Customers, "GET", "/metrics", "", "scraper-secret", 200},
	}
	for _, tt := range tests {
		var headers []string
		if tt.key != "" {
			headers = []string{"Authorization", "Bearer " + tt.key}
		}
		r := call(t, tt.h, tt.method, tt.path, tt.body, headers...)
		if r.status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.raw, tt.status)
		}
		if tt.status == 403 && (r.str("code") != "auth.scope" || !strings.Contains(r.str("detail"), " scope")) {
			t.Errorf("%s: a 403 must name the scope: %s", tt.name, r.raw)
		}
	}
}

func TestPersonalDataIsMaskedWithoutThePIIScope(t *testing.T) {
	a := newAPI(t, rest.Options{APIKeys: []string{"clerk:clerk-secret:customers:read+customers:write+notifications:send+notifications:read",
		"officer:officer-secret:customers:read+pii:read"}})
	clerk, officer := []string{"X-API-Key", "clerk-secret"}, []string{"X-API-Key", "officer-secret"}
	made := call(t, a.Customers, "POST", "/customers/onboard",
		`{"name":"Ana","email":"ana.lopez@example.com","phone":"+34600111222","birthDate":"1990-04-01"}`, clerk...)
	id := made.str("customerId")
	if made.status != 201 || strings.Contains(made.raw, "ana.lopez@") || strings.Contains(made.raw, "600111222") {
		t.Fatalf("the onboarding answer to the clerk = %d %s", made.status, made.raw)
	}
	for _, path := range []string{"/customers/" + id, "/customers"} {
		masked := call(t, a.Customers, "GET", path, "", clerk...)
		if masked.status != 200 || strings.Contains(masked.raw, "ana.lopez@") || strings.Contains(masked.raw, "600111222") ||
			strings.Contains(masked.raw, "1990-04-01") || !strings.Contains(masked.raw, "a***@example.com") {
			t.Errorf("GET %s for the clerk = %d %s", path, masked.status, masked.raw)
		}
		clear := call(t, a.Customers, "GET", path, "", officer...)
		if !strings.Contains(clear.raw, "ana.lopez@example.com") || !strings.Contains(clear.raw, "1990-04-01") {
			t.Errorf("GET %s for the officer = %d %s", path, clear.status, clear.raw)
		}
	}
	sent := call(t, a.Notifications, "POST", "/notifications/sms", `{"to":"+34600111222","message":"hola"}`, clerk...)
	if sent.status != 201 || strings.Contains(sent.raw, "600111222") {
		t.Errorf("a send's answer to the clerk = %d %s", sent.status, sent.raw)
	}
}

func TestTheAccessLogNamesTheKeyNotItsSecret(t *testing.T) {
	var logs bytes.Buffer
	a := newAPI(t, rest.Options{Log: slog.New(slog.NewJSONHandler(&logs, nil)), APIKeys: []string{"backoffice:bo-secret-123"}})
	if r := call(t, a.Customers, "GET", "/customers", "", "X-API-Key", "bo-secret-123"); r.status != 200 {
		t.Fatalf("list = %d", r.status)
	}
	if !strings.Contains(logs.String(), `"key":"backoffice"`) || strings.Contains(logs.String(), "bo-secret-123") {
		t.Fatalf("access log: %s", logs.String())
	}
}

func TestReadinessTellsWhyOnlyToAKeyHolder(t *testing.T) {
	down := func(context.Context) error { return errors.New("dial tcp 10.0.0.7:9092: connection refused") }
	a := newAPI(t, rest.Options{APIKeys: []string{"s3cret"}, Checks: []rest.Check{{Name: "kafka", Probe: down}}})
	anon := call(t, a.Customers, "GET", "/readyz", "")
	if anon.status != 200 || anon.str("status") != "degraded" || anon.str("checks", "kafka") != "failing" {
		t.Fatalf("without a key: %d %s", anon.status, anon.raw)
	}
	keyed := call(t, a.Customers, "GET", "/readyz", "", "X-API-Key", "s3cret")
	if !strings.Contains(keyed.str("checks", "kafka"), "connection refused") {
		t.Fatalf("with a key: %s", keyed.raw)
	}
	a = newAPI(t, rest.Options{APIKeys: []string{"reader:r-secret:customers:read"}, Checks: []rest.Check{{Name: "kafka", Probe: down}}})
	if r := call(t, a.Customers, "GET", "/readyz", "", "X-API-Key", "r-secret"); r.str("checks", "kafka") != "failing" {
		t.Fatalf("a key without the admin scope: %s", r.raw)
	}
}

func TestMetricsAreServedAndRequestsObserved(t *testing.T) {
	obs := &recorder{}
	metricsHandler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("up 1\n")) })
	a := newAPI(t, rest.Options{Observer: obs, Metrics: metricsHandler})
	id := onboard(t, a, juan)
	call(t, a.Customers, "GET", "/api/v1/customers/"+id, "")
	call(t, a.Customers, "INVENTED", "/customers", "")
	if r := call(t, a.Customers, "GET", "/metrics", ""); r.status != 200 || r.raw != "up 1\n" {
		t.Fatalf("metrics = %d %q", r.status, r.raw)
	}
	// An invented method is counted, under one label whatever it is.
	want := []string{"POST /customers/onboard 201", "GET /api/v1/customers/{customerId} 200", "OTHER unmatched 405", "GET /metrics 200"}
	if strings.Join(obs.seen, "|") != strings.Join(want, "|") {
		t.Fatalf("observed %v, want %v", obs.seen, want)
	}
}

type recorder struct{ seen []string }

func (r *recorder) Request(method, route string, status int, _ time.Duration) {
	r.seen = append(r.seen, method+" "+route+" "+strconv.Itoa(status))
}

// claims counts the keys an idempotency store was asked to claim.
type claims struct {
	idempotency.Store
	n atomic.Int32
}

func (c *claims) Claim(ctx context.Context, id, fingerprint string, now, stale time.Time) (idempotency.Entry, bool, error) {
	c.n.Add(1)
	return c.Store.Claim(ctx, id, fingerprint, now, stale)
}

func TestIdempotencyKeysAreKeptOnlyForMatchedRoutesTheCallerMayUse(t *testing.T) {
	s := stacktest.OpenStore(t, filepath.Join(t.TempDir(), "customer.db"), clock.UTC{}, customersql.Open)
	store := &claims{Store: s.Idempotency()}
	router := customerapi.New(customerapp.New(customerapp.Storage{Customers: s, Views: s, Inbox: s.Inbox(), Tx: s},
		clock.UTC{}, uuidv7.Generator{}, quiet), rest.Options{Log: quiet, APIKeys: []string{"writer:w-key:customers:write", "reader:r-key:customers:read"},
		Idempotency: store})
	onboard := `{"name":"Ana","email":"ana@example.com","phone":"+34600111222"}`
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
	}{
		{"a POST to an open path that serves GET only", "POST", "/customers/health", "", nil, 405},
		{"a POST to an open path under the prefix", "POST", "/api/v1/customers/health", "", nil, 405},
		{"a POST to no route", "POST", "/nowhere", onboard, []string{"X-API-Key", "w-key"}, 404},
		{"a POST without a key", "POST", "/customers/onboard", onboard, nil, 401},
		{"a POST with a key that lacks the scope", "POST", "/customers/onboard", onboard, []string{"X-API-Key", "r-key"}, 403},
		{"a POST to a customer that is not there", "POST", "/customers/activate", `{"customerId":"0190aaaa-0000-7000-8000-000000000000"}`,
			[]string{"X-API-Key", "w-key"}, 404},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := store.n.Load()
			headers := append([]string{"Idempotency-Key", "key-" + strconv.Itoa(i)}, tt.headers...)
			if r := call(t, router, tt.method, tt.path, tt.body, headers...); r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			claimed := store.n.Load() - before
			if tt.status == 404 && claimed == 1 {
				// A matched route may claim its key: the 404 answer must
				// not be kept, so the same key runs again.
				if r := call(t, router, tt.method, tt.path, tt.body, headers...); r.header.Get("Idempotent-Replayed") != "" {
					t.Fatalf("a 404 was kept for its key: %v", r.header)
				}
				return
			}
			if claimed != 0 {
				t.Fatalf("%d idempotency keys claimed", claimed)
			}
		})
	}
	if r := call(t, router, "POST", "/customers/onboard", onboard, "Idempotency-Key", "k", "X-API-Key", "w-key"); r.status != 201 ||
		store.n.Load() == 0 {
		t.Fatalf("a matched, allowed POST: %d, %d keys claimed", r.status, store.n.Load())
	}
}

func TestEvery405NamesTheMethodsTheRouteServes(t *testing.T) {
	a := newAPI(t, rest.Options{})
	for name, h := range map[string]http.Handler{"customers": a.Customers, "profiling": a.Profiling, "notifications": a.Notifications} {
		served := map[string][]string{} // path -> methods
		err := chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
			path := strings.NewReplacer("{customerId}", "x-1", "{notificationId}", "x-1").Replace(route)
			served[path] = append(served[path], method)
			return nil
		})
		if err != nil || len(served) < 5 {
			t.Fatalf("walking the %s router: %d paths, %v", name, len(served), err)
		}
		for path, methods := range served {
			r := call(t, h, "PUT", path, "")
			if r.status != http.StatusMethodNotAllowed {
				t.Errorf("PUT %s = %d, want 405", path, r.status)
				continue
			}
			// Allow lists the route's methods, and only methods the
			// path is routed for (GET /customers/onboard reaches GET
			// /customers/{customerId}).
			allow := strings.Split(r.header.Get("Allow"), ", ")
			for _, m := range methods {
				if !slices.Contains(allow, m) {
					t.Errorf("PUT %s: Allow %q lacks %s", path, r.header.Get("Allow"), m)
				}
			}
			for _, m := range allow {
				if got := call(t, h, m, path, ""); got.status == http.StatusMethodNotAllowed {
					t.Errorf("PUT %s: Allow %q names %s, which answers 405", path, r.header.Get("Allow"), m)
				}
			}
		}
	}
}

func TestHEADAnswersAsGETDoes(t *testing.T) {
	a := newAPI(t, rest.Options{})
	id := onboard(t, a, juan)
	tests := []struct {
		name string
		h    http.Handler
		path string
	}{
		{name: "the health check", h: a.Customers, path: "/customers/health"},
		{name: "the readiness check", h: a.Profiling, path: "/readyz"},
		{name: "a customer", h: a.Customers, path: "/customers/" + id},
		{name: "an unknown customer", h: a.Customers, path: "/customers/nobody"},
		{name: "a list under the versioned prefix", h: a.Notifications, path: "/api/v1/notifications"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get, head := call(t, tt.h, "GET", tt.path, ""), call(t, tt.h, "HEAD", tt.path, "")
			if head.status != get.status || head.header.Get("Content-Type") != get.header.Get("Content-Type") {
				t.Fatalf("HEAD %s = %d %q, GET = %d %q", tt.path, head.status, head.header.Get("Content-Type"), get.status, get.header.Get("Content-Type"))
			}
		})
	}
}

func TestAPathWithATrailingSlashIsThePathWithout(t *testing.T) {
	open, keyed := newAPI(t, rest.Options{}), newAPI(t, rest.Options{APIKeys: []string{"s3cret"}})
	tests := []struct {
		name         string
		h            http.Handler
		method, path string
		body         string
		status       int
	}{
		{name: "an onboarding, as the original's clients may send it", h: open.Customers, method: "POST", path: "/api/v1/customers/onboard/", body: juan, status: 201},
		{name: "a health check at the root", h: open.Profiling, method: "GET", path: "/profiling/health/", status: 200},
		{name: "a health check, open only at its exact path when keys are required", h: keyed.Notifications, method: "GET", path: "/notifications/health/", status: 401},
		{name: "a list, closed when keys are required", h: keyed.Customers, method: "GET", path: "/customers/", status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := call(t, tt.h, tt.method, tt.path, tt.body); r.status != tt.status {
				t.Fatalf("%s %s = %d, want %d: %s", tt.method, tt.path, r.status, tt.status, r.raw)
			}
		})
	}
}

func TestWhatAMessageSaysNeedsTheContentScope(t *testing.T) {
	a := newAPI(t, rest.Options{APIKeys: []string{"sender:sender-secret:notifications:send+notifications:read",
		"auditor:auditor-secret:notifications:read+notifications:content"}})
	sender, auditor := []string{"X-API-Key", "sender-secret"}, []string{"X-API-Key", "auditor-secret"}
	call(t, a.Notifications, "POST", "/notifications/sms", `{"to":"+34600111222","message":"Tu código es 481516"}`, sender...)
	sent := call(t, a.Notifications, "POST", "/notifications/email", `{"to":"ana@example.com","subject":"Código 234234","body":"Tu código es 234234"}`, sender...)
	id := sent.str("notificationId")
	for _, path := range []string{"/notifications", "/notifications/" + id} {
		metadata := call(t, a.Notifications, "GET", path, "", sender...)
		if metadata.status != 200 || strings.Contains(metadata.raw, "481516") || strings.Contains(metadata.raw, "234234") ||
			!strings.Contains(metadata.raw, `"withheld":["subject","body"]`) {
			t.Errorf("GET %s with notifications:read = %d %s", path, metadata.status, metadata.raw)
		}
		content := call(t, a.Notifications, "GET", path, "", auditor...)
		if content.status != 200 || !strings.Contains(content.raw, "Tu código es 234234") || strings.Contains(content.raw, "withheld") {
			t.Errorf("GET %s with notifications:content = %d %s", path, content.status, content.raw)
		}
	}
}
