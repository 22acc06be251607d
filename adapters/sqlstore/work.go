package sqlstore

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
)

// Work is what a database did, counted as it goes: make bench divides it
// by the onboardings it ran, to judge a change by the work it removes.
type Work struct {
	// Units are the units of work callers asked for; Commits the
	// transactions committed, one per group where units share a commit:
	// with SQLite's synchronous=FULL, a sync each.
	Units, Commits int64
	// Inserted, Updated and Deleted count rows.
	Inserted, Updated, Deleted int64
	// Entries counts the b-tree entries written: a row inserted or deleted
	// once in its table and once in each of its table's indexes, a row
	// updated once (an update that moves index entries writes more than
	// this counts).
	Entries int64
}

// work holds a database's counts, and the number of indexes of each of its
// tables.
type work struct {
	units, inserted, updated, deleted, entries atomic.Int64
	indexes                                    map[string]int64 // by table, read at Open
	tables                                     sync.Map         // statement -> its verb and table
}

// Work returns what the database did since it opened.
func (db *DB) Work() Work {
	w := &db.work
	return Work{Units: w.units.Load(), Commits: db.commits.Load(), Inserted: w.inserted.Load(), Updated: w.updated.Load(),
		Deleted: w.deleted.Load(), Entries: w.entries.Load()}
}

// count adds n rows changed by query to the counts.
func (w *work) count(query string, n int64) {
	if n <= 0 {
		return
	}
	v, ok := w.tables.Load(query)
	if !ok {
		v = verbAndTable(query)
		w.tables.Store(query, v)
	}
	s := v.(statement)
	switch s.verb {
	case "INSERT":
		w.inserted.Add(n)
		w.entries.Add(n * (1 + w.indexes[s.table]))
	case "DELETE":
		w.deleted.Add(n)
		w.entries.Add(n * (1 + w.indexes[s.table]))
	case "UPDATE":
		w.updated.Add(n)
		w.entries.Add(n)
	}
}

type statement struct{ verb, table string }

// verbAndTable reads what a statement does, and to which table: INSERT
// INTO t, UPDATE t, DELETE FROM t.
func verbAndTable(query string) statement {
	f := strings.Fields(query)
	if len(f) < 2 {
		return statement{}
	}
	verb := strings.ToUpper(f[0])
	table := f[1]
	if (verb == "INSERT" || verb == "DELETE") && len(f) > 2 {
		table = f[2]
	}
	return statement{verb: verb, table: strings.Trim(table, `"(`)}
}

// countIndexes reads how many indexes each table has (the unique
// constraints' included), for Work's entries.
func (db *DB) countIndexes(ctx context.Context) error {
	query := `SELECT tbl_name, count(*) FROM sqlite_master WHERE type = 'index' GROUP BY tbl_name`
	if db.engine.System == "postgresql" {
		query = `SELECT tablename, count(*) FROM pg_indexes WHERE schemaname = current_schema() GROUP BY tablename`
	}
	rows, err := db.engine.SQL.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	db.work.indexes = map[string]int64{}
	for rows.Next() {
		var table string
		var n int64
		if err := rows.Scan(&table, &n); err != nil {
			return err
		}
		db.work.indexes[table] = n
	}
	return rows.Err()
}
