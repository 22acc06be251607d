package smtp_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/smtp"
	"github.com/fintechlabs/customers/adapters/smtp/smtptest"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/ports/deliveries"
)

func sender(t *testing.T, o smtp.Options) *smtp.Sender {
	t.Helper()
	if o.From == "" {
		o.From = "Fintech <no-reply@fintech.example>"
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	s, err := smtp.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAMessageIsDeliveredOverTLSWithItsIdAsMessageID(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		name, security := "STARTTLS", smtp.StartTLS
		if implicit {
			name, security = "implicit TLS", smtp.ImplicitTLS
		}
		t.Run(name, func(t *testing.T) {
			srv := smtptest.Serve(t, implicit)
			s := sender(t, smtp.Options{Addr: srv.Addr, Security: security, CAFile: srv.CAFile, Username: smtptest.User, Password: smtptest.Password})
			m := deliveries.Email{ID: "0190aa-welcome", To: "ana@example.com", Subject: "¡Bienvenida, Ana!", Body: "Hola Ana,\nya eres clienta. Código: 4711"}
			id, err := s.SendEmail(context.Background(), m)
			if err != nil {
				t.Fatal(err)
			}
			got := srv.Received()
			if len(got) != 1 || got[0].From != "no-reply@fintech.example" || len(got[0].To) != 1 || got[0].To[0] != "ana@example.com" {
				t.Fatalf("the server received %+v", got)
			}
			msg, err := mail.ReadMessage(strings.NewReader(got[0].Data))
			if err != nil {
				t.Fatal(err)
			}
			subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
			if want := "<0190aa-welcome@fintech.example>"; msg.Header.Get("Message-ID") != want || id != want {
				t.Errorf("Message-ID %q, returned id %q, want %q for both", msg.Header.Get("Message-ID"), id, want)
			}
			if subject != m.Subject || strings.TrimRight(string(body), "\r\n") != strings.ReplaceAll(m.Body, "\n", "\r\n") {
				t.Errorf("subject %q, body %q", subject, body)
			}
		})
	}
}

func TestWhatTheServerRefusesIsClassifiedForTheNotifier(t *testing.T) {
	srv := smtptest.Serve(t, false)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := closed.Addr().String()
	_ = closed.Close()
	ca, other, user, password := srv.CAFile, srv.OtherCAFile, smtptest.User, smtptest.Password
	tests := []struct {
		name string
		opts smtp.Options
		to   string
		want fault.Kind
	}{
		{"a bounced address is refused for good", smtp.Options{Addr: srv.Addr, CAFile: ca, Username: user, Password: password}, "bounce@example.com", fault.Invalid},
		{"a busy server is unavailable for now", smtp.Options{Addr: srv.Addr, CAFile: ca, Username: user, Password: password}, "busy@example.com", fault.Unavailable},
		{"a wrong password is a setting to fix, not the message's fault", smtp.Options{Addr: srv.Addr, CAFile: ca, Username: user, Password: "wrong"}, "ana@example.com", fault.Unavailable},
		{"a server signed by an untrusted CA is not spoken to", smtp.Options{Addr: srv.Addr, CAFile: other, Username: user, Password: password}, "ana@example.com", fault.Unavailable},
		{"a server that is down is unavailable", smtp.Options{Addr: nobody, CAFile: ca}, "ana@example.com", fault.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Received())
			_, err := sender(t, tt.opts).SendEmail(context.Background(), deliveries.Email{ID: "x", To: tt.to, Subject: "s", Body: "b"})
			if fault.KindOf(err) != tt.want {
				t.Fatalf("error %v is %v, want %v", err, fault.KindOf(err), tt.want)
			}
			if after := len(srv.Received()); after != before {
				t.Fatal("a refused message was delivered")
			}
		})
	}
}

func TestUnsafeOrBrokenSettingsAreRefusedAtStart(t *testing.T) {
	tests := []struct {
		name string
		opts smtp.Options
		want string
	}{
		{"a password in clear", smtp.Options{Addr: "mail:25", From: "a@b.c", Security: smtp.None, Username: "u", Password: "p"}, "in clear"},
		{"an address without a port", smtp.Options{Addr: "mail", From: "a@b.c"}, "host:port"},
		{"a sender that is no address", smtp.Options{Addr: "mail:587", From: "nobody"}, "not an email address"},
		{"a username without a password", smtp.Options{Addr: "mail:587", From: "a@b.c", Username: "u"}, "together"},
		{"an unknown security", smtp.Options{Addr: "mail:587", From: "a@b.c", Security: "ssl3"}, "starttls, tls or none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := smtp.New(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestAHeaderCannotBeInjected(t *testing.T) {
	s := sender(t, smtp.Options{Addr: "127.0.0.1:1", Security: smtp.None})
	for _, m := range []deliveries.Email{
		{ID: "x", To: "ana@example.com\r\nBcc: all@example.com", Subject: "s", Body: "b"},
		{ID: "x", To: "ana@example.com", Subject: "s\r\nBcc: all@example.com", Body: "b"},
	} {
		if _, err := s.SendEmail(context.Background(), m); fault.KindOf(err) != fault.Invalid {
			t.Errorf("%+v: %v, want invalid before any connection", m, err)
		}
	}
}

func TestAMessageTheServerTookIsSentAndOneWhoseAnswerWasLostMayBe(t *testing.T) {
	srv := smtptest.Serve(t, false)
	opts := smtp.Options{Addr: srv.Addr, CAFile: srv.CAFile, Username: smtptest.User, Password: smtptest.Password}
	t.Run("a QUIT dropped after the server took the message changes nothing", func(t *testing.T) {
		before := len(srv.Received())
		id, err := sender(t, opts).SendEmail(context.Background(), deliveries.Email{ID: "quit", To: "hangup@example.com", Subject: "s", Body: "b"})
		if err != nil || id == "" {
			t.Fatalf("SendEmail = %q, %v; want the message sent", id, err)
		}
		if len(srv.Received()) != before+1 {
			t.Fatal("the server did not get the message")
		}
	})
	t.Run("a connection lost before the server answered the message may have sent it", func(t *testing.T) {
		_, err := sender(t, opts).SendEmail(context.Background(), deliveries.Email{ID: "lost", To: "silent@example.com", Subject: "s", Body: "b"})
		if fault.KindOf(err) != fault.Unavailable || !errors.Is(err, deliveries.ErrOutcomeUnknown) {
			t.Fatalf("error %v (%v); want unavailable, and the outcome unknown", err, fault.KindOf(err))
		}
	})
	t.Run("a server that never took the message says so", func(t *testing.T) {
		_, err := sender(t, opts).SendEmail(context.Background(), deliveries.Email{ID: "busy", To: "busy@example.com", Subject: "s", Body: "b"})
		if fault.KindOf(err) != fault.Unavailable || errors.Is(err, deliveries.ErrOutcomeUnknown) {
			t.Fatalf("error %v; want unavailable, known not sent", err)
		}
	})
	t.Run("a refusal that quotes the address is masked", func(t *testing.T) {
		_, err := sender(t, opts).SendEmail(context.Background(), deliveries.Email{ID: "bounce", To: "bounce@example.com", Subject: "s", Body: "b"})
		if fault.KindOf(err) != fault.Invalid || strings.Contains(err.Error(), "bounce@example.com") || !strings.Contains(err.Error(), "b***@example.com") {
			t.Fatalf("error %q; want the refusal with the address masked", err)
		}
	})
}
