package sqlstore

import (
	"context"
	"database/sql"

	"gorm.io/gorm"

	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/event"
)

// Conn runs statements where a store's reads belong: in the unit of work of
// a context, so that they see its writes, or else outside any transaction.
// Statements go through gorm's connection pool (the driver keeps them
// prepared on each connection); constraint violations come back as gorm's own
// errors (gorm.ErrDuplicatedKey, gorm.ErrForeignKeyViolated).
type Conn struct {
	pool gorm.ConnPool
	ctx  context.Context
	db   *DB
	// lock keeps the rows read locked until the transaction ends, where
	// the database has row locks (SQLite has one writer).
	lock bool
}

// Conn returns where the reads of ctx run.
func (db *DB) Conn(ctx context.Context) Conn {
	if t, ok := ctx.Value(txKey{db}).(*Tx); ok {
		return t.Conn
	}
	return Conn{pool: db.gorm.Statement.ConnPool, ctx: ctx, db: db}
}

// Exec runs a statement and returns how many rows it changed.
func (c Conn) Exec(query string, args ...any) (int64, error) {
	res, err := c.pool.ExecContext(c.ctx, query, args...)
	if err != nil {
		return 0, c.translate(err)
	}
	n, err := res.RowsAffected()
	c.db.work.count(query, n)
	return n, err
}

// Query runs a query; a Conn of ForUpdate locks the rows it reads.
func (c Conn) Query(query string, args ...any) (*sql.Rows, error) {
	rows, err := c.pool.QueryContext(c.ctx, c.locking(query), args...)
	return rows, c.translate(err)
}

// QueryRow runs a query for one row; sql.ErrNoRows at its Scan when there
// is none.
func (c Conn) QueryRow(query string, args ...any) *sql.Row {
	return c.pool.QueryRowContext(c.ctx, c.locking(query), args...)
}

func (c Conn) locking(query string) string {
	if c.lock {
		return query + " FOR UPDATE"
	}
	return query
}

func (c Conn) translate(err error) error {
	if err != nil && c.db.engine.Translate != nil {
		return c.db.engine.Translate(err)
	}
	return err
}

// Tx is a unit of work's write transaction. It counts the outbox rows it
// adds, to wake the relay after the commit.
type Tx struct {
	Conn
	g      *gorm.DB
	events int
}

// ForUpdate returns a Conn whose reads lock their rows until the
// transaction ends, so that concurrent read-modify-writes take turns.
func (t *Tx) ForUpdate() Conn {
	c := t.Conn
	c.lock = t.db.engine.RowLocks
	return c
}

func (db *DB) newTx(g *gorm.DB) *Tx {
	return &Tx{Conn: Conn{pool: g.Statement.ConnPool, ctx: g.Statement.Context, db: db}, g: g}
}

// AddEvents encodes events and appends them to the outbox in the
// transaction, each carrying the trace context of the work that made it
// (the span of the unit's context) unless it carries one already.
func (t *Tx) AddEvents(events []event.Event) error {
	if len(events) > 0 && t.events == 0 && t.db.engine.OrderEvents != "" {
		if _, err := t.Exec(t.db.engine.OrderEvents); err != nil {
			return t.db.Error("order the outbox", err)
		}
	}
	tc := tracing.Inject(t.ctx)
	for _, e := range events {
		if e.TraceParent == "" {
			e.TraceParent, e.TraceState = tc.Parent, tc.State
		}
		m, err := event.Encode(e)
		if err != nil {
			return err
		}
		_, err = t.Exec(`INSERT INTO outbox (event_id, topic, subject, source, occurred_at, schema_version, traceparent, tracestate, actor, payload)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			m.ID, m.Type, m.Subject, m.Source, Nanos(m.Time), m.Version, m.TraceParent, m.TraceState, m.Actor, m.Payload)
		if err != nil {
			return t.db.Error("append to outbox", err)
		}
		t.events++
	}
	return nil
}

// Write runs fn in the unit of work of ctx, or else as a unit of its own:
// sharing a transaction and its commit with the units waiting beside it
// where the engine commits in groups, in a transaction of its own
// otherwise. It returns after the commit.
func (db *DB) Write(ctx context.Context, fn func(t *Tx) error) (err error) {
	if t, ok := ctx.Value(txKey{db}).(*Tx); ok {
		return fn(t)
	}
	db.work.units.Add(1)
	if db.trace != nil {
		_, end := db.trace(ctx, db.engine.System+" transaction")
		defer func() { end(err) }()
	}
	if !db.engine.GroupCommit {
		return db.alone(ctx, fn)
	}
	return db.grouped(ctx, fn)
}
