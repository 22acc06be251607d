// Package sqlstore implements the storage ports on SQL databases through
// gorm: the services' tables, a transactional outbox and an inbox of handled
// events in every schema, and versioned migrations. What differs between
// databases (connecting, the migrations' SQL, errors, who may relay the
// outbox) is an Engine, brought by adapters/sqlite and adapters/postgres.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/fintechlabs/customers/ports"
)

// Schema names a service's set of migrations.
type Schema string

// The schemas, one per service.
const (
	CustomerSchema      Schema = "customer"
	ProfilingSchema     Schema = "profiling"
	NotificationsSchema Schema = "notifications"
)

// Engine is what a SQL database brings to the stores; everything else is
// shared.
type Engine struct {
	// Name says which database it is, in errors.
	Name string
	// System names the kind of database ("sqlite", "postgresql"), in
	// span names.
	System string
	// SQL is the database. Open closes it when opening fails, and Close
	// closes it.
	SQL *sql.DB
	// Dialector is gorm's view of the database, over conn.
	Dialector func(conn gorm.ConnPool) gorm.Dialector
	// Migrations holds common*.sql, applied first, and a folder of
	// numbered files per schema.
	Migrations fs.FS
	// LockMigrations, if set, serialises migrating among processes that
	// open the database together (replicas starting at once).
	LockMigrations func(ctx context.Context) (unlock func(), err error)
	// Numbered says the driver takes $1, $2... rather than ?.
	Numbered bool
	// Prepare has each statement prepared once, on the database, and
	// reused by every transaction (see pool.go): for a driver that does
	// not cache prepared statements itself. It takes a second connection
	// to prepare on while a transaction holds one, so it suits a database
	// with one writer; pgx caches statements on each connection itself.
	Prepare bool
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
	// Leading, if set, says whether this process may relay the outbox now:
	// among replicas of a service, one at a time. Pending finds nothing
	// while it is false.
	Leading func() bool
	// Notify, if set, is a statement run in every transaction that adds
	// events while this process does not relay (Leading), to wake the
	// relay of the process that does at its commit.
	Notify string
	// Background runs until Close, in goroutines of their own (a
	// checkpointer, a relay lock holder).
	Background []func(ctx context.Context, db *DB)
	// Release, if set, runs last at Close (a file lock).
	Release func() error
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
	rebound   sync.Map // query with ? -> query with $n
	// trace, when set, starts a span for each unit of work.
	trace func(ctx context.Context, name string) (context.Context, func(error))
}

