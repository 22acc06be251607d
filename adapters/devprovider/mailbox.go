package devprovider

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/core/fault"
)

// FileMailbox keeps the mailbox in a SQLite file of its own, so that what
// the provider accepted survives restarts, as a real provider's log would,
// and a redelivered message is still recognised by its idempotency key. It
// is reached as the services' databases are (adapters/sqlstore), and its
// messages share commits as their writes do.
type FileMailbox struct{ db *sqlstore.DB }

var _ Mailbox = (*FileMailbox)(nil)

//go:embed migrations
var migrations embed.FS

// OpenMailbox opens (creating if needed) the mailbox file at path, which
// several processes may share.
func OpenMailbox(ctx context.Context, path string, log *slog.Logger) (*FileMailbox, error) {
	engine, err := sqlite.Shared(path, sqlite.Full)
	if err != nil {
		return nil, fmt.Errorf("open mailbox %s: %w", path, err)
	}
	db, err := sqlstore.Open(ctx, engine, sqlstore.Schema{Name: "mailbox", Migrations: migrations, Bare: true}, clock.UTC{}, nil, log)
	if err != nil {
		return nil, fmt.Errorf("open mailbox %s: %w", path, err)
	}
	return &FileMailbox{db: db}, nil
}

// Forget implements Mailbox, and empties the log, which holds the pages as
// they were before.
func (b *FileMailbox) Forget(ctx context.Context, recipients []string) error {
	err := b.db.Write(ctx, func(t *sqlstore.Tx) error {
		for _, r := range recipients {
			if _, err := t.Exec("DELETE FROM mailbox WHERE recipient = $1", r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return unavailable("forget messages", err)
	}
	return unavailable("forget messages", b.db.Purge(ctx))
}

// Close closes the file.
func (b *FileMailbox) Close() error { return b.db.Close() }

// Accept implements Mailbox: one statement, which stores the message or
// counts one more attempt, and returns what is stored.
func (b *FileMailbox) Accept(ctx context.Context, m Mail) (Mail, bool, error) {
	var stored Mail
	err := b.db.Write(ctx, func(t *sqlstore.Tx) (err error) {
		stored, err = scanMail(t.QueryRow(`INSERT INTO mailbox (idempotency_key, provider_id, channel, recipient, subject, body, accepted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO UPDATE SET attempts = attempts + 1 RETURNING `+mailColumns,
			m.IdempotencyKey, m.ProviderID, m.Channel, m.Recipient, m.Subject, m.Body, m.AcceptedAt.UnixNano()))
		return err
	})
	if err != nil {
		return Mail{}, false, unavailable("accept mail", err)
	}
	return stored, stored.Attempts == 1, nil
}

// List implements Mailbox.
func (b *FileMailbox) List(ctx context.Context, recipient string, limit int) ([]Mail, error) {
	query, args := selectMail+" ORDER BY accepted_at DESC LIMIT $1", []any{limit}
	if recipient != "" {
		query, args = selectMail+" WHERE recipient = $1 ORDER BY accepted_at DESC LIMIT $2", []any{recipient, limit}
	}
	rows, err := b.db.Conn(ctx).Query(query, args...)
	if err != nil {
		return nil, unavailable("list mail", err)
	}
	defer rows.Close()
	var out []Mail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, unavailable("list mail", err)
		}
		out = append(out, m)
	}
	return out, unavailable("list mail", rows.Err())
}

const (
	mailColumns = `idempotency_key, provider_id, channel, recipient, subject, body, accepted_at, attempts`
	selectMail  = `SELECT ` + mailColumns + ` FROM mailbox`
)

func scanMail(row interface{ Scan(...any) error }) (Mail, error) {
	var m Mail
	var at int64
	err := row.Scan(&m.IdempotencyKey, &m.ProviderID, &m.Channel, &m.Recipient, &m.Subject, &m.Body, &at, &m.Attempts)
	m.AcceptedAt = time.Unix(0, at).UTC()
	return m, err
}

// unavailable marks a mailbox failure as the provider being down for now:
// the sender retries.
func unavailable(op string, err error) error {
	if err == nil {
		return nil
	}
	return fault.Wrap(fault.Unavailable, err, "the development provider could not "+op)
}

// MemoryMailbox keeps the mailbox in memory, for tests.
type MemoryMailbox struct {
	mu    sync.Mutex
	mail  []Mail
	byKey map[string]int
}

var _ Mailbox = (*MemoryMailbox)(nil)

// NewMemoryMailbox returns an empty mailbox.
func NewMemoryMailbox() *MemoryMailbox { return &MemoryMailbox{byKey: map[string]int{}} }

// Accept implements Mailbox.
func (b *MemoryMailbox) Accept(_ context.Context, m Mail) (Mail, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if i, ok := b.byKey[m.IdempotencyKey]; ok {
		b.mail[i].Attempts++
		return b.mail[i], false, nil
	}
	m.Attempts = 1
	b.byKey[m.IdempotencyKey] = len(b.mail)
	b.mail = append(b.mail, m)
	return m, true, nil
}

// List implements Mailbox.
func (b *MemoryMailbox) List(_ context.Context, recipient string, limit int) ([]Mail, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Mail
	for _, m := range slices.Backward(b.mail) {
		if len(out) == limit {
			break
		}
		if recipient == "" || m.Recipient == recipient {
			out = append(out, m)
		}
	}
	return out, nil
}

// Forget implements Mailbox.
func (b *MemoryMailbox) Forget(_ context.Context, recipients []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := b.mail[:0]
	for _, m := range b.mail {
		if !slices.Contains(recipients, m.Recipient) {
			kept = append(kept, m)
		}
	}
	b.mail = kept
	clear(b.byKey)
	for i, m := range b.mail {
		b.byKey[m.IdempotencyKey] = i
	}
	return nil
}
