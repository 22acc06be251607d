package kafka

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/fintechlabs/customers/adapters/validation"
	"github.com/fintechlabs/customers/core/event"
)

// The original system's record format, in one place. The original (the
// NestJS proof of concept) writes each event as a bare JSON value in the
// shape of its message interfaces, keyed by customerId, with no headers:
// no event id, no schema version, no snapshot version. DecodeOriginal
// reads such records, on the topics of Config.OriginalTopics
// (KAFKA_ORIGINAL_TOPICS), so that our services can run beside the
// original's, one service at a time. (What our records give the
// original's consumers is in the payloads themselves, core/event.)

// originalIDs is the UUIDv5 namespace of the ids given to the original's
// records.
var originalIDs = uuid.MustParse("0b6f3a8e-2f4c-5d7e-9a1b-6c8d0e2f4a61")

// OriginalID derives the event id of a record written by the original, which
// carries none: a UUIDv5 of the topic, the key and the value. A consumer
// redelivery, a duplicate from a producer retry (at another offset) and a
// dead letter replayed to its topic (at another offset again) all carry the
// same bytes, so they all get the same id and the inboxes skip them. An id
// from topic, partition and offset would recognise only the first. Two
// distinct events never share their bytes: the original stamps every value
// with a millisecond timestamp.
func OriginalID(topic string, key, value []byte) string {
	b := make([]byte, 0, len(topic)+len(key)+len(value)+2)
	b = append(append(append(append(append(b, topic...), 0), key...), 0), value...)
	return uuid.NewSHA1(originalIDs, b).String()
}

// DecodeOriginal reads a record the original system wrote on topic. Its
// event has the id OriginalID gives, version 0 (see Metadata.Original) and
// customer snapshots of version 0, which never overwrite a versioned one.
// Fields the original does not send are left empty; the original's fields
// fill ours where the meaning is the same (a notification's type is our
// channel, a promotion's validUntil our expiry). Every failure is
// fault.Invalid: a value that does not match the original's interface, or
// lacks what it declares required, can never be handled.
func DecodeOriginal(topic string, key, value []byte) (event.Event, error) {
	read, ok := originalReaders[topic]
	if !ok {
		return event.Event{}, event.Undecodable("unknown event type %q", topic)
	}
	id := OriginalID(topic, key, value)
	data, err := read(id, value)
	if err != nil {
		return event.Event{}, event.Undecodable("%s %s (original format): %v", topic, id, err)
	}
	md := event.Metadata{ID: id, Type: topic, Source: event.OriginalSource, Subject: string(key), Version: 0}
	md.Time = event.Timestamp(data)
	return event.Bind(md, data)
}

// originalReaders read the original's message on each topic of the
// catalog, given the event id derived for it.
var originalReaders = map[string]func(id string, value []byte) (event.Data, error){
	event.TopicRegistered:         originalRegistered,
	event.TopicOnboarded:          originalOnboarded,
	event.TopicActivated:          originalActivated,
	event.TopicDeactivated:        originalDeactivated,
	event.TopicFirstPayment:       originalFirstPayment,
	event.TopicPromoted:           originalPromoted,
	event.TopicProfiled:           originalProfiled,
	event.TopicPromotionActivated: originalPromotionActivated,
	event.TopicNotificationSent:   originalNotificationSent,
}

// maxOriginalID bounds the opaque customer ids the original hands out
// (Date.now() strings), so a hostile record cannot store megabytes of id.
const maxOriginalID = 128

// originalCustomer is the original's Customer interface, the union of what
// its services declare.
type originalCustomer struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Email           string `json:"email"`
	Phone           string `json:"phone"`
	BirthDate       string `json:"birthDate"`
	Status          string `json:"status"`
	CreatedAt       string `json:"createdAt"`
	ActivatedAt     string `json:"activatedAt"`
	DeactivatedAt   string `json:"deactivatedAt"`
	FirstPaymentAt  string `json:"firstPaymentAt"`
	PromotedAt      string `json:"promotedAt"`
	HasFirstPayment bool   `json:"hasFirstPayment"`
}

// originalEnvelope is what every customer message of the original carries.
type originalEnvelope struct {
	CustomerID string            `json:"customerId"`
	Customer   *originalCustomer `json:"customer"`
	Timestamp  string            `json:"timestamp"`
}

// originalPromotion is the original's Promotion interface.
type originalPromotion struct {
	CustomerID    string  `json:"customerId"`
	Type          string  `json:"type"`
	Discount      number  `json:"discount"`
	Description   string  `json:"description"`
	ValidUntil    string  `json:"validUntil"`
	ActivatedAt   string  `json:"activatedAt"`
	PaymentAmount *number `json:"paymentAmount"`
	NewTier       string  `json:"newTier"`
	Reason        string  `json:"reason"`
}

