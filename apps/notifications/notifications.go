// Package notifications is the notifications service's composition root:
// which storage, which broker, which email and SMS senders, which routes.
package notifications

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/devprovider"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/adapters/smtp"
	"github.com/fintechlabs/customers/adapters/uuidv7"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/runner"
	"github.com/fintechlabs/customers/apps/storage"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/notifier"
	"github.com/fintechlabs/customers/ports"
)

// New assembles the notifications service from cfg.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*runner.Service, error) {
	log = log.With("service", notifier.Source)

	store, err := storage.OpenDeliveries(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	// SMS, and email unless an SMTP server is configured: the development
	// provider, whose mailbox lives in a file beside the database and is
	// served at /notifications/mailbox.
	box, err := devprovider.OpenMailbox(ctx, filepath.Join(filepath.Dir(cfg.Database), "mailbox.db"))
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	provider := devprovider.NewProvider(box, clock.UTC{}, log, devprovider.Options{Latency: cfg.DeliveryLatency,
		FailureRate: cfg.DeliveryFailureRate, OutageFile: cfg.DeliveryOutageFile, BugFile: cfg.DeliveryBugFile, CrashAfter: cfg.DeliveryCrashAfter})
	var email ports.EmailSender = provider
	if cfg.EmailProvider == config.EmailSMTP {
		if email, err = smtp.New(cfg.SMTP); err != nil {
			_ = box.Close()
			_ = store.Close()
			return nil, err
		}
		log.Info("email goes through SMTP", "server", cfg.SMTP.Addr, "security", cfg.SMTP.Security)
	}
	svc := notifier.New(notifier.Storage{Deliveries: store.Deliveries(), Inbox: store.Inbox(), Tx: store}, email, provider, notification.Templates(), clock.UTC{}, uuidv7.Generator{}, log)

	return runner.New(ctx, runner.Parts{
		Name: notifier.Source, Config: cfg, Log: log, Clock: clock.UTC{},
		Store: store, Outbox: store.Outbox(), Closers: []io.Closer{box},
		Emits: notifier.Emits, Consumes: notifier.Consumes, Handle: svc.Handle,
		Router: func(o rest.Options) http.Handler { return rest.NotificationsRouter(svc, o) },
		Routes: []rest.Route{{Method: http.MethodGet, Pattern: "/notifications/mailbox", Handler: devprovider.Handler(box, log),
			Summary: "What the development provider delivered, newest first", Query: []string{"to"}, Answer: devprovider.MailboxAnswer()}},
	})
}
