package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/fintechlabs/customers/adapters/sqlstore"
)

// Checkpoints. In WAL mode SQLite copies the log back into the database
// file (a checkpoint) every 1,000 pages, in the connection that commits:
// the writer stood still for it while every caller waited. Here connections
// never checkpoint on commit; a goroutine of the database does (checkpoints), passively
// (never blocking the writer or a reader), every checkpointEvery. A crash
// loses nothing either way: the log is the durable copy until it is
// checkpointed.
const checkpointEvery = 100 * time.Millisecond

// connector opens connections that leave checkpoints to DB.checkpoints.
type connector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func newConnector(dsn string) connector {
	return connector{dsn: dsn, driver: &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA wal_autocheckpoint=0", nil)
		return err
	}}}
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.driver }

// checkpoints checkpoints the log until ctx ends, after commits only.
func checkpoints(ctx context.Context, db *sqlstore.DB) {
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	last := db.Commits()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if n := db.Commits(); n != last {
			last = n
			if _, err := db.SQL().ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil {
				db.Log().Debug("checkpoint failed; retried at the next tick", "error", err)
			}
		}
	}
}

// Purge copies the log back into the database file and empties it: until
// then the log holds the pages as they were before an erasure. It waits
// for readers for up to a second, checkpointing again every 50 ms.
func Purge(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(time.Second)
	for {
		var busy, pages, copied int
		if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &pages, &copied); err != nil {
			return err
		}
		if busy == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("the log stays: readers kept the checkpoint from finishing")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
