package e2e

// Mixed-fleet tests: each of our services stands in for the original's
// (shared/seed/original), with the original's neighbours simulated on the
// wire. Records are written byte for byte as the original's Kafka module
// writes them (kafkajs: JSON.stringify of the message, key = customerId, no
// headers), and what we publish is read as the original's consumers read
// it: into Go mirrors of their message interfaces, every field they read
// present and of the JSON type they expect.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/stack"
	"github.com/fintechlabs/customers/core/event"
)

// Mirrors of the original's message interfaces (*/interfaces/message.interface.ts),
// with the JSON types the original's consumers expect.
type (
	originalCustomer struct {
		ID             string  `json:"id"`
		Name           string  `json:"name"`
		Email          string  `json:"email"`
		Status         *string `json:"status,omitempty"`
		ActivatedAt    *string `json:"activatedAt,omitempty"`
		DeactivatedAt  *string `json:"deactivatedAt,omitempty"`
		FirstPaymentAt *string `json:"firstPaymentAt,omitempty"`
		PromotedAt     *string `json:"promotedAt,omitempty"`
		CreatedAt      *string `json:"createdAt,omitempty"`
	}
	originalCustomerMessage struct { // onboarded, activated, deactivated, promoted
		CustomerID string           `json:"customerId"`
		Customer   originalCustomer `json:"customer"`
		Timestamp  string           `json:"timestamp"`
	}
	originalPayment struct {
		CustomerID    string  `json:"customerId"`
		Amount        float64 `json:"amount"`
		PaymentMethod string  `json:"paymentMethod"`
		Description   string  `json:"description"`
		ProcessedAt   string  `json:"processedAt"`
	}
	originalFirstPaymentMessage struct {
		CustomerID string           `json:"customerId"`
		Payment    originalPayment  `json:"payment"`
		Customer   originalCustomer `json:"customer"`
		Timestamp  string           `json:"timestamp"`
	}
	originalPromotion struct {
		CustomerID    string   `json:"customerId"`
		Type          string   `json:"type"`
		Discount      float64  `json:"discount"`
		Description   string   `json:"description"`
		ValidUntil    string   `json:"validUntil"`
		ActivatedAt   string   `json:"activatedAt"`
		PaymentAmount *float64 `json:"paymentAmount,omitempty"`
		NewTier       *string  `json:"newTier,omitempty"`
		Reason        *string  `json:"reason,omitempty"`
	}
	originalPromotionActivatedMessage struct {
		CustomerID string            `json:"customerId"`
		Customer   originalCustomer  `json:"customer"`
		Promotion  originalPromotion `json:"promotion"`
		Timestamp  string            `json:"timestamp"`
	}
	originalProfile struct {
		CustomerID      string   `json:"customerId"`
		RiskScore       float64  `json:"riskScore"`
		Segment         string   `json:"segment"`
		Recommendations []string `json:"recommendations"`
		CreatedAt       *string  `json:"createdAt,omitempty"`
		LastUpdated     *string  `json:"lastUpdated,omitempty"`
	}
	originalProfiledMessage struct {
		CustomerID string             `json:"customerId"`
		Profile    *originalProfile   `json:"profile,omitempty"`
		Promotion  *originalPromotion `json:"promotion,omitempty"`
		Timestamp  string             `json:"timestamp"`
	}
	originalNotificationSentMessage struct {
		CustomerID string `json:"customerId"`
		Type       string `json:"type"`
		Template   string `json:"template"`
		Recipient  string `json:"recipient"`
		Timestamp  string `json:"timestamp"`
	}
)