// originalProfile is the original's Profile interface.
type originalProfile struct {
	CustomerID      string   `json:"customerId"`
	RiskScore       number   `json:"riskScore"`
	Segment         string   `json:"segment"`
	Recommendations []string `json:"recommendations"`
	CreatedAt       string   `json:"createdAt"`
	LastUpdated     string   `json:"lastUpdated"`
}

// originalPayment is the original's Payment interface.
type originalPayment struct {
	CustomerID    string  `json:"customerId"`
	Amount        *number `json:"amount"`
	PaymentMethod string  `json:"paymentMethod"`
	Description   string  `json:"description"`
	ProcessedAt   string  `json:"processedAt"`
}

// fromOriginal builds the original-format reader of a customer event from
// its envelope and the message's own fields, decoded into a T.
func fromOriginal[T any](build func(env event.Envelope, m T, id string) (event.Data, error)) func(string, []byte) (event.Data, error) {
	return func(id string, value []byte) (event.Data, error) {
		var env originalEnvelope
		if err := strictJSON(value, &env); err != nil {
			return nil, err
		}
		e, err := env.parse()
		if err != nil {
			return nil, err
		}
		var m T
		if err := strictJSON(value, &m); err != nil {
			return nil, err
		}
		return build(e, m, id)
	}
}

// asEnvelope reads a customer event that has no fields of its own.
func asEnvelope[D event.Data](wrap func(event.Envelope) D) func(string, []byte) (event.Data, error) {
	return fromOriginal(func(env event.Envelope, _ struct{}, _ string) (event.Data, error) { return wrap(env), nil })
}

var (
	originalRegistered  = asEnvelope(func(e event.Envelope) event.Registered { return event.Registered{Envelope: e} })
	originalOnboarded   = asEnvelope(func(e event.Envelope) event.Onboarded { return event.Onboarded{Envelope: e} })
	originalActivated   = asEnvelope(func(e event.Envelope) event.Activated { return event.Activated{Envelope: e} })
	originalDeactivated = asEnvelope(func(e event.Envelope) event.Deactivated { return event.Deactivated{Envelope: e} })
)

// originalPromoted reads the original's CustomerPromotedMessage. The
// original had no tiers: it promoted a customer by writing "premium" into
// customer.status, so every promotion of its is basic -> premium.
var originalPromoted = fromOriginal(func(env event.Envelope, _ struct{}, _ string) (event.Data, error) {
	if env.Customer.Tier == "" {
		env.Customer.Tier = "premium"
	}
	return event.Promoted{Envelope: env, PreviousTier: "basic", NewTier: env.Customer.Tier, Source: event.OriginalSource}, nil
})

// originalFirstPayment reads the original's FirstPaymentMessage. Its amount
// is a JSON number of no stated currency: it is kept as exact decimal text,
// with no minor units or currency.
var originalFirstPayment = fromOriginal(func(env event.Envelope, m struct {
	Payment *originalPayment `json:"payment"`
}, _ string) (event.Data, error) {
	p := m.Payment
	if p == nil || p.Amount == nil {
		return nil, errors.New("payment.amount is required")
	}
	exact, err := decimalText(*p.Amount)
	if err != nil {
		return nil, fmt.Errorf("payment.amount %w", err)
	}
	at, err := timeOr("payment.processedAt", p.ProcessedAt, env.Timestamp)
	if err != nil {
		return nil, err
	}
	return event.FirstPayment{Envelope: env, Payment: event.Payment{
		CustomerID: env.CustomerID, Amount: event.Number(*p.Amount), AmountDecimal: exact, Method: p.PaymentMethod,
		Description: p.Description, ProcessedAt: at, PaidAt: at,
	}}, nil
})

// originalPromotionActivated reads the original's PromotionActivatedMessage.
var originalPromotionActivated = fromOriginal(func(env event.Envelope, m struct {
	Promotion *originalPromotion `json:"promotion"`
}, id string) (event.Data, error) {
	if m.Promotion == nil {
		return nil, errors.New("promotion is required")
	}
	promo, err := m.Promotion.parse(id, env.CustomerID)
	if err != nil {
		return nil, err
	}
	if !promo.ExpiresAt.After(promo.ActivatedAt) {
		return nil, errors.New("promotion.validUntil must be after promotion.activatedAt")
	}
	return event.PromotionActivated{Envelope: env, Promotion: promo}, nil
})

