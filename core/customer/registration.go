package customer

import (
	"errors"
	"strings"
	"time"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/pii"
	"github.com/fintechlabs/customers/core/text"
	"github.com/fintechlabs/customers/core/tier"
)

// Limits on free text.
const (
	maxNameLen   = 100
	maxReasonLen = 500
)

// Registration is what a new customer tells us, as raw text. The original
// API accepts the name whole ("name") or in parts ("firstName", "lastName").
type Registration struct {
	Name           string
	FirstName      string
	LastName       string
	Email          string
	Phone          string
	DocumentType   string
	DocumentNumber string
	BirthDate      string // YYYY-MM-DD
	Language       string // "es" (default) or "en"
	// Channels and Marketing are the customer's preferences, optional:
	// every channel and marketing messages when left out (nil).
	Channels  []string
	Marketing *bool
}

// New validates r and returns an onboarded basic-tier customer with the
// events onboarding causes. Every invalid field is reported at once.
func New(id string, r Registration, now time.Time) (*Customer, []Event, error) {
	var bad fault.Fields
	c := &Customer{ID: id, Status: Onboarded, Tier: tier.Basic, CreatedAt: now}

	c.Name, c.FirstName, c.LastName = parseName(r, &bad)
	var err error
	if c.Email, err = pii.ParseEmail(r.Email); err != nil {
		bad.Add("email", required(r.Email, err))
	}
	if c.Phone, err = pii.ParsePhone(r.Phone); err != nil {
		bad.Add("phone", required(r.Phone, err))
	}
	c.Document = parseDocument(r.DocumentType, r.DocumentNumber, &bad)
	if r.BirthDate != "" {
		c.BirthDate, err = ParseBirthDate(r.BirthDate, now)
		bad.Check("birthDate", err)
	}
	c.Language, err = locale.Parse(r.Language)
	bad.Check("language", err)
	c.Preferences, _, err = PreferencesRequest{Channels: r.Channels, Marketing: r.Marketing}.
		apply(defaultPreferences(now), c.Language, now, ViaOnboarding)
	if e, ok := fault.As(err); ok {
		bad = append(bad, e.Fields...)
	}

	if err := bad.Err("invalid customer"); err != nil {
		return nil, nil, err
	}
	c.record(now, ActionOnboard, "", string(Onboarded), "onboarding", Manual)
	return c, []Event{Created{}, Joined{}}, nil
}

func required(value string, err error) string {
	if strings.TrimSpace(value) == "" {
		return "is required"
	}
	return err.Error()
}

func parseName(r Registration, bad *fault.Fields) (full, first, last string) {
	name := strings.TrimSpace(r.Name)
	first, last = strings.TrimSpace(r.FirstName), strings.TrimSpace(r.LastName)
	switch {
	case name != "" && (first != "" || last != ""):
		bad.Add("name", "give either name or firstName and lastName, not both")
		return "", "", ""
	case name != "":
		bad.Check("name", text.Check(name, maxNameLen))
		return name, "", ""
	case first == "" && last == "":
		bad.Add("name", "is required (or firstName and lastName)")
		return "", "", ""
	}
	if first == "" {
		bad.Add("firstName", "is required with lastName")
	} else {
		bad.Check("firstName", text.Check(first, maxNameLen))
	}
	if last == "" {
		bad.Add("lastName", "is required with firstName")
	} else {
		bad.Check("lastName", text.Check(last, maxNameLen))
	}
	return first + " " + last, first, last
}

func parseDocument(typ, number string, bad *fault.Fields) Document {
	typ = strings.ToUpper(strings.TrimSpace(typ))
	if typ == "" && strings.TrimSpace(number) == "" {
		return Document{}
	}
	if typ == "" {
		bad.Add("documentType", "is required with documentNumber")
	} else if !documentType(typ) {
		bad.Add("documentType", "must be 2 to 20 letters or underscores, such as DNI or PASSPORT")
	}
	n, err := pii.ParseDocumentNumber(number)
	if err != nil {
		bad.Add("documentNumber", required(number, err))
	}
	return Document{Type: typ, Number: n}
}

func documentType(s string) bool {
	if len(s) < 2 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && r != '_' {
			return false
		}
	}
	return true
}

// ParseBirthDate reads a YYYY-MM-DD date that lies between 1900 and now. An
// ISO 8601 date and time (the original accepted any, such as
// "1990-05-17T00:00:00.000Z") gives its date as written.
func ParseBirthDate(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		s = t.Format(time.DateOnly)
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errors.New("must be a date such as 1990-05-17")
	}
	if d.Year() < 1900 || d.After(now) {
		return time.Time{}, errors.New("must lie between 1900-01-01 and today")
	}
	return d, nil
}

// ValidateReason checks a free-text reason for a transition: optional, but
// bounded and printable.
func ValidateReason(reason string) error {
	if reason == "" {
		return nil
	}
	return requireReason(reason)
}

// requireReason is ValidateReason for transitions that need a reason.
func requireReason(reason string) error {
	if err := text.Check(reason, maxReasonLen); err != nil {
		var bad fault.Fields
		bad.Add("reason", err.Error())
		return bad.Err("invalid reason")
	}
	return nil
}
