// Package sqlstore is what every service's store shares on a SQL database
// through gorm: a unit of work (one transaction, group-committed where the
// database has one writer), a transactional outbox and an inbox of handled
// events, the answers kept for idempotency keys, and versioned migrations
// (goose). Each service's own tables and queries are in a package of its
// own (customersql, profilesql, deliverysql); what differs between
// databases (connecting, errors, who may relay the outbox) is an Engine,
// brought by adapters/sqlite and adapters/postgres.
//
// The database is reached one way: SQL written out, run through gorm's
// connection pool and transactions, rows scanned into their fields (see
// Conn). Parameters are $1, $2..., which SQLite and PostgreSQL both take;
// they are numbered in the order they first appear (SQLite numbers named
// parameters so).
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/ports"
)

// Engine is what a SQL database brings to the stores; everything else is
// shared.
type Engine struct {
	// Name says which database it is, in errors.
	Name string
	// System names the kind of database, "sqlite" or "postgresql": in span
	// names, and which of a schema's migration folders applies.
	System string
	// SQL is the database. Open closes it when opening fails, and Close
	// closes it.
	SQL *sql.DB
	// Dialector is gorm's view of SQL.
	Dialector gorm.Dialector
	// Translate reports the driver's constraint violations as
	// gorm.ErrDuplicatedKey and gorm.ErrForeignKeyViolated.
	Translate func(error) error
	// Unavailable reports an error that says the database cannot take the
	// work now (busy, locked, full, a serialisation failure): retried by
	// callers, and a 503 for API clients.
	Unavailable func(error) bool
	// Invalid, if set, reports an error that says a value cannot be
	// stored as given (PostgreSQL's text holds no NUL character and only
	// valid UTF-8): the caller's fault, a 422 for API clients and a
	// dead letter for consumers, not a failure to retry.
	Invalid func(error) bool
	// RowLocks says the database locks the rows a transaction reads with
	// FOR UPDATE (SQLite has one writer, and no such clause).
	RowLocks bool
	// GroupCommit sends every write to one writer goroutine that commits
	// the waiting ones together (see writer.go): for a database with one
	// writer. Otherwise each unit of work is a transaction of its own.
	GroupCommit bool
	// MigrationLock, if not 0, is the key of the advisory lock (PostgreSQL's)
	// under which replicas that start together migrate one at a time.
	MigrationLock int64
	// Leading, if set, says whether this process may relay the outbox now:
	// among replicas of a service, one at a time. Pending finds nothing
	// while it is false.
	Leading func() bool
	// OrderEvents and Horizon, if set, keep the relay, which reads past a
	// cursor, from reading past an event whose transaction is still in
	// flight (a lower sequence number committed later would be skipped),
	// for a database whose transactions run side by side. OrderEvents is
	// run in every transaction before it adds its first event, taking a
	// lock that writers share until they commit; Horizon is run before the
	// relay reads, in the same transaction, and waits for that lock
	// alone: for the writers in flight to end, while new ones wait for
	// the read.
	OrderEvents, Horizon string
	// Purge, if set, leaves no copy of deleted rows in the database's
	// files (run after an erasure commits).
	Purge func(ctx context.Context, db *sql.DB) error
	// Notify, if set, is a statement run in every transaction that adds
	// events while this process does not relay (Leading), to wake the
	// relay of the process that does at its commit.
	Notify string
	// Background runs until Close, in goroutines of their own (a
	// checkpointer, a relay lock holder).
	Background []func(ctx context.Context, db *DB)
	// Settle, if set, waits at the end of Open until the background work
	// knows what serving needs (whether this replica relays: a lone
	// process relays from its first request).
	Settle func(ctx context.Context)
	// Release, if set, runs last at Close (a file lock).
	Release func() error
}

// Schema is one service's tables: its name, and its migrations, in a
// folder migrations/<Engine.System> ("sqlite", "postgresql") each,
// numbered from 100 on (the shared tables' are 1 to 99).
type Schema struct {
	Name       string
	Migrations fs.FS
	// Bare leaves out the shared tables: for a database that publishes no
	// events and consumes none (the development mailbox).
	Bare bool
}

// DB is one service's database.
type DB struct {
	gorm   *gorm.DB
	engine Engine
	// units queue writes for the one writer goroutine when the engine
	// commits in groups (see writer.go); queueing here, where a waiter can
	// give up when its context ends, beats a sleep-and-poll busy handler.
	units   chan *unit
	quit    chan struct{} // closed by Close
	stopped chan struct{} // closed when the writer returned
	commits atomic.Int64  // transactions (or groups) committed
	// background is done when the engine's goroutines returned.
	background sync.WaitGroup
	cancel     context.CancelFunc
	log        *slog.Logger
	// committed wakes the outbox relay after a commit that added events.
	committed chan struct{}
	clock     ports.Clock
	closeOnce sync.Once
	closeErr  error
	// trace, when set, starts a span for each unit of work.
	trace Tracer
	work  work
}

// Tracer starts a span for a unit of work, a child of the trace of the
// request or event the unit serves, and its function ends it with the
// unit's outcome.
type Tracer func(ctx context.Context, name string) (context.Context, func(error))

