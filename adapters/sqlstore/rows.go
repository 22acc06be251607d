package sqlstore

import (
	"reflect"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Rows written through statements built once per row type: gorm's Create
// and Updates build their statement by reflection and callbacks on every
// call, as long as SQLite takes to run it. A row type is a struct whose
// fields carry gorm column tags; an autoIncrement key is left to the
// database.

// plan is how to write one row type.
type plan struct {
	columns []string
	fields  []int  // the field of each column
	key     []bool // whether each column is (part of) the primary key
	// insert and insertNew are its INSERT statements, plain and skipping
	// a row whose unique key is taken.
	insert, insertNew string
}

var plans sync.Map // reflect.Type -> *plan

func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := &plan{}
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("gorm")
		if tag == "" || strings.Contains(tag, "autoIncrement") {
			continue
		}
		for _, part := range strings.Split(tag, ";") {
			if name, ok := strings.CutPrefix(part, "column:"); ok {
				p.columns, p.fields = append(p.columns, name), append(p.fields, i)
				p.key = append(p.key, strings.Contains(tag, "primaryKey"))
			}
		}
	}
	if r, ok := reflect.Zero(t).Interface().(row); ok {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(p.columns)), ", ")
		p.insert = "INSERT INTO " + r.TableName() + " (" + strings.Join(p.columns, ", ") + ") VALUES (" + marks + ")"
		p.insertNew = p.insert + " ON CONFLICT DO NOTHING"
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

// forUpdate returns a handle for a read whose rows stay locked until the
// transaction ends, where the database has row locks (SQLite has one
// writer, and gorm leaves the clause out there).
func (t *tx) forUpdate() *gorm.DB {
	return t.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).Session(&gorm.Session{})
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
