package event_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/event"
)

func TestPreviousSchemaVersionsStillDecode(t *testing.T) {
	env := `"customerId":"c1","customer":{"id":"c1","name":"A","email":"a@b.co","phone":"+34600111222","language":"es",` +
		`"status":"active","tier":"basic","createdAt":"2026-03-01T10:00:00Z","version":3},"timestamp":"2026-03-01T10:00:00Z"`
	t.Run(event.TopicFirstPayment, func(t *testing.T) {
		d := readVersion1(t, event.TopicFirstPayment, `{`+env+`,"payment":{"amount":"1500.50","amountMinor":150050,"currency":"EUR",`+
			`"paymentMethod":"credit_card","paidAt":"2026-03-01T10:00:00Z"}}`)
		if p := d.(event.FirstPayment).Payment; p.Exact() != "1500.50" || p.AmountMinor != 150050 || p.PaidAt.IsZero() {
			t.Fatalf("payment = %+v", p)
		}
	})
	t.Run(event.TopicProfiled, func(t *testing.T) {
		d := readVersion1(t, event.TopicProfiled, `{"customerId":"c1","promote":true,"timestamp":"2026-03-01T10:00:00Z","trigger":"api",`+
			`"profile":{"score":80,"recommendedTier":"vip","recommendations":[{"code":"upgrade-tier","message":"Upgrade"}]}}`)
		p := d.(event.Profiled).Profile
		if p.RecommendedTier != "vip" || p.Recommendations[0] != "Upgrade" || p.Advice[0].Code != "upgrade-tier" {
			t.Fatalf("profile = %+v", p)
		}
	})
	t.Run(event.TopicPromotionActivated, func(t *testing.T) {
		d := readVersion1(t, event.TopicPromotionActivated, `{`+env+`,"promotion":{"id":"p1","code":"FIRST_PAYMENT_BONUS","discountPercent":60,`+
			`"activatedAt":"2026-03-01T10:00:00Z","expiresAt":"2026-03-31T10:00:00Z"}}`)
		if p := d.(event.PromotionActivated).Promotion; p.DiscountPercent != 60 || p.ExpiresAt.IsZero() {
			t.Fatalf("promotion = %+v", p)
		}
	})
	t.Run(event.TopicNotificationSent, func(t *testing.T) {
		d := readVersion1(t, event.TopicNotificationSent, `{"notificationId":"n1","customerId":"c1","channel":"sms","recipient":"+34600111222",`+
			`"status":"sent","timestamp":"2026-03-01T10:00:00Z"}`)
		if n := d.(event.NotificationSent); n.Channel != "sms" {
			t.Fatalf("notification = %+v", n)
		}
	})
}

// TestPayloadsCarryWhatTheOriginalsConsumersRead decodes our payloads as
// JSON and checks every field the original's services read, with its JSON
// type (their interfaces in shared/seed/original/*/interfaces).
func TestPayloadsCarryWhatTheOriginalsConsumersRead(t *testing.T) {
	type field struct {
		path string
		kind string // string, number, array of strings, time
	}
	want := map[string][]field{
		event.TopicFirstPayment: {{"customerId", "string"}, {"timestamp", "time"}, {"customer.id", "string"}, {"customer.name", "string"},
			{"customer.email", "string"}, {"payment.customerId", "string"}, {"payment.amount", "number"},
			{"payment.paymentMethod", "string"}, {"payment.description", "string"}, {"payment.processedAt", "time"}},
		event.TopicProfiled: {{"customerId", "string"}, {"timestamp", "time"}, {"profile.customerId", "string"},
			{"profile.riskScore", "number"}, {"profile.segment", "string"}, {"profile.recommendations", "array of strings"},
			{"profile.lastUpdated", "time"}, {"promotion.customerId", "string"}, {"promotion.type", "string"},
			{"promotion.discount", "number"}, {"promotion.description", "string"}, {"promotion.validUntil", "time"},
			{"promotion.activatedAt", "time"}, {"promotion.newTier", "string"}, {"promotion.reason", "string"}},
		event.TopicPromotionActivated: {{"customerId", "string"}, {"timestamp", "time"}, {"customer.id", "string"},
			{"customer.name", "string"}, {"customer.email", "string"}, {"promotion.customerId", "string"},
			{"promotion.type", "string"}, {"promotion.discount", "number"}, {"promotion.description", "string"},
			{"promotion.validUntil", "time"}, {"promotion.activatedAt", "time"}, {"promotion.paymentAmount", "number"}},
		event.TopicNotificationSent: {{"customerId", "string"}, {"type", "string"}, {"template", "string"},
			{"recipient", "string"}, {"timestamp", "time"}},
	}
	for _, d := range samples() {
		fields, ok := want[d.Topic()]
		if !ok {
			continue
		}
		t.Run(d.Topic(), func(t *testing.T) {
			if d.Topic() == event.TopicNotificationSent {
				n := d.(event.NotificationSent)
				n.Template = "welcome"
				d = n
			}
			m, err := event.Encode(factory().New(context.Background(), at, d)[0])
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(m.Payload, &doc); err != nil {
				t.Fatal(err)
			}
			for _, f := range fields {
				v := lookup(doc, f.path)
				if !isKind(v, f.kind) {
					t.Errorf("%s is %#v, want %s: %s", f.path, v, f.kind, m.Payload)
				}
			}
		})
	}
}

func lookup(doc map[string]any, path string) any {
	var v any = doc
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func isKind(v any, kind string) bool {
	switch kind {
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "time":
		s, ok := v.(string)
		_, err := time.Parse(time.RFC3339Nano, s)
		return ok && err == nil
	case "array of strings":
		items, ok := v.([]any)
		for _, it := range items {
			if _, isText := it.(string); !isText {
				return false
			}
		}
		return ok
	}
	return false
}

// readVersion1 decodes a payload of schema version 1 of a topic that is at
// version 2 now.
func readVersion1(t *testing.T, topic, payload string) event.Data {
	t.Helper()
	if event.SchemaVersion(topic) != 2 {
		t.Fatalf("%s is at version %d; this test reads its version 1", topic, event.SchemaVersion(topic))
	}
	e, err := event.Decode(event.Message{Metadata: event.Metadata{ID: "e1", Type: topic, Version: 1}, Payload: []byte(payload)})
	if err != nil {
		t.Fatal(err)
	}
	return e.Data
}
