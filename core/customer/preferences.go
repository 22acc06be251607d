package customer

import (
	"slices"
	"strings"
	"time"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/locale"
)

// Channels a customer may accept messages on.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// How a consent was given or withdrawn.
const (
	// ViaDefault: never asked; today's behaviour holds (every channel and
	// marketing messages accepted), as for the original's customers.
	ViaDefault = "default"
	// ViaOnboarding: stated when the customer was onboarded.
	ViaOnboarding = "onboarding"
	// ViaAPI: changed later, through the customer API.
	ViaAPI = "api"
)

// Consent is one consent as it stands: given or withdrawn, when, and how.
type Consent struct {
	Given bool
	At    time.Time
	Via   string
}

// Preferences are the messages a customer agrees to receive: on which
// channels, and whether marketing ones too. Transactional messages go on
// every accepted channel; marketing ones only with Marketing given.
type Preferences struct {
	Email, SMS, Marketing Consent
}

// defaultPreferences are today's behaviour: everything accepted, never asked.
func defaultPreferences(now time.Time) Preferences {
	given := Consent{Given: true, At: now, Via: ViaDefault}
	return Preferences{Email: given, SMS: given, Marketing: given}
}

// Accepts reports whether the customer accepts messages on channel.
func (p Preferences) Accepts(channel string) bool {
	switch channel {
	case ChannelEmail:
		return p.Email.Given
	case ChannelSMS:
		return p.SMS.Given
	}
	return false
}

// String sums the preferences up for the history: "email+sms, marketing".
func (p Preferences) String() string {
	var channels []string
	if p.Email.Given {
		channels = append(channels, ChannelEmail)
	}
	if p.SMS.Given {
		channels = append(channels, ChannelSMS)
	}
	s := strings.Join(channels, "+")
	if s == "" {
		s = "no channel"
	}
	if p.Marketing.Given {
		return s + ", marketing"
	}
	return s + ", no marketing"
}

// PreferencesRequest is a change of preferences as a client states it:
// each field optional, nil leaving it as it is.
type PreferencesRequest struct {
	Channels  []string // the channels accepted, all of them: ["email", "sms"], ["email"], []
	Language  *string
	Marketing *bool
}

// apply validates r and returns p changed by it, at now, via how.
func (r PreferencesRequest) apply(p Preferences, language locale.Language, now time.Time, via string) (Preferences, locale.Language, error) {
	var bad fault.Fields
	if r.Channels != nil {
		for _, ch := range r.Channels {
			if ch != ChannelEmail && ch != ChannelSMS {
				bad.Add("channels", `each must be "email" or "sms"`)
				break
			}
		}
		p.Email = consent(p.Email, slices.Contains(r.Channels, ChannelEmail), now, via)
		p.SMS = consent(p.SMS, slices.Contains(r.Channels, ChannelSMS), now, via)
	}
	if r.Marketing != nil {
		p.Marketing = consent(p.Marketing, *r.Marketing, now, via)
	}
	if r.Language != nil {
		l, err := locale.Parse(*r.Language)
		bad.Check("language", err)
		language = l
	}
	return p, language, bad.Err("invalid preferences")
}

// consent is c as given (or withdrawn) at now via how; unchanged when it
// already stands so, keeping when and how it was given.
func consent(c Consent, given bool, now time.Time, via string) Consent {
	if c.Given == given && c.Via != ViaDefault {
		return c
	}
	return Consent{Given: given, At: now, Via: via}
}

// SetPreferences changes the customer's preferences and language as r
// says. A request that changes nothing records nothing and returns no
// events. Errors: fault.Invalid for a bad channel or language; ErrErased.
func (c *Customer) SetPreferences(now time.Time, r PreferencesRequest) ([]Event, error) {
	if c.Status == Erased {
		return nil, ErrErased
	}
	p, language, err := r.apply(c.Preferences, c.Language, now, ViaAPI)
	if err != nil {
		return nil, err
	}
	if p == c.Preferences && language == c.Language {
		return nil, nil
	}
	from := c.Preferences.String() + ", " + string(c.Language)
	c.Preferences, c.Language = p, language
	c.record(now, ActionPreferences, from, p.String()+", "+string(language), "preferences changed", Manual)
	return []Event{PreferencesChanged{}}, nil
}