// jsISO is JavaScript's Date.prototype.toISOString.
func jsISO(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

var lastDateNow int64

// dateNow is a fresh id as the original's customer service makes them.
func dateNow() string {
	n := time.Now().UnixMilli()
	if n <= lastDateNow {
		n = lastDateNow + 1
	}
	lastDateNow = n
	return strconv.FormatInt(n, 10)
}

// emitOriginal writes message on topic as the original's KafkaService.emit
// does: JSON value, key = customerId, no headers. It returns the value.
func emitOriginal(t *testing.T, eventType, customerID string, message any) kafkago.Message {
	t.Helper()
	value, err := json.Marshal(message)
	if err != nil {
		t.Fatal(err)
	}
	r := kafkago.Message{Topic: topic(eventType), Key: []byte(customerID), Value: value}
	kafkatest.WriteRecords(t, brokers(), r)
	return r
}

// published reads the first record we published on eventType for key and
// decodes it into the original's interface dst, after checking that every
// field in fields is present (absent fields would decode as zero values).
func published(t *testing.T, eventType, key string, dst any, fields ...string) {
	t.Helper()
	rec := kafkatest.ReadRecords(t, brokers(), topic(eventType), 1, func(m kafkago.Message) bool { return string(m.Key) == key })[0]
	var doc map[string]any
	if err := json.Unmarshal(rec.Value, &doc); err != nil {
		t.Fatalf("%s is not a JSON object: %s", eventType, rec.Value)
	}
	for _, f := range fields {
		var v any = doc
		for _, p := range strings.Split(f, ".") {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		if v == nil {
			t.Errorf("%s lacks %s, which the original reads: %s", eventType, f, rec.Value)
		}
	}
	// The original's consumers JSON.parse the value and use the fields
	// with these types; a type mismatch fails here.
	if err := json.NewDecoder(bytes.NewReader(rec.Value)).Decode(dst); err != nil {
		t.Fatalf("%s does not fit the original's interface: %v\n%s", eventType, err, rec.Value)
	}
}

// isoTime fails unless s is an ISO 8601 time.
func isoTime(t *testing.T, field, s string) {
	t.Helper()
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		t.Errorf("%s = %q is not an ISO 8601 time", field, s)
	}
}

// TestTheOriginalsClientReplaysItsRequestsInLifecycleOrder sends the
// original's API client's requests, bodies as its DTOs accepted them, in
// lifecycle order, and follows the flows behind them to the customer's
// notification history.
func TestTheOriginalsClientReplaysItsRequestsInLifecycleOrder(t *testing.T) {
	email := newEmail(t)
	steps := []struct {
		name, method, path, body string
		status                   int
	}{
		{"onboard", "POST", customers() + "/api/v1/customers/onboard", `{"name":"Juan Pérez","email":"` + email +
			`","phone":"+1234567890","documentType":"DNI","documentNumber":"12345678","birthDate":"1990-01-15"}`, 201},
		{"health", "GET", customers() + "/api/v1/customers/health", "", 200},
		{"activate", "POST", customers() + "/api/v1/customers/activate", `{"customerId":"ID","activationReason":"Verificación completada"}`, 200},
		{"get", "GET", customers() + "/api/v1/customers/ID", "", 200},
		{"list", "GET", customers() + "/api/v1/customers", "", 200},
		{"profile and promote", "POST", profiling() + "/api/v1/profiling/promote", `{"customerId":"ID","age":28,"income":30000,` +
			`"creditScore":650,"isFirstPayment":false,"newTier":"premium","reason":"Cliente de alto valor"}`, 200},
		{"first payment", "POST", customers() + "/api/v1/customers/first-payment", `{"customerId":"ID","amount":100.00,` +
			`"paymentMethod":"credit_card","description":"Primer pago"}`, 200},
		{"promote", "POST", customers() + "/api/v1/customers/promote", `{"customerId":"ID"}`, 200},
		{"email", "POST", notifications() + "/api/v1/notifications/email", `{"customerId":"ID","to":"` + email +
			`","subject":"¡Bienvenido {{customerName}}!","template":"welcome-template","data":{"customerName":"Juan Pérez","plan":"premium"}}`, 201},
		{"sms", "POST", notifications() + "/api/v1/notifications/sms", `{"customerId":"ID","to":"+1234567890",` +
			`"message":"Tu código de verificación es: {{code}}","template":"verification-sms","data":{"code":"123456"}}`, 201},
		{"deactivate", "POST", customers() + "/api/v1/customers/deactivate", `{"customerId":"ID","deactivationReason":"Solicitud del cliente"}`, 200},
		{"profiling health", "GET", profiling() + "/api/v1/profiling/health", "", 200},
		{"notifications health", "GET", notifications() + "/api/v1/notifications/health", "", 200},
	}
	var id string
	for _, s := range steps {
		if s.name == "promote" {
			// The operator's promotion through profiling first, so this one
			// goes on to vip. (The stated facts score too low for the rules
			// to recommend vip after the first payment.)
			tierOf(t, id, "premium")
		}
		r := do(t, s.method, strings.ReplaceAll(s.path, "ID", id), strings.ReplaceAll(s.body, "ID", id))
		if r.Status != s.status {
			t.Fatalf("%s: status %d, want %d: %s", s.name, r.Status, s.status, r.Raw)
		}
		if s.method == "POST" && r.get("success") != true {
			t.Fatalf("%s: no success flag: %s", s.name, r.Raw)
		}
		switch s.name {
		case "onboard":
			id = r.str("customerId")
		case "first payment":
			// The original answered the payment with a numeric amount; we
			// also say which currency was assumed.
			if r.get("payment", "amount") != 100.0 || r.str("payment", "currency") != "EUR" || r.str("payment", "amountDecimal") != "100.00" ||
				r.str("payment", "paymentMethod") != "credit_card" || r.str("payment", "description") != "Primer pago" {
				t.Fatalf("payment = %s", r.Raw)
			}
		case "email", "sms":
			if r.str("messageId") == "" || r.str("recipient") == "" {
				t.Fatalf("%s: the original's messageId and recipient are missing: %s", s.name, r.Raw)
			}
		}
	}
	ns := notificationsOf(t, id, "welcome@email", "account-activated@email", "account-activated@sms", "promotion@email",
		"first-payment-bonus@email", "welcome-template@email", "verification-sms@sms", "account-deactivated@email")
	for _, n := range ns {
		if n["template"] == "welcome-template" && n["subject"] != "¡Bienvenido Juan Pérez!" {
			t.Fatalf("the labelled email = %v", n)
		}
	}
	c := do(t, "GET", customers()+"/customers/"+id, "")
	if c.str("tier") != "vip" || c.str("status") != "inactive" || c.str("deactivationReason") != "Solicitud del cliente" {
		t.Fatalf("customer = %s", c.Raw)
	}
	h := do(t, "GET", customers()+"/customers/"+id+"/history", "")
	if got := h.list("history")[1]["reason"]; got != "Verificación completada" {
		t.Fatalf("the activation reason was not kept: %v", got)
	}
	sms := do(t, "GET", notifications()+"/notifications?customerId="+id+"&channel=sms", "")
	found := false
	for _, d := range sms.list("notifications") {
		found = found || (d["template"] == "verification-sms" && d["body"] == "Tu código de verificación es: 123456")
	}
	if !found {
		t.Fatalf("the labelled SMS was not sent as written: %s", sms.Raw)
	}
}

// TestProfilingAndNotificationsStandInForTheOriginals: the original's
// customer service writes the lifecycle of one of its customers (id from
// Date.now()); our profiling and notifications handle it, and what they
// publish is what the original's consumers read.
func TestProfilingAndNotificationsStandInForTheOriginals(t *testing.T) {
	id := dateNow()
	email := newEmail(t)
	created := time.Now().Add(-time.Minute)
	status := func(s string) *string { return &s }
	at := func(d time.Duration) *string { s := jsISO(created.Add(d)); return &s }
	customer := originalCustomer{ID: id, Name: "Lucía Gómez", Email: email, Status: status("onboarded"), CreatedAt: at(0)}
	// The original's customer snapshot also has the onboarding DTO's
	// fields (customers.service.ts: {id, ...dto, status, createdAt}).
	full := func(c originalCustomer) map[string]any {
		m := map[string]any{"id": c.ID, "name": c.Name, "email": c.Email, "phone": "+34600111222",
			"documentType": "DNI", "documentNumber": "12345678Z", "status": *c.Status, "createdAt": *c.CreatedAt}
		if c.ActivatedAt != nil {
			m["activatedAt"] = *c.ActivatedAt
		}
		if c.FirstPaymentAt != nil {
			m["firstPaymentAt"] = *c.FirstPaymentAt
		}
		return m
	}
	onboarded := emitOriginal(t, "customer.onboarded", id, map[string]any{
		"customerId": id, "customer": full(customer), "timestamp": jsISO(created)})

	welcome := func() []map[string]any {
		return do(t, "GET", notifications()+"/notifications?customerId="+id, "").list("notifications")
	}
	eventually(t, "the welcome email", func() (bool, string) {
		ns := welcome()
		return len(ns) == 1 && ns[0]["template"] == "welcome" && ns[0]["recipient"] == email, fmt.Sprint(ns)
	})
	var sent originalNotificationSentMessage
	published(t, "notification.sent", id, &sent, "customerId", "type", "template", "recipient", "timestamp")
	if sent.CustomerID != id || sent.Type != "email" || sent.Template != "welcome" || sent.Recipient != email {
		t.Fatalf("notification.sent as the original reads it = %+v", sent)
	}
	isoTime(t, "timestamp", sent.Timestamp)

	// A copy of the same record (a redelivery, or a kafkajs retry at
	// another offset) gets the same event id: no second welcome.
	before := handled(t, notifications(), "customer.onboarded")
	kafkatest.WriteRecords(t, brokers(), onboarded)
	eventually(t, "the copy to be taken", func() (bool, string) {
		n := handled(t, notifications(), "customer.onboarded")
		return n > before, fmt.Sprint(before, " -> ", n)
	})
	if ns := welcome(); len(ns) != 1 {
		t.Fatalf("the copy was welcomed again: %v", ns)
	}

	customer.Status, customer.ActivatedAt = status("active"), at(time.Second)
	emitOriginal(t, "customer.activated", id, map[string]any{"customerId": id, "customer": full(customer), "timestamp": *customer.ActivatedAt})
	customer.FirstPaymentAt = at(2 * time.Second)
	emitOriginal(t, "customer.firstPayment", id, map[string]any{"customerId": id,
		"payment": map[string]any{"customerId": id, "amount": 100.5, "paymentMethod": "credit_card",
			"description": "Primer pago del cliente", "processedAt": *customer.FirstPaymentAt},
		"customer": full(customer), "timestamp": *customer.FirstPaymentAt})

	eventually(t, "activation and bonus messages", func() (bool, string) {
		have := map[string]bool{}
		for _, n := range welcome() {
			have[fmt.Sprint(n["template"], "@", n["channel"])] = true
		}
		return have["account-activated@email"] && have["account-activated@sms"] && have["first-payment-bonus@email"], fmt.Sprint(have)
	})
	p := do(t, "GET", profiling()+"/profiling/"+id, "").want(t, http.StatusOK)
	if p.str("facts", "status") != "active" || p.get("facts", "isFirstPayment") != true ||
		len(p.list("promotions")) != 1 || p.list("promotions")[0]["code"] != "FIRST_PAYMENT_BONUS" {
		t.Fatalf("profile = %s", p.Raw)
	}

	var bonus originalPromotionActivatedMessage
	published(t, "customer.promotion.activated", id, &bonus, "customerId", "timestamp", "customer.id", "customer.name",
		"customer.email", "promotion.type", "promotion.discount", "promotion.description", "promotion.validUntil",
		"promotion.activatedAt", "promotion.paymentAmount")
	pr := bonus.Promotion
	if bonus.CustomerID != id || bonus.Customer.Email != email || pr.Type != "first_payment_bonus" || pr.Discount != 60 ||
		pr.PaymentAmount == nil || *pr.PaymentAmount != 100.5 || pr.CustomerID != id {
		t.Fatalf("customer.promotion.activated as the original reads it = %+v", bonus)
	}
	isoTime(t, "promotion.validUntil", pr.ValidUntil)
	isoTime(t, "promotion.activatedAt", pr.ActivatedAt)

	var profiled originalProfiledMessage
	published(t, "customer.profiled", id, &profiled, "customerId", "timestamp", "profile.customerId", "profile.riskScore",
		"profile.segment", "profile.recommendations")
	if profiled.Profile == nil || profiled.Profile.CustomerID != id || profiled.Profile.RiskScore < 0 || profiled.Profile.RiskScore > 100 {
		t.Fatalf("customer.profiled as the original reads it = %+v", profiled)
	}
}

// TestTheCustomerServiceStandsInForTheOriginal: the original's profiling and
// notifications write to our customer service, and the original's profiling
// and notifications can read what it publishes.
func TestTheCustomerServiceStandsInForTheOriginal(t *testing.T) {
	id := onboard(t, "")
	post(t, customers()+"/customers/activate", `{"customerId":"`+id+`"}`)
	var c reply
	eventually(t, "the customer to be active", func() (bool, string) {
		c = do(t, "GET", customers()+"/customers/"+id, "")
		return c.str("status") == "active", c.Raw
	})
	now := time.Now()

	// The original's notifications service reports an SMS it sent.
	emitOriginal(t, "notification.sent", id, originalNotificationSentMessage{
		CustomerID: id, Type: "sms", Template: "verification-sms", Recipient: "+34600111222", Timestamp: jsISO(now)})
	notificationsOf(t, id, "verification-sms@sms")

	// The original's profiling service asks for a manual promotion
	// (profiling.service.ts promoteCustomer).
	tier, reason := "vip", "Cliente de alto valor"
	emitOriginal(t, "customer.profiled", id, originalProfiledMessage{CustomerID: id, Timestamp: jsISO(now),
		Promotion: &originalPromotion{CustomerID: id, NewTier: &tier, Reason: &reason, Type: "tier_promotion", Discount: 0,
			Description: "Promotion to tier vip", ValidUntil: jsISO(now.AddDate(1, 0, 0)), ActivatedAt: jsISO(now)}})
	tierOf(t, id, "vip")

	// What the original's consumers read of our events.
	var promoted originalCustomerMessage
	published(t, "customer.promoted", id, &promoted, "customerId", "timestamp", "customer.id", "customer.name", "customer.email", "customer.status")
	if promoted.CustomerID != id || promoted.Customer.ID != id || promoted.Customer.Name != "Ana López" {
		t.Fatalf("customer.promoted as the original reads it = %+v", promoted)
	}
	// Its notifications service announces customer.status as the new
	// status (its customer service wrote the tier there).
	if promoted.Customer.Status == nil || *promoted.Customer.Status != "vip" {
		t.Fatalf("customer.promoted's customer.status = %v, want the new tier vip, as the original's promotion email reads it", promoted.Customer.Status)
	}
	isoTime(t, "timestamp", promoted.Timestamp)
	var activated originalCustomerMessage
	published(t, "customer.activated", id, &activated, "customerId", "timestamp", "customer.id", "customer.name",
		"customer.email", "customer.activatedAt")
	post(t, customers()+"/customers/first-payment", `{"customerId":"`+id+`","amount":1500.5}`)
	var paid originalFirstPaymentMessage
	published(t, "customer.firstPayment", id, &paid, "customerId", "timestamp", "customer.id", "customer.name", "customer.email",
		"payment.customerId", "payment.amount", "payment.paymentMethod", "payment.description", "payment.processedAt")
	if paid.Payment.Amount != 1500.5 || paid.Payment.CustomerID != id || paid.Payment.PaymentMethod != "credit_card" {
		t.Fatalf("customer.firstPayment as the original reads it = %+v", paid)
	}
	isoTime(t, "payment.processedAt", paid.Payment.ProcessedAt)
}

// TestAnUnversionedSnapshotNeverOverwritesAVersionedOne: a record of the
// original's about one of our customers carries no snapshot version, so it
// cannot undo what profiling learnt from our versioned events.
func TestAnUnversionedSnapshotNeverOverwritesAVersionedOne(t *testing.T) {
	id := onboard(t, "")
	post(t, customers()+"/customers/activate", `{"customerId":"`+id+`"}`)
	eventually(t, "profiling to see the activation", func() (bool, string) {
		p := do(t, "GET", profiling()+"/profiling/"+id, "")
		return p.str("facts", "status") == "active", p.Raw
	})
	before := do(t, "GET", profiling()+"/profiling/"+id, "")
	stale := "onboarded"
	old := time.Now().Add(-time.Hour)
	created := jsISO(old)
	emitOriginal(t, "customer.onboarded", id, originalCustomerMessage{CustomerID: id, Timestamp: jsISO(old),
		Customer: originalCustomer{ID: id, Name: "Ana López", Email: "stale@example.com", Status: &stale, CreatedAt: &created}})
	eventually(t, "profiling to handle the original's record", func() (bool, string) {
		p := do(t, "GET", profiling()+"/profiling/"+id, "")
		return p.get("version") != before.get("version"), p.Raw
	})
	p := do(t, "GET", profiling()+"/profiling/"+id, "")
	if p.str("facts", "status") != "active" || p.get("customer", "version") != before.get("customer", "version") {
		t.Fatalf("the unversioned snapshot overwrote the versioned one:\nbefore %s\nafter  %s", before.Raw, p.Raw)
	}
}

func TestAnyOneOfOurServicesStartedAloneLeavesEveryTopicInPlace(t *testing.T) {
	for _, kind := range config.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			prefix := kafkatest.Name("alone") + "."
			cfg, err := config.Load(kind, config.MapEnv(map[string]string{"KAFKA_BROKERS": sys.Brokers(), "KAFKA_TOPIC_PREFIX": prefix,
				"DATA_DIR": t.TempDir(), "HTTP_ADDR": "127.0.0.1:0"}), false)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			svc, err := stack.Wiring[kind].Wire(ctx, cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = svc.Shutdown(ctx) }()
			conn, err := kafkago.DialContext(ctx, "tcp", sys.Brokers())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			partitions, err := conn.ReadPartitions()
			if err != nil {
				t.Fatal(err)
			}
			there := map[string]bool{}
			for _, p := range partitions {
				there[p.Topic] = true
			}
			for _, topic := range event.Topics() {
				if !there[prefix+topic] {
					t.Errorf("%s started alone left %s missing (the original's consumers crash on it)", kind, topic)
				}
			}
		})
	}
}
