package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/idempotency"
)

// Idempotency returns the store of answers to requests made with an
// Idempotency-Key.
func (db *DB) Idempotency() idempotency.Store { return answers{db} }

// answers implements idempotency.Store.
type answers struct{ db *DB }

// Claim implements idempotency.Store. The insert, or the take-over of a
// stale claim, and the read of a taken id happen in one write transaction:
// two requests with one key cannot both claim it.
func (a answers) Claim(ctx context.Context, id, fingerprint string, now, stale time.Time) (idempotency.Entry, bool, error) {
	var (
		e       idempotency.Entry
		claimed bool
	)
	err := a.db.Write(ctx, func(t *Tx) error {
		n, err := t.Exec(`INSERT INTO idempotency (id, fingerprint, claimed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			id, fingerprint, Nanos(now))
		if err != nil {
			return a.db.Error("claim idempotency key", err)
		}
		if claimed = n == 1; claimed {
			return nil
		}
		n, err = t.Exec(`UPDATE idempotency SET fingerprint = $1, claimed_at = $2 WHERE id = $3 AND NOT done AND claimed_at < $4`,
			fingerprint, Nanos(now), id, Nanos(stale))
		if err != nil {
			return a.db.Error("take over idempotency key", err)
		}
		if claimed = n == 1; claimed {
			return nil
		}
		err = t.QueryRow(`SELECT fingerprint, done, status, content_type, location, body FROM idempotency WHERE id = $1`, id).
			Scan(&e.Fingerprint, &e.Done, &e.Answer.Status, &e.Answer.ContentType, &e.Answer.Location, &e.Answer.Body)
		if errors.Is(err, sql.ErrNoRows) { // released between the claim and this read
			return fault.Conflictf("a request with this idempotency key was abandoned just now; retry")
		}
		return a.db.Error("read idempotency key", err)
	})
	return e, claimed, err
}

// Complete implements idempotency.Store.
func (a answers) Complete(ctx context.Context, id string, ans idempotency.Answer) error {
	return a.db.Write(ctx, func(t *Tx) error {
		_, err := t.Exec(`UPDATE idempotency SET done = $1, status = $2, content_type = $3, location = $4, body = $5 WHERE id = $6`,
			true, ans.Status, ans.ContentType, ans.Location, ans.Body, id)
		return a.db.Error("store idempotent answer", err)
	})
}

// Release implements idempotency.Store.
func (a answers) Release(ctx context.Context, id string) error {
	return a.db.Write(ctx, func(t *Tx) error {
		_, err := t.Exec("DELETE FROM idempotency WHERE id = $1 AND NOT done", id)
		return a.db.Error("release idempotency key", err)
	})
}
