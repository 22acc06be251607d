package postgres

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
//
// A holder that stops without closing its connection (a frozen VM, kill
// -STOP) would keep the session, and the lock, for ever: so the session
// speaks at least every LockEvery, and the server ends it when it has been
// silent for idle (idle_session_timeout, PostgreSQL 14 and later). When the
// old holder resumes, its session is gone: at most a batch it had read
// goes out again, as copies of events already published (relays publish
// in commit order and mark only what the broker took), which inboxes drop.
type relayLock struct {
	cfg     *pgx.ConnConfig
	key     int64
	channel string
	every   time.Duration
	idle    time.Duration
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
	conn, err := l.connect(ctx, db)
	if err != nil {
		return err
	}
	// Closing the session releases the lock.
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "LISTEN "+l.channel); err != nil {
		return err
	}
	spoke := time.Now()
	for {
		if time.Since(spoke) >= l.every {
			// Speak, however busy with notifications: a silent session is
			// taken for a hung holder's.
			if err := conn.Ping(ctx); err != nil {
				return err
			}
			spoke = time.Now()
		}
		if !l.held.Load() {
			var got bool
			if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", l.key).Scan(&got); err != nil {
				return err
			}
			spoke = time.Now()
			if got {
				l.held.Store(true)
				db.Log().InfoContext(ctx, "this replica relays the outbox (it holds the relay lock)")
				db.Wake() // whatever the last holder left
			}
			l.triedFirst()
		}
		wait, cancel := context.WithTimeout(ctx, l.every-time.Since(spoke))
		_, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			db.Wake()
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Time to speak (above): that checks the session, and so the
			// lock, is still there.
		default:
			return err
		}
	}
}

// connect opens the lock's session, which the server ends once it has
// been silent for l.idle. A server older than PostgreSQL 14 has no such
// setting: the session is opened without it, and a hung holder keeps the
// lock until its connection dies.
func (l *relayLock) connect(ctx context.Context, db *sqlstore.DB) (*pgx.Conn, error) {
	cfg := l.cfg.Copy()
	cfg.RuntimeParams["idle_session_timeout"] = strconv.FormatInt(l.idle.Milliseconds(), 10)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "42704" { // undefined_object: unrecognized configuration parameter
		db.Log().WarnContext(ctx, "PostgreSQL older than 14: a relay holder that hangs keeps the outbox until its connection dies", "error", err)
		return pgx.ConnectConfig(ctx, l.cfg)
	}
	return conn, err
}
