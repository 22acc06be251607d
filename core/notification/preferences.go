package notification

import "github.com/fintechlabs/customers/core/locale"

// Preferences are the messages a customer accepts, as the notifications
// service keeps them from the customer service's events.
type Preferences struct {
	Email, SMS, Marketing bool
	Language              locale.Language
	// Version is the customer snapshot's they come from: newer ones
	// replace them, older ones do not.
	Version int64
}

// Refusal returns why a message of template on ch must not go to a
// customer with these preferences, "" when it may.
func (p Preferences) Refusal(ch Channel, template string) string {
	switch {
	case ch == Email && !p.Email, ch == SMS && !p.SMS:
		return "the customer does not accept messages by " + string(ch)
	case Marketing(template) && !p.Marketing:
		return "a marketing message, and the customer has not consented to marketing"
	}
	return ""
}
