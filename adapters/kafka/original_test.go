package kafka_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
)

// The original's services write these values (see shared/seed/original:
// customers.service.ts, profiling.service.ts, notifications.service.ts):
// JSON.stringify of their message interfaces, ids from Date.now().
const (
	originalID       = "1764263898123"
	originalCustomer = `{"id":"1764263898123","name":"Juan Pérez","email":"juan@example.com","phone":"+1234567890",` +
		`"documentType":"DNI","documentNumber":"12345678","birthDate":"1990-01-15","status":"%s",` +
		`"createdAt":"2026-11-27T17:18:18.123Z"%s}`
)

func original(status, extra string) string {
	return strings.Replace(strings.Replace(originalCustomer, "%s", status, 1), "%s", extra, 1)
}

func TestRecordsOfTheOriginalAreReadByItsInterfaces(t *testing.T) {
	ts := `"timestamp":"2026-11-27T17:20:00.000Z"`
	t.Run(event.TopicOnboarded, func(t *testing.T) {
		d := readOriginal(t, event.TopicOnboarded, `{"customerId":"`+originalID+`","customer":`+original("onboarded", "")+`,`+ts+`}`)
		e := d.(event.Onboarded)
		c := e.Customer
		if c.ID != originalID || c.Name != "Juan Pérez" || c.Email != "juan@example.com" || c.Phone != "+1234567890" ||
			c.Status != "onboarded" || c.Tier != "" || c.BirthDate != "1990-01-15" || c.Version != 0 ||
			!c.CreatedAt.Equal(time.Date(2026, 11, 27, 17, 18, 18, 123e6, time.UTC)) {
			t.Fatalf("snapshot = %+v", c)
		}
	})
	t.Run(event.TopicActivated, func(t *testing.T) {
		d := readOriginal(t, event.TopicActivated, `{"customerId":"`+originalID+`","customer":`+
			original("active", `,"activatedAt":"2026-11-27T17:19:00.000Z"`)+`,`+ts+`}`)
		e := d.(event.Activated)
		if e.Customer.Status != "active" || e.Customer.ActivatedAt == nil {
			t.Fatalf("activation = %+v", e)
		}
	})
	t.Run(event.TopicDeactivated, func(t *testing.T) {
		d := readOriginal(t, event.TopicDeactivated, `{"customerId":"`+originalID+`","customer":`+
			original("inactive", `,"deactivatedAt":"2026-11-27T17:19:00.000Z"`)+`,`+ts+`}`)
		if e := d.(event.Deactivated); e.Customer.Status != "inactive" || e.Customer.DeactivatedAt == nil {
			t.Fatalf("deactivation = %+v", e)
		}
	})
	t.Run(event.TopicPromoted, func(t *testing.T) {
		d := readOriginal(t, event.TopicPromoted, `{"customerId":"`+originalID+`","customer":`+
			original("premium", `,"promotedAt":"2026-11-27T17:19:00.000Z"`)+`,`+ts+`}`)
		e := d.(event.Promoted)
		if e.NewTier != "premium" || e.PreviousTier != "basic" || e.Customer.Tier != "premium" || e.Customer.Status != "" {
			t.Fatalf("promotion = %+v", e)
		}
	})
	t.Run(event.TopicFirstPayment, func(t *testing.T) {
		d := readOriginal(t, event.TopicFirstPayment, `{"customerId":"`+originalID+`","payment":{"customerId":"`+originalID+
			`","amount":100.5,"paymentMethod":"credit_card","description":"Primer pago del cliente","processedAt":"2026-11-27T17:19:30.000Z"},`+
			`"customer":`+original("active", `,"firstPaymentAt":"2026-11-27T17:19:30.000Z"`)+`,`+ts+`}`)
		p := d.(event.FirstPayment).Payment
		if p.Exact() != "100.5" || p.Amount != "100.5" || p.Currency != "" || p.Method != "credit_card" ||
			p.Description != "Primer pago del cliente" || !p.PaidAt.Equal(time.Date(2026, 11, 27, 17, 19, 30, 0, time.UTC)) {
			t.Fatalf("payment = %+v", p)
		}
	})
	t.Run(event.TopicProfiled, func(t *testing.T) {
		d := readOriginal(t, event.TopicProfiled, `{"customerId":"`+originalID+`","profile":{"customerId":"`+originalID+
			`","riskScore":37,"segment":"vip","recommendations":["Evaluar seguros de vida"],"createdAt":"2026-11-27T17:18:19.000Z"},`+ts+`}`)
		e := d.(event.Profiled)
		if e.Promote || e.Profile.RiskScore != 37 || e.Profile.Score != 63 || e.Profile.Segment != "vip" ||
			e.Profile.Recommendations[0] != "Evaluar seguros de vida" || e.Profile.EvaluatedAt.IsZero() || e.Trigger != "original" {
			t.Fatalf("profiled = %+v", e)
		}
	})
	t.Run(event.TopicProfiled, func(t *testing.T) {
		d := readOriginal(t, event.TopicProfiled, `{"customerId":"`+originalID+`","promotion":{"customerId":"`+originalID+
			`","newTier":"vip","reason":"High value customer","type":"tier_promotion","discount":0,"description":"Promotion to tier vip",`+
			`"validUntil":"2027-11-27T17:20:00.000Z","activatedAt":"2026-11-27T17:20:00.000Z"},`+ts+`}`)
		e := d.(event.Profiled)
		if !e.Promote || e.Profile.RecommendedTier != "vip" || e.Reason != "High value customer" ||
			e.Promotion == nil || e.Promotion.Type != "tier_promotion" || e.Promotion.NewTier != "vip" {
			t.Fatalf("a manual promotion = %+v", e)
		}
	})
	t.Run(event.TopicPromotionActivated, func(t *testing.T) {
		d := readOriginal(t, event.TopicPromotionActivated, `{"customerId":"`+originalID+`","customer":`+original("active", "")+
			`,"promotion":{"customerId":"`+originalID+`","type":"first_payment_bonus","discount":60,`+
			`"description":"Bonificación del 60% por primer pago","validUntil":"2026-12-27T17:20:00.000Z",`+
			`"activatedAt":"2026-11-27T17:20:00.000Z","paymentAmount":100},`+ts+`}`)
		p := d.(event.PromotionActivated).Promotion
		if p.Code != "FIRST_PAYMENT_BONUS" || p.DiscountPercent != 60 || p.ID == "" || p.PaymentDecimal != "100" ||
			!p.ExpiresAt.Equal(time.Date(2026, 12, 27, 17, 20, 0, 0, time.UTC)) {
			t.Fatalf("promotion = %+v", p)
		}
	})
	t.Run(event.TopicNotificationSent, func(t *testing.T) {
		d := readOriginal(t, event.TopicNotificationSent, `{"customerId":"`+originalID+`","type":"email","template":"welcome",`+
			`"recipient":"juan@example.com",`+ts+`}`)
		n := d.(event.NotificationSent)
		if n.Channel != "email" || n.Template != "welcome" || n.Recipient != "juan@example.com" || n.NotificationID == "" ||
			n.Status != "sent" {
			t.Fatalf("notification = %+v", n)
		}
	})
}

