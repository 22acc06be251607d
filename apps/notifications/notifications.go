// Package notifications wires the notifications service: its tracer, its
// database, its email and SMS senders, its use cases and its HTTP API,
// handed to the runner with the topics it publishes and consumes.
package notifications

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/fintechlabs/customers/adapters/circuit"
	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/devprovider"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/rest/notificationapi"
	"github.com/fintechlabs/customers/adapters/smtp"
	"github.com/fintechlabs/customers/adapters/sqlstore/deliverysql"
	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/adapters/uuidv7"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/runner"
	"github.com/fintechlabs/customers/apps/storage"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/notification/app"
	"github.com/fintechlabs/customers/ports/deliveries"
)

// Assembly is the notifications service, as the binaries run it.
var Assembly = runner.Assembly{Kind: config.Notifications, Settings: func(r *config.Reader) { read(r) }, Wire: New}

// Email providers.
const (
	EmailDevelopment = "development"
	EmailSMTP        = "smtp"
)

// settings are the notifications service's own.
type settings struct {
	// email is the email provider: EmailDevelopment (the mailbox) or
	// EmailSMTP, with smtp's settings.
	email string
	smtp  smtp.Options
	// development tunes the development provider, which sends SMS, and
	// email unless SMTP does: its latency, and the faults `make run` and
	// the tests inject into it.
	development devprovider.Options
}

func read(r *config.Reader) settings {
	s := settings{email: r.String("EMAIL_PROVIDER", EmailDevelopment)}
	s.smtp = smtp.Options{
		Addr: r.String("SMTP_ADDR", ""), From: r.String("SMTP_FROM", ""),
		Security: smtp.Security(r.String("SMTP_SECURITY", string(smtp.StartTLS))),
		Username: r.String("SMTP_USERNAME", ""), Password: r.Secret("SMTP_PASSWORD"),
		CAFile: r.String("SMTP_CA_FILE", ""), ServerName: r.String("SMTP_SERVER_NAME", ""),
		Timeout: r.Duration("SMTP_TIMEOUT", 30*time.Second), AllowPlaintextAuth: r.Bool("SMTP_ALLOW_PLAINTEXT_AUTH"),
	}
	switch s.email {
	case EmailDevelopment:
	case EmailSMTP:
		if _, err := smtp.New(s.smtp); err != nil {
			r.Problem("EMAIL_PROVIDER=smtp: %v", err)
		}
	default:
		r.Problem("EMAIL_PROVIDER %q is not %s or %s", s.email, EmailDevelopment, EmailSMTP)
	}
	s.development = devprovider.Options{
		Latency: r.Duration("DELIVERY_LATENCY", 0), FailureRate: r.Float("DELIVERY_FAILURE_RATE", 0),
		OutageFile: r.String("DELIVERY_OUTAGE_FILE", ""), BugFile: r.String("DELIVERY_BUG_FILE", ""),
		CrashAfter: r.Int("DELIVERY_CRASH_AFTER", 0),
	}
	if rate := s.development.FailureRate; rate < 0 || rate > 1 {
		r.Problem("DELIVERY_FAILURE_RATE must be between 0 and 1")
	}
	return s
}

// New builds the notifications service from cfg.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (svc *runner.Service, err error) {
	log = log.With("service", app.Source)
	r := cfg.Reader()
	own := read(r)
	if err := r.Err("notifications"); err != nil {
		return nil, err
	}
	tracer, err := tracing.New(ctx, app.Source, cfg.OTLPEndpoint)
	if err != nil {
		return nil, err
	}
	var closers []io.Closer
	defer func() {
		if err != nil {
			for _, c := range closers {
				_ = c.Close()
			}
			_ = tracer.Shutdown(ctx)
		}
	}()
	engine, err := storage.Engine(ctx, cfg, deliverysql.Schema)
	if err != nil {
		return nil, err
	}
	store, err := deliverysql.Open(ctx, engine, clock.UTC{}, tracer.Storage(), log)
	if err != nil {
		return nil, err
	}
	closers = append(closers, store)
	// SMS, and email unless an SMTP server is configured: the development
	// provider, whose mailbox lives in a file beside the database and is
	// served at /notifications/mailbox.
	box, err := devprovider.OpenMailbox(ctx, filepath.Join(filepath.Dir(cfg.Database), "mailbox.db"), log)
	if err != nil {
		return nil, err
	}
	closers = append(closers, box)
	provider := devprovider.NewProvider(box, clock.UTC{}, log, own.development)
	var email deliveries.EmailSender = provider
	if own.email == EmailSMTP {
		if email, err = smtp.New(own.smtp); err != nil {
			return nil, fmt.Errorf("EMAIL_PROVIDER=smtp: %w", err)
		}
		log.Info("email goes through SMTP", "server", own.smtp.Addr, "security", own.smtp.Security)
	}
	// Each provider behind a breaker of its own: a transient failure is
	// tried again at once, and a provider down for everyone is left
	// alone for a while.
	emailCircuit, smsCircuit := circuit.New("email", circuit.Defaults(), log), circuit.New("sms", circuit.Defaults(), log)
	uses := app.New(app.Storage{Deliveries: store, Inbox: store.Inbox(), Tx: store, Forget: store},
		circuit.NewEmail(email, emailCircuit), circuit.NewSMS(provider, smsCircuit), notification.Templates(),
		clock.UTC{}, uuidv7.Generator{}, log)

	svc, err = runner.New(ctx, runner.Parts{
		Name: app.Source, Config: cfg, Log: log, Clock: clock.UTC{}, Tracer: tracer,
		Store: store, Outbox: store.Outbox(), Closers: []io.Closer{box}, Circuits: []runner.Circuit{emailCircuit, smsCircuit},
		Emits: app.Emits, Consumes: app.Consumes, Handle: uses.Handle,
		Router: func(o rest.Options) http.Handler { return notificationapi.New(uses, o) },
		Routes: []rest.Route{{Method: http.MethodGet, Pattern: "/notifications/mailbox", Scope: rest.ScopeAdmin,
			Handler: devprovider.Handler(box, log), Summary: "What the development provider delivered, newest first",
			Query: []string{"to"}, Answer: devprovider.MailboxAnswer()}},
	})
	closers = nil // runner.New closes them if it fails
	return svc, err
}
