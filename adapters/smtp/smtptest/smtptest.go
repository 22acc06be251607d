// Package smtptest runs a real SMTP server (go-smtp) inside a test, with TLS
// from certificates made by test/certs, AUTH PLAIN, and recipients it
// treats apart on purpose: bounce@ is refused for good (550, quoting the
// address), busy@ for now (451); a message to hangup@ is taken (250), then
// the connection drops at QUIT; one to silent@ is taken, but the
// connection drops before the server answers it.
package smtptest

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/fintechlabs/customers/test/certs"
)

// The credentials the server accepts.
const (
	User     = "app"
	Password = "app-secret"
)

// Server is a running server and what it accepted.
type Server struct {
	// Addr is its host:port on loopback.
	Addr string
	// CAFile verifies its certificate; OtherCAFile signed nothing here.
	CAFile, OtherCAFile string

	mu  sync.Mutex
	got []Message
	// hangup drops the connection at its next read: the command after a
	// message to hangup@ was answered.
	hangup atomic.Bool
}

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data string // headers and body, as sent
}

// Serve starts a server that offers STARTTLS, or speaks TLS from the first
// byte when implicit, and stops it when the test ends.
func Serve(t testing.TB, implicit bool) *Server {
	t.Helper()
	dir := t.TempDir()
	if err := certs.Write(dir); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.pem"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{CAFile: filepath.Join(dir, "ca.pem"), OtherCAFile: filepath.Join(dir, "other-ca.pem")}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) { return &session{s: s, conn: c}, nil }))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	ln = hangups{ln, s}
	if implicit {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Received returns the messages accepted so far.
func (s *Server) Received() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.got...)
}

// hangups accepts connections that drop when the server says so.
type hangups struct {
	net.Listener
	s *Server
}

func (l hangups) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return hangupConn{c, l.s}, nil
}

type hangupConn struct {
	net.Conn
	s *Server
}

func (c hangupConn) Read(b []byte) (int, error) {
	if c.s.hangup.CompareAndSwap(true, false) {
		_ = c.Conn.Close()
		return 0, io.EOF
	}
	return c.Conn.Read(b)
}

type session struct {
	s    *Server
	conn *gosmtp.Conn
	from string
	to   []string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, u, p string) error {
		if u != User || p != Password {
			return errors.New("invalid credentials")
		}
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *gosmtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "bounce@"):
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "<" + to + ">: no such mailbox"}
	case strings.HasPrefix(to, "busy@"):
		return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.got = append(x.s.got, Message{From: x.from, To: x.to, Data: string(raw)})
	x.s.mu.Unlock()
	for _, to := range x.to {
		switch {
		case strings.HasPrefix(to, "hangup@"):
			x.s.hangup.Store(true) // once this message is answered
		case strings.HasPrefix(to, "silent@"):
			_ = x.conn.Conn().Close() // before it is answered
		}
	}
	return nil
}

func (x *session) Reset() { x.from, x.to = "", nil }

func (x *session) Logout() error { return nil }
