package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/core/backoff"
)

// relayLock decides which replica relays the outbox: the one whose session
// holds a session-level advisory lock. The session is a connection of its
// own, outside the pool, which also LISTENs for the commits of every
// replica. When the holder dies its session ends, the server releases the
// lock, and another replica takes it at its next try (every LockEvery): the
// outbox is read in commit order again from the first unpublished event, so
// a customer's events keep their order across the takeover.
type relayLock struct {
	cfg     *pgx.ConnConfig
	key     int64
	channel string
	every   time.Duration
	held    atomic.Bool
	// tried is closed once the first try for the lock is over, whatever
	// its outcome.
	tried     chan struct{}
	triedOnce sync.Once
}

// run holds or waits for the lock until ctx ends, reconnecting when its
// session is lost.
func (l *relayLock) run(ctx context.Context, db *sqlstore.DB) {
	retry := backoff.Policy{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for failures := 0; ; failures++ {
		err := l.session(ctx, db)
		l.triedFirst()
		held := l.held.Swap(false)
		if ctx.Err() != nil {
			return // closing: the session's end released the lock
		}
		if held {
			db.Log().WarnContext(ctx, "this replica no longer relays the outbox", "error", err)
		}
		db.Log().WarnContext(ctx, "the relay lock's session ended; reconnecting", "error", err)
		if !backoff.Sleep(ctx, retry.Delay(failures)) {
			return
		}
	}
}

// triedFirst says the first try for the lock is over.
func (l *relayLock) triedFirst() { l.triedOnce.Do(func() { close(l.tried) }) }

// session connects, listens, and tries the lock until it holds it, then
// passes on notifications and checks the session, until either fails or
// ctx ends.
func (l *relayLock) session(ctx context.Context, db *sqlstore.DB) error {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return err
	}
	// Closing the session releases the lock.
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "LISTEN "+l.channel); err != nil {
		return err
	}
	for {
		if !l.held.Load() {
			var got bool
			if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", l.key).Scan(&got); err != nil {
				return err
			}
			if got {
				l.held.Store(true)
				db.Log().InfoContext(ctx, "this replica relays the outbox (it holds the relay lock)")
				db.Wake() // whatever the last holder left
			}
			l.triedFirst()
		}
		wait, cancel := context.WithTimeout(ctx, l.every)
		_, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			db.Wake()
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet for a while: make sure the session, and so the lock,
			// is still there.
			if err := conn.Ping(ctx); err != nil {
				return err
			}
		default:
			return err
		}
	}
}
