// Package sqlite implements the storage ports on SQLite through gorm: one
// database file per service, versioned migrations, a transactional outbox
// and an inbox of handled events in every schema.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"github.com/mattn/go-sqlite3"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gormsqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/fintechlabs/customers/ports"
)

//go:embed migrations
var migrations embed.FS

// Schema names a service's set of migrations.
type Schema string

// The schemas, one per service.
const (
	CustomerSchema      Schema = "customer"
	ProfilingSchema     Schema = "profiling"
	NotificationsSchema Schema = "notifications"
)

// DB is one service's database.
type DB struct {
	gorm *gorm.DB
	sql  *sql.DB
	// units queue writes for the one writer goroutine (see writer.go),
	// which commits them in groups. SQLite has a single writer anyway;
	// queueing here, where a waiter can give up when its context ends,
	// beats SQLite's sleep-and-poll busy handler.
	units   chan *unit
	quit    chan struct{} // closed by Close
	stopped chan struct{} // closed when the writer returned
	groups  atomic.Int64  // groups committed
	// checkpointed is done when the checkpoints goroutine returned.
	checkpointed sync.WaitGroup
	log          *slog.Logger
	// committed wakes the outbox relay after a commit that added events.
	committed chan struct{}
	clock     ports.Clock
	lock      *os.File
	closeOnce sync.Once
}

// Durability is SQLite's synchronous setting in WAL mode.
type Durability string

// Durabilities.
const (
	// Full syncs the log at every commit: a committed transaction survives
	// a power loss. The default.
	Full Durability = "full"
	// Normal syncs at checkpoints only: a process crash loses nothing, but
	// a power loss or an operating-system crash can lose the transactions
	// committed since the last checkpoint, whose answers and events may
	// already have gone out. About twice the write throughput.
	Normal Durability = "normal"
)

// ParseDurability validates s ("" is Full).
func ParseDurability(s string) (Durability, error) {
	switch d := Durability(strings.ToLower(strings.TrimSpace(s))); d {
	case "", Full:
		return Full, nil
	case Normal:
		return Normal, nil
	}
	return "", fmt.Errorf("SQLite durability %q is not full or normal", s)
}

// Options tune a database.
type Options struct {
	// Clock stamps bookkeeping rows (inbox, outbox, migrations).
	Clock ports.Clock
	// Durability is Full when empty.
	Durability Durability
}

// Open opens (creating if needed) the database file at path and brings its
// schema up to date. One process at a time may open a file: it relays the
// outbox, and two relays would publish it twice. Within the process, writes
// queue on DB.
func Open(ctx context.Context, path string, schema Schema, opts Options, log *slog.Logger) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	lock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	db, err := open(ctx, path, schema, opts, log)
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	db.lock = lock
	return db, nil
}

func open(ctx context.Context, path string, schema Schema, opts Options, log *slog.Logger) (*DB, error) {
	durability, err := ParseDurability(string(opts.Durability))
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", strings.ToUpper(string(durability)))
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	// BEGIN IMMEDIATE takes the write lock at the start, so two
	// read-modify-write transactions cannot deadlock upgrading their locks.
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	sqlDB := sql.OpenDB(newConnector(dsn))
	g, err := gorm.Open(gormsqlite.New(gormsqlite.Config{Conn: pool{sqlDB}}), &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		// Our statements are few and run constantly: prepare each once.
		PrepareStmt: true,
		Logger:      logger.Discard,
		NowFunc:     opts.Clock.Now,
	})
	if err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{gorm: g, sql: sqlDB, units: make(chan *unit, maxGroup), quit: make(chan struct{}), stopped: make(chan struct{}),
		committed: make(chan struct{}, 1), clock: opts.Clock, log: log}
	if err := db.migrate(ctx, schema, log); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	go db.writer()
	db.checkpointed.Add(1)
	go db.checkpoints()
	return db, nil
}

// openStore opens the database of schema and wraps it in a service's store
// type.
func openStore[S any](ctx context.Context, path string, schema Schema, opts Options, log *slog.Logger, wrap func(*DB) S) (S, error) {
	db, err := Open(ctx, path, schema, opts, log)
	if err != nil {
		var none S
		return none, err
	}
	return wrap(db), nil
}

// Close closes the database and lets another process open it.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { close(db.quit) })
	<-db.stopped
	db.checkpointed.Wait()
	err := db.sql.Close()
	if db.lock != nil {
		err = errors.Join(err, db.lock.Close()) // closing releases the lock
	}
	return err
}

// lockFile takes an exclusive lock on path's lock file, or says which
// process holds it.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open the lock of %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path + ".lock")
		_ = f.Close()
		return nil, fmt.Errorf("the database %s is in use by another process (%s): a SQLite database serves one process, "+
			"which relays its outbox; stop the other one, or run replicas on a server database", path, strings.TrimSpace(string(holder)))
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d\n", os.Getpid())), 0)
	return f, nil
}

// Ping checks the database answers; used by readiness probes.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// migrate applies the common migration and the schema's numbered files that
// are not yet recorded in schema_migrations, each in its own transaction.
func (db *DB) migrate(ctx context.Context, schema Schema, log *slog.Logger) error {
	if _, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/"+string(schema)+"/*.sql")
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no migrations for schema %q", schema)
	}
	common, err := fs.Glob(migrations, "migrations/common*.sql")
	if err != nil {
		return fmt.Errorf("list common migrations: %w", err)
	}
	sort.Strings(files)
	sort.Strings(common) // common.sql, then common_0002_..., in order
	files = append(common, files...)
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		body, err := migrations.ReadFile(f)
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
// it is recorded already. The check is inside the transaction, which takes
// the write lock at its start (BEGIN IMMEDIATE): two openers cannot both
// apply it. It goes through database/sql, not gorm: gorm prepares
// statements, and a prepared statement runs only the first statement of a
// multi-statement file.
func (db *DB) apply(ctx context.Context, name, script string) (bool, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE name = ?", name).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", name, db.clock.Now().UnixNano()); err != nil {
		return false, err
	}
	return true, tx.Commit()
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
	res, err := t.Statement.ConnPool.ExecContext(t.Statement.Context, query, args...)
	return res, translate(err)
}

// translate reports constraint violations as gorm's own calls do.
func translate(err error) error {
	var sq sqlite3.Error
	if errors.As(err, &sq) {
		switch sq.ExtendedCode {
		case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
			return gorm.ErrDuplicatedKey
		case sqlite3.ErrConstraintForeignKey:
			return gorm.ErrForeignKeyViolated
		}
	}
	return err
}

// storageError classifies an unexpected database error as retryable and
// keeps the context's own errors recognisable.
func storageError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s: %w", op, internal(err))
}
