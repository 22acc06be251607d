package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/fintechlabs/customers/adapters/sqlstore"
)

// Checkpoints. In WAL mode SQLite copies the log back into the database
// file (a checkpoint) every 1,000 pages, in the connection that commits:
// the writer stood still for all of it while every caller waited. Here a
// goroutine of the database (checkpoints) copies the log passively (never
// blocking the writer or a reader) every checkpointEvery, so that when the
// log reaches logPages the committing connection has only the pages since
// the last tick to copy. That last step cannot be left out: a passive
// checkpoint that a commit overlaps leaves the log where it was (it starts
// again from the beginning only after a checkpoint that copied all of it),
// and under writes that never paused the log grew without end: by 2.7 MB a
// second in the end-to-end benchmark, to 63 MB over 6,000 rows of 1 KB. A
// crash loses nothing either way: the log is the durable copy until it is
// checkpointed.
const (
	checkpointEvery = 100 * time.Millisecond
	logPages        = 1000
)

// connector opens connections that leave most of the checkpoints' work to
// checkpoints, and that keep their temporary data in memory: the journals
// of a group's savepoints (the pages each unit changes, past SQLite's
// spill size) went to temporary files, about 400 opened in one end-to-end
// benchmark run (counted with strace), holding pages of customers' rows.
// In memory, medians of seven in turns: 1,973 to 2,045 completed/s, 0.81
// to 0.79 ms of CPU per onboarding, lower in every turn.
type connector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func newConnector(dsn string) connector {
	return connector{dsn: dsn, driver: &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		if _, err := c.Exec("PRAGMA temp_store=MEMORY", nil); err != nil {
			return err
		}
		_, err := c.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint=%d", logPages), nil)
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
