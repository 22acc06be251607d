// Package smtp sends email through an SMTP server: a provider's submission
// port, a company relay, or Mailpit in development. It implements
// deliveries.EmailSender with one connection per message, STARTTLS or implicit
// TLS with verification, and AUTH PLAIN.
package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/fintechlabs/customers/adapters/tlsfiles"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/pii"
	"github.com/fintechlabs/customers/ports/deliveries"
)

// Security is how the connection to the server is protected.
type Security string

// Securities.
const (
	// StartTLS upgrades a plain connection (port 587); the default.
	StartTLS Security = "starttls"
	// ImplicitTLS speaks TLS from the start (port 465).
	ImplicitTLS Security = "tls"
	// None sends in clear: a catcher on loopback only.
	None Security = "none"
)

// Options configure a Sender.
type Options struct {
	// Addr is the server's host:port.
	Addr string
	// From is the sender, as the envelope and the From header give it.
	From     string
	Security Security
	// Username and Password, when set, authenticate with AUTH PLAIN.
	Username, Password string
	// CAFile is a PEM bundle to verify the server with, instead of the
	// system roots; ServerName overrides the name checked.
	CAFile, ServerName string
	// Timeout bounds one message: connecting, TLS and every command.
	Timeout time.Duration
	// AllowPlaintextAuth lets the password travel without TLS: for a test
	// server only.
	AllowPlaintextAuth bool
}

// Sender sends email over SMTP.
type Sender struct {
	opts   Options
	from   string // the bare address
	domain string // of From: the right side of every Message-ID
	tls    *tls.Config
}

var _ deliveries.EmailSender = (*Sender)(nil)

// New validates opts and returns a Sender. It does not connect: a server
// that is down makes sends fail as unavailable, and they are retried.
func New(opts Options) (*Sender, error) {
	if opts.Security == "" {
		opts.Security = StartTLS
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("SMTP address %q must be host:port", opts.Addr)
	}
	from, err := mail.ParseAddress(opts.From)
	if err != nil {
		return nil, fmt.Errorf("SMTP sender %q is not an email address: %w", opts.From, err)
	}
	s := &Sender{opts: opts, from: from.Address, domain: from.Address[strings.LastIndexByte(from.Address, '@')+1:]}
	switch opts.Security {
	case StartTLS, ImplicitTLS:
		s.tls = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
		if opts.ServerName != "" {
			s.tls.ServerName = opts.ServerName
		}
		if opts.CAFile != "" {
			if s.tls.RootCAs, err = tlsfiles.CertPool(opts.CAFile); err != nil {
				return nil, fmt.Errorf("SMTP TLS: %w", err)
			}
		}
	case None:
		if opts.Username != "" && !opts.AllowPlaintextAuth {
			return nil, errors.New("SMTP authentication without TLS sends the password in clear: set SMTP_SECURITY to starttls or tls " +
				"(or SMTP_ALLOW_PLAINTEXT_AUTH=true for a test server)")
		}
	default:
		return nil, fmt.Errorf("SMTP security %q is not starttls, tls or none", opts.Security)
	}
	if (opts.Username == "") != (opts.Password == "") {
		return nil, errors.New("SMTP username and password must be given together")
	}
	return s, nil
}

// SendEmail implements deliveries.EmailSender. The Message-ID is derived from
// the delivery's id, so a message sent again after a crash is recognisable
// as the same one; it is also the returned provider id. A permanent refusal
// (5xx: a bounced address, a rejected message) is fault.Invalid; anything
// that may pass later (4xx, the server unreachable, TLS or login refused:
// settings to fix) is fault.Unavailable.
func (s *Sender) SendEmail(ctx context.Context, m deliveries.Email) (string, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil || strings.ContainsAny(m.To, "\r\n") {
		return "", fault.Invalidf("the recipient %q is not an email address", m.To)
	}
	id := "<" + m.ID + "@" + s.domain + ">"
	msg, err := s.compose(id, to.Address, m)
	if err != nil {
		return "", err
	}
	if err := s.send(ctx, to.Address, msg); err != nil {
		return "", classify(err)
	}
	return id, nil
}

// send delivers msg over one connection.
func (s *Sender) send(ctx context.Context, to string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return err
	}
	_ = conn.SetDeadline(deadline)
	var c *gosmtp.Client
	switch s.opts.Security {
	case ImplicitTLS:
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return err
		}
		c = gosmtp.NewClient(tc)
	case StartTLS:
		if c, err = gosmtp.NewClientStartTLS(conn, s.tls); err != nil {
			_ = conn.Close()
			return err
		}
	default:
		c = gosmtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = time.Until(deadline), time.Until(deadline)
	if s.opts.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.opts.Username, s.opts.Password)); err != nil {
			return &authError{err}
		}
	}
	if err := c.Mail(s.from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err // a message without its end is not taken
	}
	if err := w.Close(); err != nil {
		var answered *gosmtp.SMTPError
		if errors.As(err, &answered) {
			return err // the server answered: it did not take the message
		}
		return fmt.Errorf("%w: %w", deliveries.ErrOutcomeUnknown, err)
	}
	// The server answered 250 to the message: it is the server's to
	// deliver, whatever becomes of QUIT (a failed or dropped one must not
	// make a sent message look unsent, and be sent again).
	_ = c.Quit()
	return nil
}

// compose writes the message: plain text in UTF-8, quoted-printable.
func (s *Sender) compose(id, to string, m deliveries.Email) ([]byte, error) {
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, fault.Invalidf("the subject holds a line break")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Message-ID: %s\r\nDate: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\n", id,
		time.Now().UTC().Format(time.RFC1123Z), s.opts.From, to, mime.QEncoding.Encode("utf-8", m.Subject))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(m.Body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// authError is a login the server refused: our settings, not the message.
type authError struct{ err error }

func (a *authError) Error() string {
	return "SMTP authentication failed (check SMTP_USERNAME, SMTP_PASSWORD): " + a.err.Error()
}
func (a *authError) Unwrap() error { return a.err }

// classify turns a failed send into the fault the notifier acts on.
func classify(err error) error {
	var auth *authError
	var refused *gosmtp.SMTPError
	switch {
	case errors.As(err, &auth):
		return fault.Wrap(fault.Unavailable, err, "the SMTP server refused our login")
	case errors.As(err, &refused) && refused.Code >= 500:
		// A refusal often quotes the recipient ("<ana@example.com>: no
		// such user"): it goes into logs, deliveries and answers.
		e := fault.Invalidf("the SMTP server refused the message: %d %s", refused.Code, pii.MaskAddresses(refused.Message))
		e.Code = "notification.refused"
		return e
	case errors.As(err, &refused):
		return fault.Wrap(fault.Unavailable, errors.New(pii.MaskAddresses(err.Error())), "the SMTP server is unavailable")
	}
	return fault.Wrap(fault.Unavailable, err, "the SMTP server is unavailable")
}
