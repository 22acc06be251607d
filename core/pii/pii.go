// Package pii holds personal data (email addresses, phone numbers, identity
// documents) as validated value types. Each type masks itself when logged
// through log/slog, so a full address never reaches a log line by accident.
package pii

import (
	"errors"
	"log/slog"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Validation errors.
var (
	ErrEmail    = errors.New("must be a valid email address such as juan@example.com")
	ErrPhone    = errors.New("must be an E.164 phone number such as +34600111222")
	ErrDocument = errors.New("must be 4 to 20 letters, digits or dashes")
)

// maxEmailLen is the longest address SMTP can carry (RFC 5321 path limit).
const maxEmailLen = 254

// Email is a validated address: no display name, lower-cased domain.
type Email string

// ParseEmail validates s as a bare address ("juan@example.com"; not
// "Juan <juan@example.com>") and lower-cases its domain.
func ParseEmail(s string) (Email, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxEmailLen {
		return "", ErrEmail
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", ErrEmail
	}
	local, domain, _ := strings.Cut(a.Address, "@")
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.ContainsAny(domain, "[]") {
		return "", ErrEmail
	}
	return Email(local + "@" + strings.ToLower(domain)), nil
}

// Masked keeps the first letter of the local part and the domain:
// "j***@example.com".
func (e Email) Masked() string {
	local, domain, ok := strings.Cut(string(e), "@")
	if !ok {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "***@" + domain
}

// LogValue implements slog.LogValuer.
func (e Email) LogValue() slog.Value { return slog.StringValue(e.Masked()) }

// Phone is an E.164 number: "+" then 8 to 15 digits, the first not zero.
type Phone string

// ParsePhone validates s as E.164. Spaces, dots, dashes and parentheses are
// removed first, since people type "+34 600-111-222".
func ParsePhone(s string) (Phone, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if len(clean) < 9 || len(clean) > 16 || clean[0] != '+' || clean[1] == '0' {
		return "", ErrPhone
	}
	for _, r := range clean[1:] {
		if r < '0' || r > '9' {
			return "", ErrPhone
		}
	}
	return Phone(clean), nil
}

// Masked keeps the country prefix's first digits and the last two:
// "+34*******22".
func (p Phone) Masked() string {
	s := string(p)
	if len(s) < 6 {
		return "***"
	}
	return s[:3] + strings.Repeat("*", len(s)-5) + s[len(s)-2:]
}

// LogValue implements slog.LogValuer.
func (p Phone) LogValue() slog.Value { return slog.StringValue(p.Masked()) }

// DocumentNumber is an identity document number (DNI, passport...).
type DocumentNumber string

// ParseDocumentNumber upper-cases s and checks it holds 4 to 20 letters,
// digits or dashes.
func ParseDocumentNumber(s string) (DocumentNumber, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) < 4 || len(s) > 20 {
		return "", ErrDocument
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' {
			return "", ErrDocument
		}
	}
	return DocumentNumber(s), nil
}

// Masked shows only the last three characters: "*****678Z".
func (d DocumentNumber) Masked() string {
	s := string(d)
	if len(s) <= 3 {
		return "***"
	}
	return strings.Repeat("*", len(s)-3) + s[len(s)-3:]
}

// LogValue implements slog.LogValuer.
func (d DocumentNumber) LogValue() slog.Value { return slog.StringValue(d.Masked()) }

// MaskAddresses masks every email address in free text, such as a mail
// server's refusal ("550 <ana@example.com>: no such user").
func MaskAddresses(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	delimiter := func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(`<>()[],;:"'`, r) }
	var b strings.Builder
	for s != "" {
		start := strings.IndexFunc(s, func(r rune) bool { return !delimiter(r) })
		if start < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:start])
		s = s[start:]
		end := strings.IndexFunc(s, delimiter)
		if end < 0 {
			end = len(s)
		}
		word := s[:end]
		if strings.Contains(word, "@") {
			word = Email(word).Masked()
		}
		b.WriteString(word)
		s = s[end:]
	}
	return b.String()
}

// MaskRecipient masks an email address or phone number given as plain text,
// for logs of messages whose channel is only known at run time.
func MaskRecipient(s string) string {
	if strings.Contains(s, "@") {
		return Email(s).Masked()
	}
	return Phone(s).Masked()
}