// originalProfiled reads the original's CustomerProfiledMessage: a profile
// (random scores, no tier), or a promotion an operator asked for, which is
// the only part that asks anything of the customer service.
func originalProfiled(id string, value []byte) (event.Data, error) {
	var m struct {
		CustomerID string             `json:"customerId"`
		Profile    *originalProfile   `json:"profile"`
		Promotion  *originalPromotion `json:"promotion"`
		Timestamp  string             `json:"timestamp"`
	}
	if err := strictJSON(value, &m); err != nil {
		return nil, err
	}
	at, err := requiredTime("timestamp", m.Timestamp)
	if err != nil {
		return nil, err
	}
	if err := checkOriginalID(m.CustomerID); err != nil {
		return nil, err
	}
	out := event.Profiled{CustomerID: m.CustomerID, Timestamp: at, Trigger: event.OriginalSource}
	if p := m.Profile; p != nil {
		risk, err := wholeNumber(p.RiskScore, 0, 100)
		if err != nil {
			return nil, fmt.Errorf("profile.riskScore %w", err)
		}
		created, err := optionalTime("profile.createdAt", p.CreatedAt)
		if err != nil {
			return nil, err
		}
		updated, err := timeOr("profile.lastUpdated", p.LastUpdated, created)
		if err != nil {
			return nil, err
		}
		out.Profile = event.Profile{CustomerID: m.CustomerID, RiskScore: risk, Score: 100 - risk, Segment: p.Segment,
			Recommendations: p.Recommendations, EvaluatedAt: updated, LastUpdated: updated}
	}
	if m.Promotion != nil {
		promo, err := m.Promotion.parse(id, m.CustomerID)
		if err != nil {
			return nil, err
		}
		out.Promotion = &promo
		if promo.NewTier != "" {
			out.Promote, out.Reason = true, promo.Reason
			out.Profile.RecommendedTier = promo.NewTier
		}
	}
	return out, nil
}

// originalNotificationSent reads the original's NotificationSentMessage. It
// has no notification id: the event's id serves.
func originalNotificationSent(id string, value []byte) (event.Data, error) {
	var m struct {
		CustomerID string `json:"customerId"`
		Type       string `json:"type"`
		Template   string `json:"template"`
		Recipient  string `json:"recipient"`
		Timestamp  string `json:"timestamp"`
	}
	if err := strictJSON(value, &m); err != nil {
		return nil, err
	}
	at, err := requiredTime("timestamp", m.Timestamp)
	if err != nil {
		return nil, err
	}
	switch {
	case m.Type == "" || m.Recipient == "":
		return nil, errors.New("type and recipient are required")
	case len(m.CustomerID) > maxOriginalID:
		return nil, errors.New("customerId is too long")
	}
	return event.NotificationSent{NotificationID: id, CustomerID: m.CustomerID, Channel: m.Type, Type: m.Type,
		Template: m.Template, Recipient: m.Recipient, Status: "sent", Timestamp: at}, nil
}

// parse turns the original's envelope into ours, with a version 0 snapshot.
func (e originalEnvelope) parse() (event.Envelope, error) {
	if err := checkOriginalID(e.CustomerID); err != nil {
		return event.Envelope{}, err
	}
	at, err := requiredTime("timestamp", e.Timestamp)
	if err != nil {
		return event.Envelope{}, err
	}
	c := e.Customer
	switch {
	case c == nil:
		return event.Envelope{}, errors.New("customer is required")
	case c.ID != "" && c.ID != e.CustomerID:
		return event.Envelope{}, errors.New("customer.id does not match customerId")
	}
	s := event.Customer{ID: e.CustomerID, Name: c.Name, Email: c.Email, Phone: c.Phone}
	switch status := strings.ToLower(c.Status); status {
	case "onboarded", "active", "inactive":
		s.Status = status
	case "basic", "premium", "vip":
		// The original promoted by overwriting the status with the tier.
		s.Tier = status
	}
	if len(c.BirthDate) >= len("2006-01-02") {
		if d, err := time.Parse("2006-01-02", c.BirthDate[:10]); err == nil {
			s.BirthDate = d.Format("2006-01-02")
		}
	}
	times := []struct {
		field string
		text  string
		dst   **time.Time
	}{
		{"customer.activatedAt", c.ActivatedAt, &s.ActivatedAt},
		{"customer.deactivatedAt", c.DeactivatedAt, &s.DeactivatedAt},
		{"customer.firstPaymentAt", c.FirstPaymentAt, &s.FirstPaymentAt},
		{"customer.promotedAt", c.PromotedAt, &s.PromotedAt},
	}
	for _, f := range times {
		t, err := optionalTime(f.field, f.text)
		if err != nil {
			return event.Envelope{}, err
		}
		if !t.IsZero() {
			*f.dst = &t
		}
	}
	if s.FirstPaymentAt == nil && c.HasFirstPayment {
		s.FirstPaymentAt = &at
	}
	if s.CreatedAt, err = optionalTime("customer.createdAt", c.CreatedAt); err != nil {
		return event.Envelope{}, err
	}
	return event.Envelope{CustomerID: e.CustomerID, Customer: s, Timestamp: at}, nil
}

