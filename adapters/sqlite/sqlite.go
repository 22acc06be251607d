// Package sqlite is the SQLite engine of the stores (adapters/sqlstore): one
// database file per service, served by one process, whose writes are
// committed in groups by one writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"
	gormsqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/fintechlabs/customers/adapters/sqlstore"
)

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

// New locks the database file at path (creating it and its directory if
// needed) and returns SQLite as the stores see it, to open a service's
// store on (customersql.Open, ...). One process at a time may open a file:
// it relays the outbox, and two relays would publish it twice.
func New(path string, durability Durability) (sqlstore.Engine, error) {
	engine, err := Shared(path, durability)
	if err != nil {
		return sqlstore.Engine{}, err
	}
	lock, err := lockFile(path)
	if err != nil {
		return sqlstore.Engine{}, errors.Join(err, engine.SQL.Close())
	}
	engine.Release = lock.Close // closing releases the lock
	return engine, nil
}

// Shared returns SQLite as New does, without taking the file: for tables
// that several processes may open together and that no outbox is relayed
// from (the development mailbox, which replicas share as they would share a
// provider). SQLite takes turns between the processes' writers.
func Shared(path string, durability Durability) (sqlstore.Engine, error) {
	durability, err := ParseDurability(string(durability))
	if err != nil {
		return sqlstore.Engine{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return sqlstore.Engine{}, fmt.Errorf("create database directory: %w", err)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", strings.ToUpper(string(durability)))
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	// 512 KiB of page cache per connection rather than SQLite's 2 MiB: the
	// interior pages of the indexes a write walks, and the last leaves
	// where rows are appended, fit. With 256 KiB they did not, once the
	// tables held some thousands of rows: SQLite read them from the
	// operating system again (pread took 4% of all CPU). End to end,
	// medians of eight in turns: 1,812 to 1,969 completed/s, 0.89 to 0.81
	// ms of CPU per onboarding, peak RSS 148 to 159 MB. 1, 2 and 4 MiB
	// gained nothing more, for up to 47 MB more of peak memory.
	q.Set("_cache_size", "-512")
	// BEGIN IMMEDIATE takes the write lock at the start, so two
	// read-modify-write transactions cannot deadlock upgrading their locks.
	q.Set("_txlock", "immediate")
	// Deleted content is overwritten with zeros, so an erased customer's
	// rows leave no copy in the file's free space.
	q.Set("_secure_delete", "on")
	// Each connection keeps the statements it prepared (more than a
	// service runs): one onboarding's write from 64 callers took 92 µs and
	// 107 allocations with it, 96 µs and 121 with gorm's cache of prepared
	// statements over database/sql's (BenchmarkCreateCustomersFrom64Callers).
	q.Set("_stmt_cache_size", "64")
	db := sql.OpenDB(newConnector("file:" + path + "?" + q.Encode()))
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return sqlstore.Engine{
		Name:        "SQLite database " + path,
		SQL:         db,
		System:      "sqlite",
		Dialector:   gormsqlite.New(gormsqlite.Config{Conn: db}),
		Translate:   translate,
		Unavailable: unavailable,
		GroupCommit: true,
		// The log holds the pages as they were before an erasure until it
		// is copied back and emptied.
		Purge:      Purge,
		Background: []func(context.Context, *sqlstore.DB){checkpoints},
	}, nil
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
			"which relays its outbox; stop the other one, or run replicas on PostgreSQL (DATABASE_URL)", path, strings.TrimSpace(string(holder)))
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d\n", os.Getpid())), 0)
	return f, nil
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

// unavailable reports the errors of a database that is there but cannot
// take the work now: another process holds it, the disk is full.
func unavailable(err error) bool {
	var sq sqlite3.Error
	if !errors.As(err, &sq) {
		return false
	}
	switch sq.Code {
	case sqlite3.ErrBusy, sqlite3.ErrLocked, sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrCantOpen:
		return true
	}
	return false
}
