package event

import (
	"errors"
	"time"
)

// Cause names the event that triggered a notification.
type Cause struct {
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
}

// NotificationSent: the notifications service delivered a message. Since
// schema version 2, Type repeats Channel under the name the original's
// consumers read.
type NotificationSent struct {
	NotificationID string `json:"notificationId"`
	// CustomerID is empty for an ad-hoc message to an unknown recipient.
	CustomerID string `json:"customerId,omitempty"`
	Channel    string `json:"channel"`
	Type       string `json:"type"`
	// Template is our template's name, or the label an API client gave an
	// ad-hoc message.
	Template  string    `json:"template,omitempty"`
	Recipient string    `json:"recipient"`
	Subject   string    `json:"subject,omitempty"`
	Status    string    `json:"status"`
	Timestamp time.Time `json:"timestamp"`
	// TriggeredBy is absent for messages sent on an API request.
	TriggeredBy *Cause `json:"triggeredBy,omitempty"`
}

// Topic implements Data.
func (NotificationSent) Topic() string { return TopicNotificationSent }

// Key implements Data: the customer, or the notification when there is no
// customer.
func (e NotificationSent) Key() string {
	if e.CustomerID != "" {
		return e.CustomerID
	}
	return e.NotificationID
}

func (e NotificationSent) validate() error {
	switch {
	case e.NotificationID == "":
		return errors.New("notificationId is required")
	case e.Channel == "" || e.Recipient == "":
		return errors.New("channel and recipient are required")
	case e.Timestamp.IsZero():
		return errors.New("timestamp is required")
	}
	return nil
}