// parse turns the original's promotion into ours: validUntil is the expiry,
// the type in capitals the code, and the discount a whole percentage.
func (p originalPromotion) parse(id, customerID string) (event.Promotion, error) {
	from, err := requiredTime("promotion.activatedAt", p.ActivatedAt)
	if err != nil {
		return event.Promotion{}, err
	}
	until, err := requiredTime("promotion.validUntil", p.ValidUntil)
	if err != nil {
		return event.Promotion{}, err
	}
	discount, err := wholeNumber(p.Discount, 0, 100)
	if err != nil {
		return event.Promotion{}, fmt.Errorf("promotion.discount %w", err)
	}
	if p.Type == "" {
		return event.Promotion{}, errors.New("promotion.type is required")
	}
	out := event.Promotion{
		ID: id, Code: strings.ToUpper(p.Type), DiscountPercent: discount, ActivatedAt: from, ExpiresAt: until,
		CustomerID: customerID, Type: p.Type, Discount: discount, Description: p.Description, ValidUntil: until,
		NewTier: p.NewTier, Reason: p.Reason,
	}
	if p.PaymentAmount != nil {
		if out.PaymentDecimal, err = decimalText(*p.PaymentAmount); err != nil {
			return event.Promotion{}, fmt.Errorf("promotion.paymentAmount %w", err)
		}
		out.PaymentAmount = event.Number(*p.PaymentAmount)
	}
	return out, nil
}

// strictJSON decodes one JSON object into dst, tolerating unknown fields (a
// newer original may add some) but not trailing data or wrong types.
func strictJSON(value []byte, dst any) error {
	if err := validation.Unambiguous(value); err != nil {
		return fmt.Errorf("value is not the original's JSON message: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("value is not the original's JSON message: %w", err)
	}
	if dec.More() {
		return errors.New("value has data after the JSON message")
	}
	return nil
}

func checkOriginalID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return errors.New("customerId is required")
	case len(id) > maxOriginalID:
		return errors.New("customerId is too long")
	}
	return nil
}

// requiredTime reads an ISO 8601 time as the original's toISOString()
// writes it.
func requiredTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New(field + " is required")
	}
	return optionalTime(field, s)
}

// optionalTime reads an ISO 8601 time, or none when s is empty.
func optionalTime(field, s string) (time.Time, error) { return timeOr(field, s, time.Time{}) }

// timeOr reads an ISO 8601 time, or returns fallback when s is empty.
func timeOr(field, s string, fallback time.Time) (time.Time, error) {
	if s == "" {
		return fallback, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an ISO 8601 time", field, s)
	}
	return t.UTC(), nil
}

// decimalText writes a JSON number as exact decimal text: 100 for 100.00,
// 1500.5 for 1.5005e3. A number with no finite decimal form is refused.
func decimalText(n number) (string, error) {
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return "", fmt.Errorf("%q is not a number", string(n))
	}
	if r.IsInt() {
		return r.Num().String(), nil
	}
	for digits := 1; digits <= 18; digits++ {
		text := r.FloatString(digits)
		if back, _ := new(big.Rat).SetString(text); back.Cmp(r) == 0 {
			return text, nil
		}
	}
	return "", fmt.Errorf("%q has more than 18 decimals", string(n))
}

// number is a JSON number as the original's interfaces declare it: a
// number in quotes is refused, unlike json.Number.
type number string

// UnmarshalJSON implements json.Unmarshaler.
func (n *number) UnmarshalJSON(b []byte) error {
	var v json.Number
	if len(b) > 0 && b[0] == '"' {
		return errors.New("a number is given as text")
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = number(v)
	return nil
}

// wholeNumber reads a JSON number between lo and hi, rounded to a whole one
// (the original's scores and discounts are JavaScript numbers).
func wholeNumber(n number, lo, hi int) (int, error) {
	if n == "" {
		return 0, nil
	}
	f, err := json.Number(n).Float64()
	if err != nil || math.IsNaN(f) || f < float64(lo) || f > float64(hi) {
		return 0, fmt.Errorf("must be a number between %d and %d", lo, hi)
	}
	return int(math.Round(f)), nil
}
