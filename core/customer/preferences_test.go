package customer_test

import (
	"errors"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/tier"
)

func TestOnboardingKeepsTodaysDefaultsUnlessPreferencesAreStated(t *testing.T) {
	no := false
	tests := []struct {
		name                  string
		channels              []string
		marketing             *bool
		email, sms, marketed  bool
		emailVia, marketedVia string
	}{
		{"nothing stated: everything, never asked", nil, nil, true, true, true, customer.ViaDefault, customer.ViaDefault},
		{"email only, no marketing", []string{"email"}, &no, true, false, false, customer.ViaOnboarding, customer.ViaOnboarding},
		{"no channel at all", []string{}, nil, false, false, true, customer.ViaOnboarding, customer.ViaDefault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := juan()
			r.Channels, r.Marketing = tt.channels, tt.marketing
			c, _, err := customer.New("c1", r, now)
			if err != nil {
				t.Fatal(err)
			}
			p := c.Preferences
			if p.Email.Given != tt.email || p.SMS.Given != tt.sms || p.Marketing.Given != tt.marketed ||
				p.Email.Via != tt.emailVia || p.Marketing.Via != tt.marketedVia || !p.Email.At.Equal(now) {
				t.Fatalf("preferences = %+v", p)
			}
		})
	}
	r := juan()
	r.Channels = []string{"pigeon"}
	if _, _, err := customer.New("c1", r, now); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("an unknown channel: %v", err)
	}
}

func TestChangingPreferencesRecordsTheConsentAndItsHistory(t *testing.T) {
	c := mustNew(t, customer.Active, tier.Basic)
	later := now.Add(time.Hour)
	no, en := false, "en"
	events, err := c.SetPreferences(later, customer.PreferencesRequest{Channels: []string{"email"}, Marketing: &no, Language: &en})
	if err != nil || len(events) != 1 {
		t.Fatalf("SetPreferences = %v, %v", events, err)
	}
	if _, ok := events[0].(customer.PreferencesChanged); !ok {
		t.Fatalf("event %T", events[0])
	}
	p := c.Preferences
	if !p.Email.Given || p.SMS.Given || p.Marketing.Given || c.Language != locale.English ||
		p.SMS.Via != customer.ViaAPI || !p.SMS.At.Equal(later) || !p.Email.At.Equal(later) {
		t.Fatalf("preferences = %+v, language %s", p, c.Language)
	}
	last := c.Changes()[len(c.Changes())-1]
	if last.Action != customer.ActionPreferences || last.From != "email+sms, marketing, es" || last.To != "email, no marketing, en" {
		t.Fatalf("history entry %+v", last)
	}
	version := c.Version
	if events, err := c.SetPreferences(later.Add(time.Hour), customer.PreferencesRequest{Channels: []string{"email"}}); err != nil || events != nil ||
		c.Version != version || !c.Preferences.Email.At.Equal(later) {
		t.Fatalf("a request that changes nothing: %v, %v, version %d, %+v", events, err, c.Version, c.Preferences.Email)
	}
	bad := "fr"
	if _, err := c.SetPreferences(later, customer.PreferencesRequest{Language: &bad}); fault.KindOf(err) != fault.Invalid || c.Version != version {
		t.Fatalf("a bad language: %v, version %d", err, c.Version)
	}
	if _, err := c.Erase(later); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetPreferences(later, customer.PreferencesRequest{Marketing: &no}); !errors.Is(err, customer.ErrErased) {
		t.Fatalf("an erased customer's preferences: %v", err)
	}
}