// Open brings the shared tables and schema's of the database engine holds
// up to date and returns it; trace, when not nil, gives each unit of work
// a span (one covers the wait for a shared commit). The engine's database
// is closed if it fails.
func Open(ctx context.Context, engine Engine, schema Schema, clock ports.Clock, trace Tracer, log *slog.Logger) (*DB, error) {
	// Prepared statements are the drivers' to cache: pgx's on each
	// connection, and go-sqlite3's with the _stmt_cache_size its engine sets.
	g, err := gorm.Open(engine.Dialector, &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		Logger:                 logger.Discard,
		NowFunc:                clock.Now,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: %w", engine.Name, err), engine.SQL.Close(), release(engine))
	}
	db := &DB{gorm: g, engine: engine, units: make(chan *unit, maxGroup), quit: make(chan struct{}), stopped: make(chan struct{}),
		committed: make(chan struct{}, 1), clock: clock, log: log, trace: trace}
	if err := migrate(ctx, engine, schema, log); err != nil {
		return nil, errors.Join(fmt.Errorf("migrate %s: %w", engine.Name, err), engine.SQL.Close(), release(engine))
	}
	if err := db.countIndexes(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("read the indexes of %s: %w", engine.Name, err), engine.SQL.Close(), release(engine))
	}
	if engine.GroupCommit {
		go db.writer()
	} else {
		close(db.stopped)
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	db.cancel = cancel
	for _, run := range engine.Background {
		db.background.Go(func() { run(bg, db) })
	}
	if engine.Settle != nil {
		engine.Settle(ctx)
	}
	return db, nil
}

func release(e Engine) error {
	if e.Release == nil {
		return nil
	}
	return e.Release()
}

// Close stops the writer and the engine's goroutines and closes the
// database.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.quit)
		<-db.stopped
		db.cancel()
		db.background.Wait()
		db.closeErr = errors.Join(db.engine.SQL.Close(), release(db.engine))
	})
	return db.closeErr
}

// SQL returns the database, for an engine's own statements.
func (db *DB) SQL() *sql.DB { return db.engine.SQL }

// Commits returns how many transactions (or groups of units) committed.
func (db *DB) Commits() int64 { return db.commits.Load() }

// Wake wakes the outbox relay, as a commit that added events does.
func (db *DB) Wake() {
	select {
	case db.committed <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Log returns the database's logger.
func (db *DB) Log() *slog.Logger { return db.log }

// Clock returns the clock that stamps the database's bookkeeping rows.
func (db *DB) Clock() ports.Clock { return db.clock }

// Ping checks the database answers; used by readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.engine.SQL.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Transact implements ports.Transactor: the writes made with the context fn
// receives join one transaction, committed when fn returns nil.
func (db *DB) Transact(ctx context.Context, fn func(ctx context.Context) error) error {
	return db.Write(ctx, func(t *Tx) error { return fn(context.WithValue(ctx, txKey{db}, t)) })
}

var _ ports.Transactor = (*DB)(nil)

// txKey finds a unit of work of db in a context.
type txKey struct{ db *DB }

// Error classifies an unexpected database error of operation op as
// retryable (or as invalid input, or as the database being unavailable, as
// the engine tells), and keeps the context's own errors and those already
// classified (a domain rule a change returned) as they are.
func (db *DB) Error(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if _, ok := fault.As(err); ok {
		return err
	}
	if db.engine.Invalid != nil && db.engine.Invalid(err) {
		return fmt.Errorf("%s: %w", op, fault.New(fault.Invalid, "validation",
			"a value holds text that cannot be stored: it must be valid UTF-8, without NUL characters").With("", err))
	}
	if db.engine.Unavailable != nil && db.engine.Unavailable(err) {
		// The database is there but cannot take the work now (another
		// process holds it, the disk is full): an infrastructure fault,
		// which callers retry and API clients are told to retry.
		return fmt.Errorf("%s: %w", op, fault.Wrap(fault.Unavailable, err, "the database is unavailable"))
	}
	return fmt.Errorf("%s: %w", op, fault.Wrap(fault.Internal, err, "storage failure"))
}

// Prune deletes outbox rows published before cutoff, inbox entries handled
// before it and idempotent answers claimed before it, in small
// transactions, and reports how many rows went. Keep cutoff further back
// than the broker's retention: an event still in Kafka can still be
// redelivered, and its inbox entry is what makes the redelivery harmless.
func (db *DB) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	before := cutoff.UnixNano()
	steps := []struct{ what, sql string }{
		// The outbox's oldest events, by sequence, that are published (at
		// or before the cursor) and happened before the cutoff: the head
		// of the table, so no other row is read.
		{"prune outbox", `DELETE FROM outbox WHERE seq IN (SELECT seq FROM (SELECT seq, occurred_at FROM outbox ORDER BY seq LIMIT ` + batch + `) AS head
			WHERE occurred_at < $1 AND seq <= (SELECT seq FROM outbox_cursor))`},
		{"prune inbox", "DELETE FROM inbox WHERE event_id IN (SELECT event_id FROM inbox WHERE handled_at < $1 LIMIT " + batch + ")"},
		{"prune idempotency keys", "DELETE FROM idempotency WHERE id IN (SELECT id FROM idempotency WHERE claimed_at < $1 LIMIT " + batch + ")"},
	}
	var total int64
	for _, step := range steps {
		for {
			var n int64
			err := db.Write(ctx, func(t *Tx) (err error) {
				n, err = t.Exec(step.sql, before)
				return db.Error(step.what, err)
			})
			if err != nil {
				return total, err
			}
			total += n
			if n < pruneBatch {
				break
			}
		}
	}
	return total, nil
}

// pruneBatch is how many rows one pruning transaction deletes: the write
// lock is held only briefly, so requests and consumers are not kept waiting.
const pruneBatch = 1000

var batch = strconv.Itoa(pruneBatch)
