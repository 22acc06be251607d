package event_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
)

var at = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func snapshot() event.Customer {
	return event.Customer{
		ID: "c1", Name: "Juan Pérez", Email: "juan@example.com", Phone: "+1234567890",
		Language: "es", Status: "active", Tier: "premium", CreatedAt: at, Version: 3,
	}
}

func envelope() event.Envelope {
	return event.Envelope{CustomerID: "c1", Customer: snapshot(), Timestamp: at}
}

// samples holds one valid payload per topic.
func samples() []event.Data {
	return []event.Data{
		event.Registered{Envelope: envelope()},
		event.Onboarded{Envelope: envelope()},
		event.Activated{Envelope: envelope(), PreviousStatus: "onboarded"},
		event.Deactivated{Envelope: envelope(), PreviousStatus: "active", Reason: "fraud review"},
		event.FirstPayment{Envelope: envelope(), Payment: event.Payment{CustomerID: "c1", Amount: "1500.50", AmountDecimal: "1500.50",
			AmountMinor: 150050, Currency: "EUR", Method: "credit_card", Description: "", ProcessedAt: at, PaidAt: at}},
		event.Promoted{Envelope: envelope(), PreviousTier: "basic", NewTier: "premium", Reason: "r", Source: "manual"},
		event.Profiled{CustomerID: "c1", Timestamp: at, Trigger: "api", Promote: true,
			Profile: event.Profile{CustomerID: "c1", Eligible: true, Score: 75, RiskScore: 25, RecommendedTier: "premium",
				Recommendations: []string{"Offer premium"}, Advice: []event.Advice{{Code: "upgrade-tier", Message: "Offer premium"}},
				EvaluatedAt: at, LastUpdated: at},
			Promotion: &event.Promotion{ID: "p0", Code: "TIER_PROMOTION", ActivatedAt: at, ExpiresAt: at.AddDate(1, 0, 0),
				CustomerID: "c1", Type: "tier_promotion", Description: "Promotion to tier premium", ValidUntil: at.AddDate(1, 0, 0),
				NewTier: "premium", Reason: "High value customer"}},
		event.PromotionActivated{Envelope: envelope(), Promotion: event.Promotion{
			ID: "p1", Code: "FIRST_PAYMENT_BONUS", DiscountPercent: 60, ActivatedAt: at, ExpiresAt: at.Add(time.Hour),
			CustomerID: "c1", Type: "first_payment_bonus", Discount: 60, Description: "Bonificación del 60% por primer pago",
			ValidUntil: at.Add(time.Hour), PaymentAmount: "1500.50", PaymentDecimal: "1500.50", PaymentCurrency: "EUR"}},
		event.NotificationSent{NotificationID: "n1", CustomerID: "c1", Channel: "email", Type: "email",
			Recipient: "juan@example.com", Status: "sent", Timestamp: at},
		event.PreferencesChanged{Envelope: event.Envelope{CustomerID: "c1", Timestamp: at,
			Customer: event.Customer{ID: "c1", Name: "Juan Pérez", Email: "juan@example.com", Language: "en", Status: "active", Tier: "basic",
				CreatedAt: at, Version: 4, Preferences: &event.Preferences{
					Email: event.Consent{Given: true, At: at, Via: "onboarding"}, SMS: event.Consent{Given: false, At: at, Via: "api"},
					Marketing: event.Consent{Given: false, At: at, Via: "api"}}}}},
		event.Erased{Envelope: event.Envelope{CustomerID: "c1", Timestamp: at,
			Customer: event.Customer{ID: "c1", Name: "erased", Email: "erased-c1@erased.invalid", Language: "es", Status: "erased", Tier: "premium", CreatedAt: at, Version: 4}}},
	}
}

func factory() event.Factory {
	n := 0
	return event.Factory{Source: "service-test", NewID: func() string {
		n++
		return "id-" + string(rune('0'+n))
	}}
}

