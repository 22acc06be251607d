package devprovider

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver of the mailbox file

	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/core/fault"
)

// FileMailbox keeps the mailbox in a SQLite file of its own, so that what
// the provider accepted survives restarts, as a real provider's log would,
// and a redelivered message is still recognised by its idempotency key.
type FileMailbox struct {
	db     *sql.DB
	writes sync.Mutex // one writer: SQLite's own, without its busy polling
}

var _ Mailbox = (*FileMailbox)(nil)

// OpenMailbox opens (creating if needed) the mailbox file at path.
func OpenMailbox(ctx context.Context, path string) (*FileMailbox, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create mailbox directory: %w", err)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_stmt_cache_size", "16")
	q.Set("_secure_delete", "on") // an erased customer's messages leave no copy in the free space
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open mailbox %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS mailbox (
		idempotency_key TEXT    PRIMARY KEY,
		provider_id     TEXT    NOT NULL UNIQUE,
		channel         TEXT    NOT NULL,
		recipient       TEXT    NOT NULL,
		subject         TEXT    NOT NULL DEFAULT '',
		body            TEXT    NOT NULL,
		accepted_at     INTEGER NOT NULL,
		attempts        INTEGER NOT NULL DEFAULT 1);
		CREATE INDEX IF NOT EXISTS mailbox_recipient ON mailbox (recipient, accepted_at)`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("create the mailbox in %s: %w", path, err)
	}
	return &FileMailbox{db: db}, nil
}

// Forget implements Mailbox, and empties the log, which holds the pages as
// they were before.
func (b *FileMailbox) Forget(ctx context.Context, recipients []string) error {
	b.writes.Lock()
	defer b.writes.Unlock()
	for _, r := range recipients {
		if _, err := b.db.ExecContext(ctx, "DELETE FROM mailbox WHERE recipient = ?", r); err != nil {
			return unavailable("forget messages", err)
		}
	}
	if err := sqlite.Purge(ctx, b.db); err != nil {
		return unavailable("forget messages", err)
	}
	return nil
}

// Close closes the file.
func (b *FileMailbox) Close() error { return b.db.Close() }

// Accept implements Mailbox: one statement, which stores the message or
// counts one more attempt, and returns what is stored.
func (b *FileMailbox) Accept(ctx context.Context, m Mail) (Mail, bool, error) {
	b.writes.Lock()
	defer b.writes.Unlock()
	rows, err := b.db.QueryContext(ctx, `INSERT INTO mailbox (idempotency_key, provider_id, channel, recipient, subject, body, accepted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO UPDATE SET attempts = attempts + 1 RETURNING `+mailColumns,
		m.IdempotencyKey, m.ProviderID, m.Channel, m.Recipient, m.Subject, m.Body, m.AcceptedAt.UnixNano())
	if err != nil {
		return Mail{}, false, unavailable("accept mail", err)
	}
	defer rows.Close()
	// Read to the end: the statement then commits in its last step, where
	// SQLite checkpoints the log every 1,000 pages. Closed after its row,
	// it commits as it is reset, which checkpoints nothing, and the log
	// grew for as long as the process ran (180 MB over 10,000 messages).
	var stored Mail
	found := false
	for rows.Next() {
		if stored, err = scanMail(rows); err != nil {
			return Mail{}, false, unavailable("accept mail", err)
		}
		found = true
	}
	if err := rows.Err(); err != nil || !found {
		return Mail{}, false, unavailable("accept mail", cmp.Or(err, sql.ErrNoRows))
	}
	return stored, stored.Attempts == 1, nil
}

// List implements Mailbox.
func (b *FileMailbox) List(ctx context.Context, recipient string, limit int) ([]Mail, error) {
	query, args := selectMail+" ORDER BY accepted_at DESC LIMIT ?", []any{limit}
	if recipient != "" {
		query, args = selectMail+" WHERE recipient = ? ORDER BY accepted_at DESC LIMIT ?", []any{recipient, limit}
	}
	rows, err := b.db.QueryContext(ctx, query, args...)
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
