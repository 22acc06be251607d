package event

import (
	"cmp"
	"errors"
	"time"
)

// Customer is the snapshot of a customer that customer events carry. It
// leaves out the identity document: no consumer needs it, so it stays in the
// customer service.
type Customer struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	FirstName      string     `json:"firstName,omitempty"`
	LastName       string     `json:"lastName,omitempty"`
	Email          string     `json:"email"`
	Phone          string     `json:"phone"`
	BirthDate      string     `json:"birthDate,omitempty" format:"date"`
	Language       string     `json:"language" validate:"omitempty,oneof=es en"`
	Status         string     `json:"status" validate:"omitempty,oneof=onboarded active inactive erased"`
	Tier           string     `json:"tier" validate:"omitempty,oneof=basic premium vip"`
	CreatedAt      time.Time  `json:"createdAt"`
	ActivatedAt    *time.Time `json:"activatedAt,omitempty"`
	DeactivatedAt  *time.Time `json:"deactivatedAt,omitempty"`
	FirstPaymentAt *time.Time `json:"firstPaymentAt,omitempty"`
	PromotedAt     *time.Time `json:"promotedAt,omitempty"`
	// Preferences are the messages the customer accepts; absent from the
	// original's snapshots, whose customers get every message.
	Preferences *Preferences `json:"preferences,omitempty"`
	// Version increases with every change, so a consumer can ignore a
	// snapshot older than one it has already applied. 0 marks a snapshot
	// written by the original system, which has no versions: it never
	// overwrites a versioned one.
	Version int64 `json:"version"`
}

// Envelope holds the fields every customer event shares.
type Envelope struct {
	CustomerID string    `json:"customerId"`
	Customer   Customer  `json:"customer"`
	Timestamp  time.Time `json:"timestamp"`
}

// Key implements Data.
func (e Envelope) Key() string { return e.CustomerID }

func (e Envelope) validate() error {
	switch {
	case e.CustomerID == "":
		return errors.New("customerId is required")
	case e.Customer.ID != e.CustomerID:
		return errors.New("customer.id does not match customerId")
	case e.Customer.Version < 0:
		return errors.New("customer.version must not be negative")
	case e.Timestamp.IsZero():
		return errors.New("timestamp is required")
	}
	return nil
}

// Registered: a customer record was created (always followed by Onboarded).
type Registered struct{ Envelope }

// Topic implements Data.
func (Registered) Topic() string { return TopicRegistered }

// Onboarded: a new customer joined and should be welcomed and profiled.
type Onboarded struct{ Envelope }

// Topic implements Data.
func (Onboarded) Topic() string { return TopicOnboarded }

// Activated: the customer became active (for the first time or again).
type Activated struct {
	Envelope
	PreviousStatus string `json:"previousStatus" validate:"omitempty,oneof=onboarded active inactive"`
	Reactivation   bool   `json:"reactivation"`
	Reason         string `json:"reason,omitempty"`
}

// Topic implements Data.
func (Activated) Topic() string { return TopicActivated }

// Deactivated: the customer became inactive.
type Deactivated struct {
	Envelope
	PreviousStatus string `json:"previousStatus" validate:"omitempty,oneof=onboarded active inactive"`
	Reason         string `json:"reason"`
}

// Topic implements Data.
func (Deactivated) Topic() string { return TopicDeactivated }

// Payment is a first payment. Since schema version 2 it carries, beside
// our exact fields, the original's Payment as its consumers read it
// (customerId, amount as a JSON number, processedAt).
//
// Amount is a JSON number for the original's consumers; our consumers read
// the exact amount from AmountDecimal (or AmountMinor and Currency) and
// never from the number. A version 1 payload had the decimal text in
// "amount" (a JSON string) and no "amountDecimal": Exact reads both.
type Payment struct {
	CustomerID    string    `json:"customerId,omitempty"`
	Amount        Number    `json:"amount"`
	AmountDecimal string    `json:"amountDecimal,omitempty"`
	AmountMinor   int64     `json:"amountMinor"`
	Currency      string    `json:"currency"`
	Method        string    `json:"paymentMethod"`
	Description   string    `json:"description"`
	ProcessedAt   time.Time `json:"processedAt"`
	PaidAt        time.Time `json:"paidAt"`
}

// Exact returns the amount as decimal text, exactly as it was paid.
func (p Payment) Exact() string {
	if p.AmountDecimal != "" {
		return p.AmountDecimal
	}
	return string(p.Amount)
}

// FirstPayment: an active customer made their first payment.
type FirstPayment struct {
	Envelope
	Payment Payment `json:"payment"`
}

