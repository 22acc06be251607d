package pii_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/core/pii"
)

func TestParseEmailAcceptsBareAddressesOnly(t *testing.T) {
	tests := []struct {
		name, in string
		want     pii.Email
		err      error
	}{
		{"a plain address is kept", "juan@example.com", "juan@example.com", nil},
		{"the domain is lower-cased, the local part kept", "John.Doe@Example.COM", "John.Doe@example.com", nil},
		{"surrounding spaces are trimmed", "  ana@example.es ", "ana@example.es", nil},
		{"plus addressing is allowed", "ana+bank@example.es", "ana+bank@example.es", nil},
		{"a display name is refused", "Juan <juan@example.com>", "", pii.ErrEmail},
		{"a missing at sign is refused", "juan.example.com", "", pii.ErrEmail},
		{"a domain without a dot is refused", "juan@localhost", "", pii.ErrEmail},
		{"a domain with a trailing dot is refused", "juan@example.", "", pii.ErrEmail},
		{"a domain with a leading dot is refused", "juan@.example.com", "", pii.ErrEmail},
		{"a domain with two dots in a row is refused", "juan@example..com", "", pii.ErrEmail},
		{"an address literal is refused", "juan@[127.0.0.1]", "", pii.ErrEmail},
		{"two addresses are refused", "a@example.com, b@example.com", "", pii.ErrEmail},
		{"empty text is refused", "", "", pii.ErrEmail},
		{"a header injection is refused", "a@example.com\r\nBcc: b@example.com", "", pii.ErrEmail},
		{"an address longer than SMTP allows is refused", strings.Repeat("a", 250) + "@example.com", "", pii.ErrEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pii.ParseEmail(tt.in)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("ParseEmail(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestParsePhoneAcceptsE164(t *testing.T) {
	tests := []struct {
		name, in string
		want     pii.Phone
		err      error
	}{
		{"the original README's number is valid", "+1234567890", "+1234567890", nil},
		{"a Spanish mobile is valid", "+34600111222", "+34600111222", nil},
		{"separators people type are removed", "+34 600-111.222", "+34600111222", nil},
		{"parentheses are removed", "+1 (415) 555-0100", "+14155550100", nil},
		{"fifteen digits is the longest number", "+123456789012345", "+123456789012345", nil},
		{"sixteen digits is too long", "+1234567890123456", "", pii.ErrPhone},
		{"seven digits is too short", "+1234567", "", pii.ErrPhone},
		{"a missing plus is refused", "34600111222", "", pii.ErrPhone},
		{"a zero country code is refused", "+0600111222", "", pii.ErrPhone},
		{"letters are refused", "+34600ABC222", "", pii.ErrPhone},
		{"empty text is refused", "", "", pii.ErrPhone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pii.ParsePhone(tt.in)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("ParsePhone(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestParseDocumentNumber(t *testing.T) {
	tests := []struct {
		in   string
		want pii.DocumentNumber
		err  error
	}{
		{"12345678z", "12345678Z", nil},
		{"X-1234567-L", "X-1234567-L", nil},
		{"abc", "", pii.ErrDocument},
		{"123456789012345678901", "", pii.ErrDocument},
		{"1234 5678", "", pii.ErrDocument},
	}
	for _, tt := range tests {
		got, err := pii.ParseDocumentNumber(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParseDocumentNumber(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestMaskingHidesAllButAHint(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"email keeps first letter and domain", pii.Email("juan@example.com").Masked(), "j***@example.com"},
		{"email without at sign is fully hidden", pii.Email("broken").Masked(), "***"},
		{"phone keeps prefix and last two digits", pii.Phone("+34600111222").Masked(), "+34*******22"},
		{"a too short phone is fully hidden", pii.Phone("+34").Masked(), "***"},
		{"document keeps last three", pii.DocumentNumber("12345678Z").Masked(), "******78Z"},
		{"a too short document is fully hidden", pii.DocumentNumber("12").Masked(), "***"},
		{"recipient email", pii.MaskRecipient("ana@example.es"), "a***@example.es"},
		{"recipient phone", pii.MaskRecipient("+34600111222"), "+34*******22"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoggingPersonalDataWritesOnlyTheMask(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("onboarded",
		"email", pii.Email("juan.perez@example.com"),
		"phone", pii.Phone("+34600111222"),
		"document", pii.DocumentNumber("12345678Z"))
	out := buf.String()
	for _, secret := range []string{"juan.perez@", "600111222", "12345678Z"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log line leaks %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "j***@example.com") {
		t.Fatalf("log line lacks the mask: %s", out)
	}
}

func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"juan@example.com", "Juan <j@e.com>", "a@b", "a@b.c\r\n", "@", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := pii.ParseEmail(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(string(e), "\r\n<> ,") {
			t.Fatalf("ParseEmail(%q) accepted %q", s, e)
		}
		again, err := pii.ParseEmail(string(e))
		if err != nil || again != e {
			t.Fatalf("ParseEmail is not idempotent on %q: %q, %v", e, again, err)
		}
	})
}

func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"+1234567890", "+34 600-111-222", "0034600", "+", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := pii.ParsePhone(s)
		if err != nil {
			return
		}
		if p[0] != '+' || len(p) > 16 {
			t.Fatalf("ParsePhone(%q) accepted %q", s, p)
		}
		if again, err := pii.ParsePhone(string(p)); err != nil || again != p {
			t.Fatalf("ParsePhone is not idempotent on %q", p)
		}
	})
}

func TestEveryAddressInFreeTextIsMasked(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a refusal quoting the recipient", "550 5.1.1 <ana.lopez@example.com>: no such user",
			"550 5.1.1 <a***@example.com>: no such user"},
		{"two addresses and punctuation", "from bob@example.org, to ana@example.com.", "from b***@example.org, to a***@example.com."},
		{"text without an address", "451 try again later", "451 try again later"},
		{"an address alone", "ana@example.com", "a***@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pii.MaskAddresses(tt.in); got != tt.want {
				t.Fatalf("MaskAddresses(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
