package sqlstore

import (
	"bytes"
	"context"
	"strings"

	"github.com/fintechlabs/customers/ports"
)

var _ ports.Forgetter = (*DB)(nil)

// Forget implements ports.Forgetter. Neither table has an index by
// customer: erasures are rare, and an index would cost every event and
// every request an entry. So the outbox is read in full by subject, and the
// idempotency answers (kept a day) are read and matched here.
func (db *DB) Forget(ctx context.Context, customerID string) error {
	return db.Write(ctx, func(t *Tx) error {
		if _, err := t.Exec("DELETE FROM outbox WHERE subject = $1", customerID); err != nil {
			return db.Error("forget the outbox's events", err)
		}
		rows, err := t.Query("SELECT id, location, body FROM idempotency")
		if err != nil {
			return db.Error("read idempotency answers", err)
		}
		var naming []string
		for rows.Next() {
			var id, location string
			var body []byte
			if err := rows.Scan(&id, &location, &body); err != nil {
				rows.Close()
				return db.Error("read idempotency answers", err)
			}
			if strings.Contains(location, customerID) || bytes.Contains(body, []byte(customerID)) {
				naming = append(naming, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return db.Error("read idempotency answers", err)
		}
		for _, id := range naming {
			if _, err := t.Exec("DELETE FROM idempotency WHERE id = $1", id); err != nil {
				return db.Error("forget an idempotency answer", err)
			}
		}
		return nil
	})
}

// Purge implements ports.Forgetter with the engine's Purge.
func (db *DB) Purge(ctx context.Context) error {
	if db.engine.Purge == nil {
		return nil
	}
	return db.Error("purge erased rows", db.engine.Purge(ctx, db.SQL()))
}
