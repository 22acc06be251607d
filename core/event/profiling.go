package event

import (
	"errors"
	"time"
)

// Profile is the outcome of evaluating the profiling rules for a customer.
type Profile struct {
	Eligible        bool             `json:"eligible"`
	Score           int              `json:"score"`
	Segment         string           `json:"segment"`
	CurrentTier     string           `json:"currentTier"`
	RecommendedTier string           `json:"recommendedTier"`
	Recommendations []Recommendation `json:"recommendations"`
	Reasons         []Reason         `json:"reasons"`
	EvaluatedAt     time.Time        `json:"evaluatedAt"`
}

// Recommendation is an action profiling suggests.
type Recommendation struct {
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
// than the customer's tier and the customer is active.
type Profiled struct {
	CustomerID string    `json:"customerId"`
	Profile    Profile   `json:"profile"`
	Promote    bool      `json:"promote"`
	Reason     string    `json:"reason,omitempty"`
	Timestamp  time.Time `json:"timestamp"`
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

// Promotion is a benefit granted to a customer for a limited time.
type Promotion struct {
	ID              string    `json:"id"`
	Code            string    `json:"code"`
	DiscountPercent int       `json:"discountPercent"`
	ActivatedAt     time.Time `json:"activatedAt"`
	ExpiresAt       time.Time `json:"expiresAt"`
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
