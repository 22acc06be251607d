package sqlstore

import (
	"context"
	"reflect"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// Rows written and read through statements built once per row type:
// gorm's Create, Updates, Take and Find build their statement by reflection
// and callbacks on every call, as long as SQLite takes to run it, and its
// Scan reflects over every row again. A row type is a struct whose fields
// carry gorm column tags; an autoIncrement key is left to the database when
// writing.

// plan is how to write and read one row type.
type plan struct {
	columns []string
	fields  []int  // the field of each column
	key     []bool // whether each column is (part of) the primary key
	// insert and insertNew are its INSERT statements, plain and skipping
	// a row whose unique key is taken.
	insert, insertNew string
	// read lists the fields of every column (autoIncrement ones too) in
	// the order of selectAll, "SELECT <those columns> FROM <table>".
	read      []int
	selectAll string
}

var plans sync.Map // reflect.Type -> *plan

func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := &plan{}
	var all []string
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("gorm")
		for _, part := range strings.Split(tag, ";") {
			name, ok := strings.CutPrefix(part, "column:")
			if !ok {
				continue
			}
			all, p.read = append(all, name), append(p.read, i)
			if !strings.Contains(tag, "autoIncrement") {
				p.columns, p.fields = append(p.columns, name), append(p.fields, i)
				p.key = append(p.key, strings.Contains(tag, "primaryKey"))
			}
		}
	}
	if r, ok := reflect.Zero(t).Interface().(row); ok {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(p.columns)), ", ")
		p.insert = "INSERT INTO " + r.TableName() + " (" + strings.Join(p.columns, ", ") + ") VALUES (" + marks + ")"
		p.insertNew = p.insert + " ON CONFLICT DO NOTHING"
		p.selectAll = "SELECT " + strings.Join(all, ", ") + " FROM " + r.TableName()
	}
	actual, _ := plans.LoadOrStore(t, p)
	return actual.(*plan)
}

// values returns row's column values in the plan's order.
func (p *plan) values(row reflect.Value) []any {
	out := make([]any, len(p.fields))
	for i, f := range p.fields {
		out[i] = row.Field(f).Interface()
	}
	return out
}

// row is a row type: it names its table, as gorm asks.
type row interface{ TableName() string }

// insert writes r (a struct or a pointer to one).
func (t *tx) insert(r row) error {
	v := reflect.Indirect(reflect.ValueOf(r))
	p := planOf(v.Type())
	_, err := t.execResult(p.insert, p.values(v)...)
	return err
}

// insertNew writes r unless a row with one of its unique keys is there, and
// reports whether it wrote it. Unlike a failed insert, a skipped one leaves
// the transaction usable (PostgreSQL aborts a transaction at its first
// error).
func (t *tx) insertNew(r row) (bool, error) {
	v := reflect.Indirect(reflect.ValueOf(r))
	p := planOf(v.Type())
	res, err := t.execResult(p.insertNew, p.values(v)...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// source is where a read runs: a unit of work, so that it sees its own
// writes, or else the database outside any transaction.
type source struct {
	db   *DB
	conn gorm.ConnPool // prepares each statement once, as the writes do
	ctx  context.Context
	// lock keeps the rows read locked until the transaction ends, where
	// the database has row locks (SQLite has one writer).
	lock bool
}

// source returns where the reads of ctx run.
func (db *DB) source(ctx context.Context) source {
	if t, ok := ctx.Value(txKey{db}).(*tx); ok {
		return t.source()
	}
	return source{db: db, conn: db.gorm.Statement.ConnPool, ctx: ctx}
}

// source returns a source for reads in the transaction.
func (t *tx) source() source {
	return source{db: t.db, conn: t.Statement.ConnPool, ctx: t.Statement.Context}
}

// forUpdate returns a source for reads whose rows stay locked until the
// transaction ends, so that concurrent read-modify-writes take turns.
func (t *tx) forUpdate() source {
	s := t.source()
	s.lock = t.db.engine.RowLocks
	return s
}

// find returns the rows of R's table that rest (WHERE, ORDER BY, LIMIT,
// with args) selects.
func find[R row](s source, rest string, args ...any) ([]R, error) {
	var zero R
	p := planOf(reflect.TypeOf(zero))
	query := p.selectAll + " " + rest
	if s.lock {
		query += " FOR UPDATE"
	}
	rows, err := s.conn.QueryContext(s.ctx, s.db.rebind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []R
	dest := make([]any, len(p.read))
	for rows.Next() {
		var r R
		v := reflect.ValueOf(&r).Elem()
		for i, f := range p.read {
			dest[i] = v.Field(f).Addr().Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// take returns the first row that rest selects, and whether there was one.
func take[R row](s source, rest string, args ...any) (R, bool, error) {
	rows, err := find[R](s, rest+" LIMIT 1", args...)
	if err != nil || len(rows) == 0 {
		var none R
		return none, false, err
	}
	return rows[0], true, nil
}

// update sets every column of r but its key in the rows of its table that
// where (with args) selects, and reports how many it changed.
func (t *tx) update(r row, where string, args ...any) (int64, error) {
	v := reflect.Indirect(reflect.ValueOf(r))
	p := planOf(v.Type())
	var set []string
	var values []any
	for i, value := range p.values(v) {
		if !p.key[i] {
			set, values = append(set, p.columns[i]+" = ?"), append(values, value)
		}
	}
	res, err := t.execResult("UPDATE "+r.TableName()+" SET "+strings.Join(set, ", ")+" WHERE "+where, append(values, args...)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
