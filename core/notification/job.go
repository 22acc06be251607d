package notification

import "github.com/fintechlabs/customers/core/locale"

// Job is what one consumed event asks the notifications service to send: one
// template over one or more channels to the customer in the snapshot.
type Job struct {
	CustomerID string
	Email      string
	Phone      string
	Language   locale.Language
	Template   string
	Channels   []Channel
	Data       map[string]string
	// Fact is what the message announces about the customer, if anything
	// that a later change can make untrue.
	Fact Fact
	// Version is the customer snapshot's the event carried (0 for the
	// original system's, which has none).
	Version int64
	// Preferences are the ones the snapshot carried; nil in the
	// original's, which has none.
	Preferences *Preferences
}

// Fact is something about a customer that a message announces and a later
// change can make untrue: an announcement caused by an older snapshot than
// one already announced for the same fact is stale, and not sent.
type Fact string

// Facts. A welcome or a bonus announces none: it stays true.
const (
	StatusFact Fact = "status" // activated, deactivated
	TierFact   Fact = "tier"   // promoted
)

// Recipient returns the job's address for ch.
func (j Job) Recipient(ch Channel) string {
	if ch == SMS {
		return j.Phone
	}
	return j.Email
}
