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
}

// Recipient returns the job's address for ch.
func (j Job) Recipient(ch Channel) string {
	if ch == SMS {
		return j.Phone
	}
	return j.Email
}
