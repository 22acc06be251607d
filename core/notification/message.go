package notification

import (
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/pii"
)

// Channel is how a message travels.
type Channel string

// Channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// ParseChannel validates s.
func ParseChannel(s string) (Channel, error) {
	switch c := Channel(strings.ToLower(strings.TrimSpace(s))); c {
	case Email, SMS:
		return c, nil
	}
	return "", errors.New(`must be "email" or "sms"`)
}

// Limits on message sizes.
const (
	maxLabelLen   = 100
	maxSubjectLen = 200
	maxBodyLen    = 10_000
	maxSMSLen     = 918 // six concatenated 153-character GSM segments
)

// Content is a rendered message. Subject is empty for SMS.
type Content struct {
	Subject string
	Body    string
}

// RenderTemplate renders t for channel in lang.
func RenderTemplate(t Template, ch Channel, lang locale.Language, data map[string]string) (Content, error) {
	tx := t.Text(lang)
	if ch == SMS {
		return RenderAdHoc(SMS, "", tx.SMS, data)
	}
	return RenderAdHoc(Email, tx.Subject, tx.Body, data)
}

// RenderAdHoc renders a message written by the caller (the original's
// "Tu código de verificación: {{code}}") and checks it fits its channel: a
// subject on one line, bodies within size limits.
func RenderAdHoc(ch Channel, subject, body string, data map[string]string) (Content, error) {
	var c Content
	var bad fault.Fields
	missing := func(err error) {
		e, _ := fault.As(err)
		for _, f := range e.Fields {
			if !slices.Contains(bad, f) {
				bad = append(bad, f)
			}
		}
	}
	var err error
	if ch == Email {
		if c.Subject, err = Render(subject, data); err != nil {
			missing(err)
		}
	}
	if c.Body, err = Render(body, data); err != nil {
		missing(err)
	}
	if len(bad) > 0 {
		return Content{}, bad.Err("missing template data")
	}
	return c.checked(ch)
}

// RenderLabelled renders an email whose template is a label of the client's
// own (the original's clients name theirs, such as "welcome-template"):
// the subject with its placeholders filled, and a plain-text body of that
// subject, a blank line, then every data field as a "key: value" line, in
// key order. The data values are written as they are, never rendered.
func RenderLabelled(subject string, data map[string]string) (Content, error) {
	rendered, err := Render(subject, data)
	if err != nil {
		return Content{}, err
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var body strings.Builder
	body.WriteString(strings.TrimSpace(rendered))
	if len(keys) > 0 {
		body.WriteString("\n")
	}
	for _, k := range keys {
		body.WriteString("\n" + k + ": " + data[k])
	}
	return Content{Subject: rendered, Body: body.String()}.checked(Email)
}

// checked trims c's subject and checks c fits ch: a subject on one line,
// bodies within size limits.
func (c Content) checked(ch Channel) (Content, error) {
	var bad fault.Fields
	if ch == Email {
		c.Subject = strings.TrimSpace(c.Subject)
		bad.Check("subject", checkLine(c.Subject, maxSubjectLen))
	}
	limit := maxBodyLen
	if ch == SMS {
		limit = maxSMSLen
	}
	bad.Check("body", checkBody(c.Body, limit))
	if err := bad.Err("invalid message"); err != nil {
		return Content{}, err
	}
	return c, nil
}

// CheckLabel checks the name a client gives an ad-hoc message's template:
// one printable line of at most 100 characters.
func CheckLabel(label string) error { return checkLine(label, maxLabelLen) }

func checkLine(s string, max int) error {
	if err := checkBody(s, max); err != nil {
		return err
	}
	if strings.ContainsAny(s, "\r\n") {
		return errors.New("must be a single line")
	}
	return nil
}

func checkBody(s string, max int) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("is required")
	case !utf8.ValidString(s):
		return errors.New("must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		return errors.New("is too long")
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return errors.New("must not contain control characters")
		}
	}
	return nil
}

// ParseRecipient validates an address for ch: an email address or an E.164
// phone number.
func ParseRecipient(ch Channel, to string) (string, error) {
	if ch == SMS {
		p, err := pii.ParsePhone(to)
		return string(p), err
	}
	e, err := pii.ParseEmail(to)
	return string(e), err
}

// Status is the outcome of a delivery.
type Status string

// Statuses.
const (
	// Pending: about to be handed to the provider (an intent); a pending
	// delivery found later means the process stopped in between.
	Pending Status = "pending"
	Sent    Status = "sent"
	Failed  Status = "failed"
	// Unknown: the provider may have the message (a crash, or its answer
	// lost, after the handover) and cannot tell, since it ignores
	// idempotency keys. Never sent blindly: an operator checks with the
	// provider.
	Unknown Status = "unknown"
	// Skipped: not sent, and why is in Error (a stale event).
	Skipped Status = "skipped"
)

// ErrNotFound is the error of a delivery that is not there.
var ErrNotFound = fault.New(fault.NotFound, "notification.not_found", "notification not found")

// Cause names the event a delivery answers.
type Cause struct {
	EventID   string
	EventType string
}

// Delivery is one message sent, or that could not be sent, to one recipient.
type Delivery struct {
	// ID is also the idempotency key given to the provider, so a retried
	// send is not delivered twice.
	ID         string
	CustomerID string // empty for ad-hoc messages to unknown recipients
	Channel    Channel
	Recipient  string
	Template   string // empty for ad-hoc messages
	Language   locale.Language
	Content
	Status     Status
	Error      string // why a failed delivery failed
	ProviderID string // the provider's message id
	Cause      *Cause // nil for messages sent on an API request
	CreatedAt  time.Time
}

// Page is one page of deliveries and the cursor to the next ("" at the end).
type Page struct {
	Deliveries []Delivery
	Next       string
}

// Query selects deliveries, newest first.
type Query struct {
	CustomerID string
	Channel    Channel
}
