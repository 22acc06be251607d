// Package postgres is the PostgreSQL engine of the stores
// (adapters/sqlstore), for services that run as several replicas on one
// database: transactions run side by side, migrations are applied under an
// advisory lock, and one replica at a time relays the outbox, woken by
// LISTEN/NOTIFY.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	gormpostgres "gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/fintechlabs/customers/adapters/sqlstore"
)

// Options tune a database.
type Options struct {
	// URL is the database, postgres://user:password@host:port/name?... (a
	// search_path parameter puts the service's tables in a schema of
	// their own).
	URL string
	// MaxConns bounds the connections of the pool (default 10), besides
	// the one that holds the relay lock.
	MaxConns int
	// StatementTimeout ends a statement that runs longer (default 5s; the
	// server's own setting when negative).
	StatementTimeout time.Duration
	// LockEvery is how often a replica that does not relay tries to take
	// over the relay, and checks its lock is still held (default 1s).
	LockEvery time.Duration
	// LockSilence is how long the relay lock's holder may be silent (hung,
	// stopped) before the server ends its session and another replica
	// takes over the relay (default 10s; PostgreSQL 14 and later), and how
	// long a transaction may stand idle before the server ends it, with
	// the locks it holds: a replica stopped in the middle of one holds up
	// the rows it locked and the relay's reads no longer than that.
	LockSilence time.Duration
}

// ParseURL checks url names a PostgreSQL database, without connecting.
func ParseURL(url string) error {
	_, err := pgx.ParseConfig(url)
	return err
}

// New connects to the database opts names and returns PostgreSQL as the
// stores of service (a sqlstore.Schema's Name) see it, to open the
// service's store on (customersql.Open, ...).
func New(ctx context.Context, service string, opts Options) (sqlstore.Engine, error) {
	cfg, err := pgx.ParseConfig(opts.URL)
	if err != nil {
		return sqlstore.Engine{}, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if opts.StatementTimeout == 0 {
		opts.StatementTimeout = 5 * time.Second
	}
	if opts.StatementTimeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "customers-" + service
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 10
	}
	if opts.LockEvery <= 0 {
		opts.LockEvery = time.Second
	}
	if opts.LockSilence <= 0 {
		opts.LockSilence = 10 * time.Second
	}
	cfg.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(opts.LockSilence.Milliseconds(), 10)
	where := "PostgreSQL database " + cfg.Database + " at " + net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// The keys of the advisory locks and the notification channel are
	// those of this service's tables: its database and schema.
	var database, current string
	if err := db.QueryRowContext(ctx, "SELECT current_database(), current_schema()").Scan(&database, &current); err != nil {
		_ = db.Close()
		return sqlstore.Engine{}, fmt.Errorf("connect to the %s: %w", where, err)
	}
	if current == "" {
		_ = db.Close()
		return sqlstore.Engine{}, fmt.Errorf("the %s has no schema to create tables in: create the schema its search_path names", where)
	}
	tables := database + "." + current + "." + service
	relay := &relayLock{cfg: cfg.Copy(), key: lockKey("relay " + tables), every: opts.LockEvery, idle: opts.LockSilence, tried: make(chan struct{}),
		channel: fmt.Sprintf("customers_outbox_%x", uint64(lockKey("channel "+tables)))}
	return sqlstore.Engine{
		Name:          where,
		SQL:           db,
		System:        "postgresql",
		Dialector:     gormpostgres.New(gormpostgres.Config{Conn: db}),
		MigrationLock: lockKey("migrations " + tables),
		// Whether this replica relays is known before it serves: a lone
		// process relays from the start.
		Settle: func(ctx context.Context) {
			select {
			case <-relay.tried:
			case <-ctx.Done():
			case <-time.After(10 * time.Second):
			}
		},
		RowLocks:    true,
		Translate:   translate,
		Invalid:     invalid,
		Unavailable: unavailable,
		Leading:     relay.held.Load,
		Notify:      "SELECT pg_notify('" + relay.channel + "', '')",
		OrderEvents: fmt.Sprintf("SELECT pg_advisory_xact_lock_shared(%d)", lockKey("outbox "+tables)),
		Horizon:     fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", lockKey("outbox "+tables)),
		Background:  []func(context.Context, *sqlstore.DB){relay.run},
	}, nil
}

// lockKey is an advisory lock key for name.
func lockKey(name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("customers " + name))
	return int64(h.Sum64())
}

// translate reports constraint violations as gorm's own calls do.
func translate(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505": // unique_violation
			return gorm.ErrDuplicatedKey
		case "23503": // foreign_key_violation
			return gorm.ErrForeignKeyViolated
		}
	}
	return err
}

// invalid reports the errors of a value PostgreSQL cannot hold: text with
// a NUL character or that is not valid UTF-8 (which SQLite stores as
// given), whether written or looked up.
func invalid(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "22021" || pg.Code == "22P05") // character_not_in_repertoire, untranslatable_character
}

// unavailable reports the errors of a database that cannot take the work
// now but may soon: it is unreachable, restarting, out of connections or
// disk, or it chose the transaction to fail (a deadlock, a serialisation
// failure, a statement or lock timeout).
func unavailable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code[:2] {
		case "08", // connection exception
			"40", // transaction rollback: serialisation failure, deadlock
			"53", // insufficient resources: disk full, too many connections
			"57": // operator intervention: shutting down, query canceled (statement_timeout)
			return true
		}
		return pg.Code == "55P03" // lock_not_available
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}
