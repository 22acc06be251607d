package notification

import (
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/idempotency"
)

// Request is a message an API client asks to send: the original's
// POST /notifications/email and /notifications/sms bodies. Either Template
// or Body gives the text; Subject (email only) overrides the template's. A
// Template that is not one of ours labels an ad-hoc message: an SMS sends
// Body, an email Subject with Body, or, without Body, the body
// notification.RenderLabelled writes from Data.
type Request struct {
	Channel    Channel
	To         string
	CustomerID string
	Subject    string
	Template   string
	Body       string
	Language   string
	Data       map[string]string
	// IdempotencyKey, when set, makes a retried request return the first
	// delivery instead of sending again. It is bound to the request: the
	// same key with another message is ErrIdempotencyKeyReused.
	IdempotencyKey string
	// Caller identifies who asks (an API key's fingerprint; empty without
	// authentication). Idempotency keys are scoped to it, so one caller
	// never replays another's answer.
	Caller string
}

// ErrIdempotencyKeyReused is the error of a request whose idempotency key
// was used for another message; it says nothing of the first.
var ErrIdempotencyKeyReused = idempotency.ErrKeyReused

// ErrOutcomeUnknown is the error of a request whose message the provider
// may or may not have sent, which cannot be sent again without risking a
// second copy: its delivery is unknown, for an operator to check.
var ErrOutcomeUnknown = fault.New(fault.Conflict, "notification.outcome_unknown",
	"the provider may have sent this message, and cannot tell: it is recorded as unknown and not sent again; check with the provider")

// Outcome is the delivery a request made, and whether it was made by an
// earlier request with the same idempotency key.
type Outcome struct {
	Delivery Delivery
	Replayed bool
}

// BodyField is the name of the message text in a channel's request: "body"
// for email, "message" for SMS (as in the original API).
func BodyField(ch Channel) string {
	if ch == SMS {
		return "message"
	}
	return "body"
}

// ErrErased is the error of a message to a customer erased at their request.
var ErrErased = fault.New(fault.Conflict, "notification.customer_erased", "the customer was erased at their request: nothing is sent to them")
