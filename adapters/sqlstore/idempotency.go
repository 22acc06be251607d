package sqlstore

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/idempotency"
)

type idempotencyRow struct {
	ID          string `gorm:"column:id;primaryKey"`
	Fingerprint string `gorm:"column:fingerprint"`
	ClaimedAt   int64  `gorm:"column:claimed_at"`
	Done        bool   `gorm:"column:done"`
	Status      int    `gorm:"column:status"`
	ContentType string `gorm:"column:content_type"`
	Location    string `gorm:"column:location"`
	Body        []byte `gorm:"column:body"`
}

func (idempotencyRow) TableName() string { return "idempotency" }

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
	err := a.db.write(ctx, func(t *tx) error {
		row := idempotencyRow{ID: id, Fingerprint: fingerprint, ClaimedAt: nanos(now)}
		res := t.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return a.db.storageError("claim idempotency key", res.Error)
		}
		if claimed = res.RowsAffected == 1; claimed {
			return nil
		}
		res = t.Model(&idempotencyRow{}).Where("id = ? AND NOT done AND claimed_at < ?", id, nanos(stale)).
			Updates(map[string]any{"fingerprint": fingerprint, "claimed_at": nanos(now)})
		if res.Error != nil {
			return a.db.storageError("take over idempotency key", res.Error)
		}
		if claimed = res.RowsAffected == 1; claimed {
			return nil
		}
		old, found, err := take[idempotencyRow](t.source(), "WHERE id = ?", id)
		if err != nil {
			return a.db.storageError("read idempotency key", err)
		}
		if !found { // released between the claim and this read
			return fault.Conflictf("a request with this idempotency key was abandoned just now; retry")
		}
		e = idempotency.Entry{Fingerprint: old.Fingerprint, Done: old.Done, Answer: idempotency.Answer{
			Status: old.Status, ContentType: old.ContentType, Location: old.Location, Body: old.Body}}
		return nil
	})
	return e, claimed, err
}

// Complete implements idempotency.Store.
func (a answers) Complete(ctx context.Context, id string, ans idempotency.Answer) error {
	return a.db.write(ctx, func(t *tx) error {
		return a.db.storageError("store idempotent answer", t.Model(&idempotencyRow{}).Where("id = ?", id).Updates(map[string]any{
			"done": true, "status": ans.Status, "content_type": ans.ContentType, "location": ans.Location, "body": ans.Body}).Error)
	})
}

// Release implements idempotency.Store.
func (a answers) Release(ctx context.Context, id string) error {
	return a.db.write(ctx, func(t *tx) error {
		return a.db.storageError("release idempotency key", t.Where("id = ? AND NOT done", id).Delete(&idempotencyRow{}).Error)
	})
}