// Open brings the schema of the database engine holds up to date and
// returns it. The engine's database is closed if it fails.
func Open(ctx context.Context, engine Engine, schema Schema, clock ports.Clock, log *slog.Logger) (*DB, error) {
	var conn gorm.ConnPool = engine.SQL
	if engine.Prepare {
		conn = pool{engine.SQL}
	}
	g, err := gorm.Open(engine.Dialector(conn), &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		// Our statements are few and run constantly: prepare each once.
		PrepareStmt: engine.Prepare,
		Logger:      logger.Discard,
		NowFunc:     clock.Now,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open %s: %w", engine.Name, err), engine.SQL.Close(), release(engine))
	}
	db := &DB{gorm: g, engine: engine, units: make(chan *unit, maxGroup), quit: make(chan struct{}), stopped: make(chan struct{}),
		committed: make(chan struct{}, 1), clock: clock, log: log}
	if err := db.migrate(ctx, schema, log); err != nil {
		return nil, errors.Join(err, engine.SQL.Close(), release(engine))
	}
	if engine.GroupCommit {
		go db.writer()
	} else {
		close(db.stopped)
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	db.cancel = cancel
	for _, run := range engine.Background {
		db.background.Add(1)
		go func() {
			defer db.background.Done()
			run(bg, db)
		}()
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

// Trace has each unit of work traced: start starts a span, a child of the
// trace of the request or event the unit serves, and its function ends it
// with the unit's outcome. A span covers the wait for a shared commit. Call
// it before the database is used.
func (db *DB) Trace(start func(ctx context.Context, name string) (context.Context, func(error))) {
	db.trace = start
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

// Ping checks the database answers; used by readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.engine.SQL.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// migrate applies the common migrations and the schema's numbered files
// that are not yet recorded in schema_migrations, each in its own
// transaction.
func (db *DB) migrate(ctx context.Context, schema Schema, log *slog.Logger) error {
	if lock := db.engine.LockMigrations; lock != nil {
		unlock, err := lock(ctx)
		if err != nil {
			return fmt.Errorf("lock migrations: %w", err)
		}
		defer unlock()
	}
	if _, err := db.engine.SQL.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	files, err := fs.Glob(db.engine.Migrations, string(schema)+"/*.sql")
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no migrations for schema %q", schema)
	}
	common, err := fs.Glob(db.engine.Migrations, "common*.sql")
	if err != nil {
		return fmt.Errorf("list common migrations: %w", err)
	}
	sort.Strings(files)
	sort.Strings(common) // common.sql, then common_0002_..., in order
	for _, name := range append(common, files...) {
		body, err := fs.ReadFile(db.engine.Migrations, name)
		if err != nil {
			return fmt.Errorf("read migration %s: %w", name, err)
		}
		applied, err := db.apply(ctx, name, string(body))
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", name, err)
		}
		if applied {
			log.InfoContext(ctx, "migration applied", "schema", schema, "migration", name)
		}
	}
	return nil
}

// apply runs one migration file and records it, in one transaction, unless
// it is recorded already. The check is inside the transaction, and openers
// are serialised (SQLite's BEGIN IMMEDIATE, the engine's LockMigrations):
// two cannot both apply it. It goes through database/sql, not gorm: gorm
// prepares statements, and a prepared statement runs only the first
// statement of a multi-statement file.
func (db *DB) apply(ctx context.Context, name, script string) (bool, error) {
	tx, err := db.engine.SQL.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, db.rebind("SELECT count(*) FROM schema_migrations WHERE name = ?"), name).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, db.rebind("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)"), name, db.clock.Now().UnixNano()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// rebind writes query's ? placeholders as the engine takes them. Queries
// here have no ? inside string literals.
func (db *DB) rebind(query string) string {
	if !db.engine.Numbered {
		return query
	}
	if q, ok := db.rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	db.rebound.Store(query, b.String())
	return b.String()
}

// Transact implements ports.Transactor: the writes made with the context fn
// receives join one transaction, committed when fn returns nil.
func (db *DB) Transact(ctx context.Context, fn func(ctx context.Context) error) error {
	return db.write(ctx, func(t *tx) error { return fn(context.WithValue(ctx, txKey{db}, t)) })
}

// txKey finds a unit of work of db in a context.
type txKey struct{ db *DB }

// read returns a handle for queries: the unit of work of ctx, so that it
// sees its own writes, or else one outside any transaction.
func (db *DB) read(ctx context.Context) *gorm.DB {
	if t, ok := ctx.Value(txKey{db}).(*tx); ok {
		return t.DB
	}
	return db.gorm.WithContext(ctx)
}

// tx is a write transaction that counts the outbox rows it adds.
type tx struct {
	*gorm.DB
	db     *DB
	events int
}

// exec runs a statement in the transaction, prepared once per connection,
// without gorm's callbacks (see rows.go for the writes that go this way).
// Constraint violations are reported as gorm's own calls report them.
func (t *tx) exec(query string, args ...any) error {
	_, err := t.execResult(query, args...)
	return err
}

// execResult is exec with the statement's result.
func (t *tx) execResult(query string, args ...any) (sql.Result, error) {
	res, err := t.Statement.ConnPool.ExecContext(t.Statement.Context, t.db.rebind(query), args...)
	if err != nil && t.db.engine.Translate != nil {
		err = t.db.engine.Translate(err)
	}
	return res, err
}

// storageError classifies an unexpected database error as retryable and
// keeps the context's own errors recognisable.
func (db *DB) storageError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s: %w", op, db.internal(err))
}

// Prune deletes outbox rows published before cutoff, inbox entries handled
// before it and idempotent answers claimed before it, in small
// transactions, and reports how many rows went. Keep cutoff further back
// than the broker's retention: an event still in Kafka can still be
// redelivered, and its inbox entry is what makes the redelivery harmless.
func (db *DB) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	before := cutoff.UnixNano()
	steps := []struct{ what, sql string }{
		{"prune outbox", "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE published_at < ? LIMIT ?)"},
		{"prune inbox", "DELETE FROM inbox WHERE event_id IN (SELECT event_id FROM inbox WHERE handled_at < ? LIMIT ?)"},
		{"prune idempotency keys", "DELETE FROM idempotency WHERE id IN (SELECT id FROM idempotency WHERE claimed_at < ? LIMIT ?)"},
	}
	var total int64
	for _, step := range steps {
		for {
			var n int64
			err := db.write(ctx, func(t *tx) error {
				res := t.Exec(step.sql, before, pruneBatch)
				n = res.RowsAffected
				return db.storageError(step.what, res.Error)
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

// openStore opens the database of schema and wraps it in a service's store
// type.
func openStore[S any](ctx context.Context, engine Engine, schema Schema, clock ports.Clock, log *slog.Logger, wrap func(*DB) S) (S, error) {
	db, err := Open(ctx, engine, schema, clock, log)
	if err != nil {
		var none S
		return none, err
	}
	return wrap(db), nil
}