func TestEveryTopicHasAPayloadThatRoundTrips(t *testing.T) {
	seen := map[string]bool{}
	ctx := context.Background()
	for _, d := range samples() {
		t.Run(d.Topic(), func(t *testing.T) {
			e := factory().New(ctx, at, d)[0]
			if e.Type != d.Topic() || e.Subject != d.Key() || e.Source != "service-test" ||
				e.Version != event.SchemaVersion(d.Topic()) || e.Version < 1 || !e.Time.Equal(at) {
				t.Fatalf("metadata not stamped: %+v", e.Metadata)
			}
			m, err := event.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := event.Decode(m)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got.Data, d) {
				t.Fatalf("round trip changed the payload:\n got %#v\nwant %#v", got.Data, d)
			}
			if got.Metadata != e.Metadata {
				t.Fatalf("round trip changed the metadata: %+v vs %+v", got.Metadata, e.Metadata)
			}
		})
		seen[d.Topic()] = true
	}
	for _, topic := range event.Topics() {
		if !seen[topic] {
			t.Errorf("topic %s has no sample payload", topic)
		}
	}
}

func TestPayloadsKeepTheOriginalMessageShape(t *testing.T) {
	tests := []struct {
		data event.Data
		keys []string
	}{
		{event.Onboarded{Envelope: envelope()}, []string{"customerId", "customer", "timestamp"}},
		{samples()[4], []string{"customerId", "customer", "timestamp", "payment"}},
		{samples()[5], []string{"customerId", "customer", "timestamp", "previousTier", "newTier", "reason", "source"}},
		{samples()[6], []string{"customerId", "profile", "timestamp", "promote", "trigger"}},
		{samples()[7], []string{"customerId", "customer", "timestamp", "promotion"}},
		{samples()[8], []string{"notificationId", "customerId", "channel", "type", "recipient", "status", "timestamp"}},
	}
	for _, tt := range tests {
		t.Run(tt.data.Topic(), func(t *testing.T) {
			raw, err := json.Marshal(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(raw, &fields); err != nil {
				t.Fatal(err)
			}
			for _, k := range tt.keys {
				if _, ok := fields[k]; !ok {
					t.Errorf("payload lacks %q: %s", k, raw)
				}
			}
		})
	}
}

func TestSnapshotsLeaveTheIdentityDocumentOut(t *testing.T) {
	raw, _ := json.Marshal(snapshot())
	if strings.Contains(strings.ToLower(string(raw)), "document") {
		t.Fatalf("snapshot carries document data: %s", raw)
	}
}

func TestDecodeRefusesPoisonAsInvalid(t *testing.T) {
	good, err := event.Encode(factory().New(context.Background(), at, event.Onboarded{Envelope: envelope()})[0])
	if err != nil {
		t.Fatal(err)
	}
	withPayload := func(typ, payload string) event.Message {
		m := good
		m.Type, m.Payload, m.Subject = typ, []byte(payload), ""
		return m
	}
	valid := func(d event.Data) string {
		raw, _ := json.Marshal(d)
		return string(raw)
	}
	negativeSnapshotVersion := envelope()
	negativeSnapshotVersion.Customer.Version = -1
	otherCustomer := envelope()
	otherCustomer.Customer.ID = "c2"
	noTimestamp := envelope()
	noTimestamp.Timestamp = time.Time{}
	tests := []struct {
		name string
		msg  event.Message
		want string
	}{
		{"an unknown type", withPayload("customer.exploded", "{}"), "unknown event type"},
		{"a missing event id", func() event.Message { m := good; m.ID = ""; return m }(), "event id is missing"},
		{"a schema version below 1", func() event.Message { m := good; m.Version = 0; return m }(), "is not a version"},
		{"bytes that are not JSON", withPayload(event.TopicOnboarded, "not json"), "not valid JSON"},
		{"a JSON array", withPayload(event.TopicOnboarded, "[]"), "not valid JSON"},
		{"data after the JSON value", withPayload(event.TopicOnboarded, valid(event.Onboarded{Envelope: envelope()})+"{}"), "after top-level value"},
		{"a wrong field type", withPayload(event.TopicOnboarded, `{"customerId": 7}`), "not valid JSON"},
		{"a name twice", withPayload(event.TopicOnboarded, `{"customerId": "c1", "customerId": "c2"}`), "duplicate"},
		{"invalid UTF-8", withPayload(event.TopicOnboarded, "{\"customerId\": \"c\xff\"}"), "UTF-8"},
		{"a missing customer id", withPayload(event.TopicOnboarded, `{"customer": {}}`), "customerId is required"},
		{"a change of preferences without them", withPayload(event.TopicPreferencesChanged, valid(event.PreferencesChanged{Envelope: envelope()})),
			"customer.preferences is required"},
		{"a change of preferences with a broken envelope", withPayload(event.TopicPreferencesChanged, valid(event.PreferencesChanged{Envelope: noTimestamp})),
			"timestamp is required"},
		{"a snapshot of another customer", withPayload(event.TopicOnboarded, valid(event.Onboarded{Envelope: otherCustomer})), "does not match"},
		{"a snapshot with a negative version", withPayload(event.TopicOnboarded, valid(event.Onboarded{Envelope: negativeSnapshotVersion})), "must not be negative"},
		{"a missing timestamp", withPayload(event.TopicOnboarded, valid(event.Onboarded{Envelope: noTimestamp})), "timestamp is required"},
		{"a payment without amount", withPayload(event.TopicFirstPayment, valid(event.FirstPayment{Envelope: envelope()})), "positive amountMinor"},
		{"a payment with a broken envelope", withPayload(event.TopicFirstPayment, valid(event.FirstPayment{Envelope: noTimestamp})), "timestamp is required"},
		{"a promotion to a tier the snapshot lacks", withPayload(event.TopicPromoted, valid(event.Promoted{Envelope: envelope(), NewTier: "vip"})), "match customer.tier"},
		{"a promotion with a broken envelope", withPayload(event.TopicPromoted, valid(event.Promoted{Envelope: noTimestamp})), "timestamp is required"},
		{"a profile without customer", withPayload(event.TopicProfiled, `{"timestamp":"2026-01-01T00:00:00Z"}`), "customerId is required"},
		{"a profile without timestamp", withPayload(event.TopicProfiled, `{"customerId":"c1"}`), "timestamp is required"},
		{"a promotion request without tier", withPayload(event.TopicProfiled, `{"customerId":"c1","promote":true,"timestamp":"2026-01-01T00:00:00Z"}`), "recommendedTier"},
		{"recommendations that are neither texts nor advice", withPayload(event.TopicProfiled, `{"customerId":"c1","profile":{"recommendations":[1]},"timestamp":"2026-01-01T00:00:00Z"}`), "list of texts"},
		{"a payment amount that is not a number", withPayload(event.TopicFirstPayment, `{"customerId":"c1","payment":{"amount":"ten"}}`), "not valid JSON"},
		{"a bonus that expires before it starts", withPayload(event.TopicPromotionActivated, valid(event.PromotionActivated{Envelope: envelope(), Promotion: event.Promotion{ID: "p", ActivatedAt: at, ExpiresAt: at}})), "expiry after"},
		{"a bonus with a broken envelope", withPayload(event.TopicPromotionActivated, valid(event.PromotionActivated{Envelope: noTimestamp})), "timestamp is required"},
		{"a notification without id", withPayload(event.TopicNotificationSent, `{"channel":"email"}`), "notificationId is required"},
		{"a notification without recipient", withPayload(event.TopicNotificationSent, `{"notificationId":"n","channel":"email"}`), "recipient are required"},
		{"a notification without timestamp", withPayload(event.TopicNotificationSent, `{"notificationId":"n","channel":"email","recipient":"a@b.co"}`), "timestamp is required"},
		{"a key that contradicts the payload", func() event.Message { m := good; m.Subject = "c9"; return m }(), "subject \"c9\" does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := event.Decode(tt.msg)
			if err == nil {
				t.Fatal("Decode accepted poison")
			}
			if fault.KindOf(err) != fault.Invalid {
				t.Fatalf("kind = %v, want invalid: %v", fault.KindOf(err), err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestANewerSchemaIsNotPoisonButWaitsForAnUpgrade(t *testing.T) {
	m, err := event.Encode(factory().New(context.Background(), at, event.Onboarded{Envelope: envelope()})[0])
	if err != nil {
		t.Fatal(err)
	}
	m.Version = event.SchemaVersion(event.TopicOnboarded) + 1
	_, err = event.Decode(m)
	if !errors.Is(err, event.ErrNewerSchema) || fault.KindOf(err).Permanent() || !strings.Contains(err.Error(), "schema version 2") {
		t.Fatalf("error = %v", err)
	}
}

func TestOnlyATopicsOwnerMayWriteIt(t *testing.T) {
	tests := []struct {
		topic, source string
		trusted       bool
	}{
		{event.TopicOnboarded, event.SourceCustomer, true},
		{event.TopicPromoted, event.SourceCustomer, true},
		{event.TopicProfiled, event.SourceProfiling, true},
		{event.TopicPromotionActivated, event.SourceProfiling, true},
		{event.TopicNotificationSent, event.SourceNotifications, true},
		{event.TopicProfiled, event.SourceCustomer, false},
		{event.TopicOnboarded, event.SourceNotifications, false},
		{event.TopicProfiled, "", false},
		{event.TopicNotificationSent, "service-intruder", false},
	}
	for _, tt := range tests {
		err := event.CheckSource(event.Message{Metadata: event.Metadata{ID: "e1", Type: tt.topic, Source: tt.source}})
		if tt.trusted != (err == nil) {
			t.Errorf("%s from %q: %v", tt.topic, tt.source, err)
		}
		if err != nil && (!errors.Is(err, event.ErrUntrustedSource) || !fault.KindOf(err).Permanent()) {
			t.Errorf("%s from %q: want permanent ErrUntrustedSource, got %v", tt.topic, tt.source, err)
		}
	}
	for _, topic := range event.Topics() {
		if event.Owner(topic) == "" {
			t.Errorf("%s has no owner", topic)
		}
	}
}

func TestNotificationsWithoutCustomerAreKeyedByTheirOwnID(t *testing.T) {
	n := event.NotificationSent{NotificationID: "n1"}
	if n.Key() != "n1" {
		t.Fatalf("Key() = %q, want the notification id", n.Key())
	}
	n.CustomerID = "c1"
	if n.Key() != "c1" {
		t.Fatalf("Key() = %q, want the customer id", n.Key())
	}
}

func TestEncodeReportsUnencodablePayloads(t *testing.T) {
	bad := event.Event{Metadata: event.Metadata{ID: "x", Type: "t"}, Data: unencodable{}}
	if _, err := event.Encode(bad); err == nil {
		t.Fatal("Encode accepted a payload json cannot encode")
	}
}

// unencodable satisfies Data by embedding a catalog type but cannot be
// marshalled.
type unencodable struct {
	event.Onboarded
	C chan int `json:"c"`
}

func FuzzDecodeNeverPanicsAndOnlyFailsAsInvalid(f *testing.F) {
	for _, d := range samples() {
		raw, _ := json.Marshal(d)
		f.Add(d.Topic(), string(raw))
	}
	f.Add(event.TopicOnboarded, `{"customerId":null}`)
	f.Add("nope", "")
	f.Fuzz(func(t *testing.T, typ, payload string) {
		_, err := event.Decode(event.Message{
			Metadata: event.Metadata{ID: "e1", Type: typ, Version: 1}, Payload: []byte(payload)})
		if err != nil && fault.KindOf(err) != fault.Invalid {
			t.Fatalf("Decode(%q, %q) failed as %v: %v", typ, payload, fault.KindOf(err), err)
		}
	})
}

func TestEveryTopicHasAWireTypeToDescribeIt(t *testing.T) {
	for _, topic := range event.Topics() {
		p, ok := event.Wire(topic).(event.Data)
		if topic == event.TopicPromoted {
			continue // written as promotedWire, which is no Data of its own
		}
		if !ok || p.Topic() != topic {
			t.Errorf("Wire(%s) = %T", topic, event.Wire(topic))
		}
	}
	if event.Wire("customer.unknown") != nil {
		t.Error("a topic outside the catalog has a wire type")
	}
}

func TestAPromotionNamesTheNewTierAsTheOriginalsStatusAndKeepsOurs(t *testing.T) {
	env := envelope()
	env.Customer.Tier = "vip"
	m, err := event.Encode(factory().New(context.Background(), at,
		event.Promoted{Envelope: env, PreviousTier: "premium", NewTier: "vip", Reason: "r", Source: "manual"})[0])
	if err != nil {
		t.Fatal(err)
	}
	var wire struct {
		Customer       struct{ Status string }
		CustomerStatus string
	}
	if err := json.Unmarshal(m.Payload, &wire); err != nil || wire.Customer.Status != "vip" || wire.CustomerStatus != "active" {
		t.Fatalf("on the wire: %s (%v); want customer.status the new tier, as the original's notifications read it", m.Payload, err)
	}
	e, err := event.Decode(m)
	if err != nil {
		t.Fatal(err)
	}
	if p := e.Data.(event.Promoted); p.Customer.Status != "active" {
		t.Fatalf("decoded: status %q; want the customer's status back", p.Customer.Status)
	}
	// A version 1 record, still on the topic, had the status in the
	// snapshot.
	m.Version = 1
	m.Payload = []byte(`{"customerId":"c1","customer":{"id":"c1","name":"Ana","status":"active","tier":"vip","version":3},` +
		`"timestamp":"2026-03-01T10:00:00Z","previousTier":"premium","newTier":"vip","reason":"r","source":"manual"}`)
	if e, err := event.Decode(m); err != nil || e.Data.(event.Promoted).Customer.Status != "active" {
		t.Fatalf("a version 1 record: %+v, %v", e.Data, err)
	}
}

// TestPayloadsAreTheBytesEncodingJSONWrites: the codec writes what
// encoding/json wrote, so that consumers of either era read the same bytes:
// for every topic, with text that encoding/json escapes, nil lists and
// empty optional fields. Invalid UTF-8 becomes U+FFFD in both, which
// encoding/json alone writes as an escape.
func TestPayloadsAreTheBytesEncodingJSONWrites(t *testing.T) {
	texts := []string{"plain", `<b>Pérez & "Hijos"</b>`, "line\u2028separator\u2029", "tab\tand\\slash", "invalid \xff UTF-8"}
	for _, text := range texts {
		for _, data := range append(samples(), event.Deactivated{Envelope: envelope(), Reason: text},
			event.Profiled{CustomerID: "c1", Reason: text, Timestamp: at},                                           // nil recommendations, advice and reasons
			event.FirstPayment{Envelope: envelope(), Payment: event.Payment{CustomerID: "c1", Description: text}}) { // no amount: 0
			t.Run(data.Topic()+" with "+text, func(t *testing.T) {
				m, err := event.Encode(factory().New(context.Background(), at, data)[0])
				if err != nil {
					t.Fatal(err)
				}
				want, err := json.Marshal(data)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := string(m.Payload), strings.ReplaceAll(string(want), `\ufffd`, "\ufffd"); got != want {
					t.Errorf("payload\n%s\nencoding/json\n%s", got, want)
				}
			})
		}
	}
}
