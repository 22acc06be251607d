package customer

import "time"

// Change is one entry of a customer's status history. From and To are
// statuses for onboard, activate and deactivate, tiers for promote, and
// "unpaid" -> the amount for first-payment.
type Change struct {
	Action  Action
	From    string
	To      string
	Reason  string
	Source  Source
	At      time.Time
	Version int64 // the customer's version after the change
}

// Notification is a message the notifications service delivered to a
// customer, as the customer service keeps it in the customer's history.
type Notification struct {
	ID        string
	EventID   string // the notification.sent event that reported it
	Channel   string
	Template  string
	Recipient string
	Subject   string
	Status    string
	SentAt    time.Time
}