func TestTheOriginalsNumbersAreReadExactly(t *testing.T) {
	for literal, want := range map[string]string{"100": "100", "100.00": "100", "1.5005e3": "1500.5", "0.1": "0.1", "-2.50": "-2.5"} {
		value := `{"customerId":"1","customer":{"id":"1","hasFirstPayment":true},"payment":{"amount":` + literal +
			`},"timestamp":"2026-11-27T17:20:00.000Z"}`
		e, err := kafka.DecodeOriginal(event.TopicFirstPayment, []byte("1"), []byte(value))
		if err != nil {
			t.Fatal(err)
		}
		p := e.Data.(event.FirstPayment)
		if p.Payment.Exact() != want || string(p.Payment.Amount) != literal || p.Customer.FirstPaymentAt == nil || !p.Payment.PaidAt.Equal(e.Time) {
			t.Errorf("amount %s read as %+v", literal, p)
		}
	}
}

func TestTheOriginalsRecordsGetAnIDDerivedFromTheirBytes(t *testing.T) {
	value := []byte(`{"customerId":"1","type":"sms","template":"t","recipient":"+34600111222","timestamp":"2026-11-27T17:20:00.000Z"}`)
	a := kafka.OriginalID(event.TopicNotificationSent, []byte("1"), value)
	if b := kafka.OriginalID(event.TopicNotificationSent, []byte("1"), value); a != b {
		t.Fatalf("the same record got two ids: %s, %s", a, b)
	}
	for name, other := range map[string]string{
		"another topic": kafka.OriginalID(event.TopicOnboarded, []byte("1"), value),
		"another key":   kafka.OriginalID(event.TopicNotificationSent, []byte("2"), value),
		"another value": kafka.OriginalID(event.TopicNotificationSent, []byte("1"), append(value, ' ')),
		"key and value shifted": kafka.OriginalID(event.TopicNotificationSent, []byte("1{"),
			value[1:]),
	} {
		if other == a {
			t.Errorf("%s gave the same id", name)
		}
	}
}

