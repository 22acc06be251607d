package event

import (
	"errors"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Profile is the outcome of evaluating the profiling rules for a customer.
// Since schema version 2 it is also the original's Profile: customerId,
// riskScore, segment, recommendations as a list of texts, lastUpdated.
type Profile struct {
	CustomerID      string    `json:"customerId,omitempty"`
	Eligible        bool      `json:"eligible"`
	Score           int       `json:"score"`
	RiskScore       int       `json:"riskScore"` // 100 - score: the original's risk, 0 (none) to 100
	Segment         string    `json:"segment"`
	CurrentTier     string    `json:"currentTier"`
	RecommendedTier string    `json:"recommendedTier"`
	Recommendations []string  `json:"recommendations"` // the messages of Advice, as the original lists them
	Advice          []Advice  `json:"advice"`
	Reasons         []Reason  `json:"reasons"`
	EvaluatedAt     time.Time `json:"evaluatedAt"`
	LastUpdated     time.Time `json:"lastUpdated"`
}

// UnmarshalJSONFrom reads both schema versions: version 1 listed the
// recommendations as {code, message} objects and had no "advice".
func (p *Profile) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	type plain Profile // no methods: no recursion
	var v struct {
		plain
		Recommendations recommendations `json:"recommendations"`
	}
	if err := json.UnmarshalDecode(dec, &v); err != nil {
		return err
	}
	*p = Profile(v.plain)
	p.Recommendations = v.Recommendations.texts
	if len(p.Advice) == 0 {
		p.Advice = v.Recommendations.advice
	}
	return nil
}

// UnmarshalJSON is UnmarshalJSONFrom for encoding/json.
func (p *Profile) UnmarshalJSON(b []byte) error { return unmarshal(b, p) }

// recommendations is a profile's list in either schema version: texts, or
// {code, message} objects (advice, whose messages are the texts).
type recommendations struct {
	texts  []string
	advice []Advice
}

func (r *recommendations) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	if json.Unmarshal(v, &r.texts) == nil {
		return nil
	}
	if err := json.Unmarshal(v, &r.advice); err != nil {
		return errors.New("profile.recommendations must be a list of texts or of {code, message} objects")
	}
	r.texts = nil
	for _, a := range r.advice {
		r.texts = append(r.texts, a.Message)
	}
	return nil
}

// Advice is an action profiling suggests.
type Advice struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Reason explains one rule's contribution to an evaluation.
type Reason struct {
	Rule   string `json:"rule"`
	Points int    `json:"points"`
	Detail string `json:"detail"`
}

// Profiled: profiling evaluated a customer. When Promote is set the customer
// service moves the customer to Profile.RecommendedTier, if that is higher
// than the customer's tier and the customer is active. Promotion is set,
// as the original did, when an operator asked for a tier.
type Profiled struct {
	CustomerID string     `json:"customerId"`
	Profile    Profile    `json:"profile"`
	Promotion  *Promotion `json:"promotion,omitempty"`
	Promote    bool       `json:"promote"`
	Reason     string     `json:"reason,omitempty"`
	Timestamp  time.Time  `json:"timestamp"`
	// Trigger is the event type or request that caused the evaluation.
	Trigger string `json:"trigger"`
}

// Topic implements Data.
func (Profiled) Topic() string { return TopicProfiled }

// Key implements Data.
func (e Profiled) Key() string { return e.CustomerID }

func (e Profiled) validate() error {
	switch {
	case e.CustomerID == "":
		return errors.New("customerId is required")
	case e.Timestamp.IsZero():
		return errors.New("timestamp is required")
	case e.Promote && e.Profile.RecommendedTier == "":
		return errors.New("a promotion needs profile.recommendedTier")
	}
	return nil
}

// Promotion types, as the original names them.
const (
	PromotionFirstPaymentBonus = "first_payment_bonus"
	PromotionTier              = "tier_promotion"
)

// Promotion is a benefit granted to a customer for a limited time. Since
// schema version 2 it is also the original's Promotion: type, discount (a
// number), description, validUntil, paymentAmount (a number) and, for a
// tier promotion, newTier and reason.
type Promotion struct {
	ID              string    `json:"id"`
	Code            string    `json:"code"`
	DiscountPercent int       `json:"discountPercent"`
	ActivatedAt     time.Time `json:"activatedAt"`
	ExpiresAt       time.Time `json:"expiresAt"`

	CustomerID  string    `json:"customerId,omitempty"`
	Type        string    `json:"type,omitempty"`
	Discount    int       `json:"discount"`
	Description string    `json:"description,omitempty"`
	ValidUntil  time.Time `json:"validUntil"`
	// PaymentAmount is the first payment as a JSON number, for the
	// original's consumers; PaymentDecimal and PaymentCurrency keep it exact.
	PaymentAmount   Number `json:"paymentAmount,omitempty"`
	PaymentDecimal  string `json:"paymentDecimal,omitempty"`
	PaymentCurrency string `json:"paymentCurrency,omitempty"`
	NewTier         string `json:"newTier,omitempty"`
	Reason          string `json:"reason,omitempty"`
}

// PromotionActivated: profiling granted a promotion (the first-payment
// bonus). The snapshot is the newest one profiling has seen.
type PromotionActivated struct {
	Envelope
	Promotion Promotion `json:"promotion"`
}

// Topic implements Data.
func (PromotionActivated) Topic() string { return TopicPromotionActivated }

func (e PromotionActivated) validate() error {
	if err := e.Envelope.validate(); err != nil {
		return err
	}
	if e.Promotion.ID == "" || !e.Promotion.ExpiresAt.After(e.Promotion.ActivatedAt) {
		return errors.New("promotion needs an id and an expiry after its activation")
	}
	return nil
}