// Topic implements Data.
func (FirstPayment) Topic() string { return TopicFirstPayment }

func (e FirstPayment) validate() error {
	if err := e.Envelope.validate(); err != nil {
		return err
	}
	if e.Payment.AmountMinor <= 0 || e.Payment.Currency == "" {
		return errors.New("payment needs a positive amountMinor and a currency")
	}
	return nil
}

// Promoted: the customer moved to a higher tier.
//
// Since schema version 2 the record gives the original's consumers what
// they read, with the meaning they read it with: the original promoted by
// writing the tier into customer.status ("premium"), and its notifications
// service announces customer.status as the new status. So on the wire the
// snapshot's status is the new tier, and the customer's status travels in
// customerStatus (promotedWire); in Go, Customer.Status is the status.
type Promoted struct {
	Envelope
	PreviousTier string `json:"previousTier" validate:"omitempty,oneof=basic premium vip"`
	NewTier      string `json:"newTier" validate:"oneof=basic premium vip"`
	Reason       string `json:"reason"`
	// Source is "manual" (an operator), "profiling" (a recommendation) or
	// "original" (a record of the original system).
	Source string `json:"source" validate:"omitempty,oneof=manual profiling original"`
}

// Topic implements Data.
func (Promoted) Topic() string { return TopicPromoted }

// Preferences are the messages a customer accepts, each with its consent
// record: transactional messages on the accepted channels, marketing ones
// only with marketing consent.
type Preferences struct {
	Email     Consent `json:"email"`
	SMS       Consent `json:"sms"`
	Marketing Consent `json:"marketing"`
}

// Consent is one consent as it stands: given or withdrawn, when, and how
// ("default": never asked, today's behaviour; "onboarding"; "api").
type Consent struct {
	Given bool      `json:"given"`
	At    time.Time `json:"at"`
	Via   string    `json:"via" validate:"oneof=default onboarding api"`
}

// PreferencesChanged: the customer changed the messages they accept, or
// their language; the snapshot carries both.
type PreferencesChanged struct{ Envelope }

// Topic implements Data.
func (PreferencesChanged) Topic() string { return TopicPreferencesChanged }

func (e PreferencesChanged) validate() error {
	if err := e.Envelope.validate(); err != nil {
		return err
	}
	if e.Customer.Preferences == nil {
		return errors.New("customer.preferences is required")
	}
	return nil
}

// Erased: the customer asked to be forgotten. The snapshot is the
// tombstone the customer service keeps (no name, email, phone or birth
// date); every service that holds anything about the customer erases it,
// and refuses later events about them.
type Erased struct{ Envelope }

// Topic implements Data.
func (Erased) Topic() string { return TopicErased }

// promotedWire is Promoted as it is written, and as the topic's schema
// describes it.
type promotedWire struct {
	promotedFields
	Customer       promotedSnapshot `json:"customer"`
	CustomerStatus string           `json:"customerStatus" validate:"omitempty,oneof=onboarded active inactive" doc:"the customer's status"`
}

// promotedFields are Promoted's fields without its JSON methods.
type promotedFields Promoted

// promotedSnapshot is the snapshot a promotion carries: its status is the
// new tier.
type promotedSnapshot struct {
	Customer
	Status string `json:"status" validate:"oneof=basic premium vip" doc:"the new tier, as the original's consumers read customer.status; the status is customerStatus"`
}

// MarshalJSON writes the new tier as the snapshot's status, for the
// original's consumers, and the status as customerStatus.
func (p Promoted) MarshalJSON() ([]byte, error) {
	return marshal(promotedWire{promotedFields: promotedFields(p), CustomerStatus: p.Customer.Status,
		Customer: promotedSnapshot{Customer: p.Customer, Status: p.NewTier}})
}

// UnmarshalJSON reads the status back from customerStatus; a version 1
// payload has none, and its snapshot's status is the status.
func (p *Promoted) UnmarshalJSON(b []byte) error {
	var w promotedWire
	if err := unmarshal(b, &w); err != nil {
		return err
	}
	*p = Promoted(w.promotedFields)
	p.Customer = w.Customer.Customer
	p.Customer.Status = cmp.Or(w.CustomerStatus, w.Customer.Status)
	return nil
}

func (e Promoted) validate() error {
	if err := e.Envelope.validate(); err != nil {
		return err
	}
	if e.NewTier == "" || e.NewTier != e.Customer.Tier {
		return errors.New("newTier must be set and match customer.tier")
	}
	return nil
}