func TestBrokenRecordsInTheOriginalsFormatArePoison(t *testing.T) {
	ts := `"timestamp":"2026-11-27T17:20:00.000Z"`
	tests := []struct {
		name, topic, value, want string
	}{
		{"not JSON", event.TopicOnboarded, `{nope`, "not the original's JSON"},
		{"an unknown topic", "customer.exploded", `{}`, "unknown event type"},
		{"no customer id", event.TopicOnboarded, `{"customer":{"id":"1","name":"a"},` + ts + `}`, "customerId is required"},
		{"a customer id that is a number", event.TopicOnboarded, `{"customerId":1,"customer":{},` + ts + `}`, "not the original's JSON"},
		{"an enormous customer id", event.TopicOnboarded, `{"customerId":"` + strings.Repeat("1", 200) + `","customer":{},` + ts + `}`, "too long"},
		{"no snapshot", event.TopicOnboarded, `{"customerId":"1",` + ts + `}`, "customer is required"},
		{"a snapshot of someone else", event.TopicActivated, `{"customerId":"1","customer":{"id":"2"},` + ts + `}`, "does not match"},
		{"no timestamp", event.TopicOnboarded, `{"customerId":"1","customer":{"id":"1"}}`, "timestamp is required"},
		{"a timestamp that is no time", event.TopicOnboarded, `{"customerId":"1","customer":{"id":"1"},"timestamp":"yesterday"}`, "ISO 8601"},
		{"a payment without amount", event.TopicFirstPayment, `{"customerId":"1","customer":{"id":"1"},"payment":{},` + ts + `}`, "payment.amount is required"},
		{"an amount in text", event.TopicFirstPayment, `{"customerId":"1","customer":{"id":"1"},"payment":{"amount":"100"},` + ts + `}`, "number is given as text"},
		{"a bonus without promotion", event.TopicPromotionActivated, `{"customerId":"1","customer":{"id":"1"},` + ts + `}`, "promotion is required"},
		{"a bonus that ends before it starts", event.TopicPromotionActivated, `{"customerId":"1","customer":{"id":"1"},"promotion":{"type":"x","discount":60,` +
			`"validUntil":"2026-01-01T00:00:00Z","activatedAt":"2026-02-01T00:00:00Z"},` + ts + `}`, "after promotion.activatedAt"},
		{"a discount over 100", event.TopicPromotionActivated, `{"customerId":"1","customer":{"id":"1"},"promotion":{"type":"x","discount":160,` +
			`"validUntil":"2026-03-01T00:00:00Z","activatedAt":"2026-02-01T00:00:00Z"},` + ts + `}`, "between 0 and 100"},
		{"a risk score that is no score", event.TopicProfiled, `{"customerId":"1","profile":{"riskScore":-5},` + ts + `}`, "riskScore"},
		{"a notification without type", event.TopicNotificationSent, `{"customerId":"1","template":"t","recipient":"a@b.co",` + ts + `}`, "type and recipient"},
		{"a notification for an enormous customer id", event.TopicNotificationSent, `{"customerId":"` + strings.Repeat("1", 200) +
			`","type":"email","recipient":"a@b.co",` + ts + `}`, "too long"},
		{"a notification that is not an object", event.TopicNotificationSent, `[]`, "not the original's JSON"},
		{"a profile that is not an object", event.TopicProfiled, `"profile"`, "not the original's JSON"},
		{"a profile without timestamp", event.TopicProfiled, `{"customerId":"1"}`, "timestamp is required"},
		{"a profile without customer", event.TopicProfiled, `{` + ts + `}`, "customerId is required"},
		{"a profile updated at no time", event.TopicProfiled, `{"customerId":"1","profile":{"lastUpdated":"later"},` + ts + `}`, "lastUpdated"},
		{"a profile created at no time", event.TopicProfiled, `{"customerId":"1","profile":{"createdAt":"later"},` + ts + `}`, "createdAt"},
		{"a tier promotion without dates", event.TopicProfiled, `{"customerId":"1","promotion":{"type":"tier_promotion"},` + ts + `}`, "activatedAt is required"},
		{"a promotion without type", event.TopicPromotionActivated, `{"customerId":"1","customer":{"id":"1"},"promotion":{"discount":60,` +
			`"validUntil":"2026-03-01T00:00:00Z","activatedAt":"2026-02-01T00:00:00Z"},` + ts + `}`, "type is required"},
		{"a promotion valid until no time", event.TopicPromotionActivated, `{"customerId":"1","customer":{"id":"1"},"promotion":{"type":"x",` +
			`"validUntil":"soon","activatedAt":"2026-02-01T00:00:00Z"},` + ts + `}`, "validUntil"},
		{"a payment amount in text", event.TopicPromotionActivated, `{"customerId":"1","customer":{"id":"1"},"promotion":{"type":"x",` +
			`"validUntil":"2026-03-01T00:00:00Z","activatedAt":"2026-02-01T00:00:00Z","paymentAmount":"5"},` + ts + `}`, "number is given as text"},
		{"a payment amount with endless decimals", event.TopicPromotionActivated, `{"customerId":"1","customer":{"id":"1"},"promotion":{"type":"x",` +
			`"validUntil":"2026-03-01T00:00:00Z","activatedAt":"2026-02-01T00:00:00Z","paymentAmount":1e-30},` + ts + `}`, "more than 18 decimals"},
		{"a payment processed at no time", event.TopicFirstPayment, `{"customerId":"1","customer":{"id":"1"},"payment":{"amount":1,` +
			`"processedAt":"now"},` + ts + `}`, "processedAt"},
		{"a snapshot activated at no time", event.TopicActivated, `{"customerId":"1","customer":{"id":"1","activatedAt":"now"},` + ts + `}`, "activatedAt"},
		{"a snapshot created at no time", event.TopicActivated, `{"customerId":"1","customer":{"id":"1","createdAt":"now"},` + ts + `}`, "createdAt"},
		{"a customer message that is not an object", event.TopicActivated, `7`, "not the original's JSON"},
		{"data after the message", event.TopicNotificationSent, `{"customerId":"1","type":"email","recipient":"a@b.co",` + ts + `}{}`, "after the JSON"},
		{"a message that names a member twice", event.TopicActivated, `{"customerId":"1","customerId":"2",` + ts + `}`, "customerId is given twice"},
		{"a message that is not UTF-8", event.TopicActivated, "{\"customerId\":\"\xff\",\"timestamp\":\"2026-11-27T17:20:00.000Z\"}", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kafka.DecodeOriginal(tt.topic, []byte("1"), []byte(tt.value))
			if fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want invalid mentioning %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeOriginalNeverPanicsAndOnlyFailsAsInvalid(f *testing.F) {
	ts := `"timestamp":"2026-11-27T17:20:00.000Z"`
	f.Add(event.TopicOnboarded, originalID, `{"customerId":"`+originalID+`","customer":`+original("onboarded", "")+`,`+ts+`}`)
	f.Add(event.TopicFirstPayment, "1", `{"customerId":"1","customer":{"id":"1"},"payment":{"amount":1e400},`+ts+`}`)
	f.Add(event.TopicProfiled, "1", `{"customerId":"1","profile":{"riskScore":1e400},"promotion":{"discount":-0},`+ts+`}`)
	f.Add(event.TopicPromotionActivated, "1", `{"customerId":"1","customer":{"id":"1"},"promotion":{"type":"x","discount":60,`+
		`"validUntil":"2026-03-01T00:00:00Z","activatedAt":"2026-02-01T00:00:00Z","paymentAmount":12.5},`+ts+`}`)
	f.Add(event.TopicNotificationSent, "", `{"customerId":"","type":"sms","recipient":"x",`+ts+`}`)
	f.Fuzz(func(t *testing.T, topic, key, value string) {
		e, err := kafka.DecodeOriginal(topic, []byte(key), []byte(value))
		if err != nil {
			if fault.KindOf(err) != fault.Invalid {
				t.Fatalf("DecodeOriginal(%q, %q) failed as %v: %v", topic, value, fault.KindOf(err), err)
			}
			return
		}
		if !e.Original() || e.ID == "" || e.Subject != e.Data.Key() {
			t.Fatalf("decoded %+v", e.Metadata)
		}
	})
}

// readOriginal decodes a record the original wrote on topic, keyed by
// originalID, and checks the metadata every such record gets.
func readOriginal(t *testing.T, topic, value string) event.Data {
	t.Helper()
	e, err := kafka.DecodeOriginal(topic, []byte(originalID), []byte(value))
	if err != nil {
		t.Fatal(err)
	}
	if !e.Original() || e.Version != 0 || e.Source != "original" || e.Subject != originalID || e.Type != topic ||
		!e.Time.Equal(time.Date(2026, 11, 27, 17, 20, 0, 0, time.UTC)) {
		t.Fatalf("metadata = %+v", e.Metadata)
	}
	if e.ID != kafka.OriginalID(topic, []byte(originalID), []byte(value)) {
		t.Fatalf("id %s is not the derived one", e.ID)
	}
	return e.Data
}
