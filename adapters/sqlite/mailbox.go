package sqlite

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/fintechlabs/customers/adapters/delivery"
)

// Mail is what the development provider accepted.
type Mail = delivery.Mail

// Mailbox stores what the development provider accepted, so tests and
// developers can see exactly what would have reached customers.
type Mailbox struct{ db *DB }

var _ delivery.Mailbox = (*Mailbox)(nil)

// Mailbox returns the mailbox of a database opened with NotificationsSchema.
func (db *DB) Mailbox() *Mailbox { return &Mailbox{db: db} }

type mailRow struct {
	IdempotencyKey string `gorm:"column:idempotency_key;primaryKey"`
	ProviderID     string `gorm:"column:provider_id"`
	Channel        string `gorm:"column:channel"`
	Recipient      string `gorm:"column:recipient"`
	Subject        string `gorm:"column:subject"`
	Body           string `gorm:"column:body"`
	AcceptedAt     int64  `gorm:"column:accepted_at"`
	Attempts       int    `gorm:"column:attempts"`
}

func (mailRow) TableName() string { return "mailbox" }

// Accept stores m unless a message with its idempotency key is there
// already, and returns the stored message and whether m was new.
func (b *Mailbox) Accept(ctx context.Context, m Mail) (Mail, bool, error) {
	var stored mailRow
	var fresh bool
	err := b.db.write(ctx, func(t *tx) error {
		row := mailRow{IdempotencyKey: m.IdempotencyKey, ProviderID: m.ProviderID, Channel: m.Channel, Recipient: m.Recipient,
			Subject: m.Subject, Body: m.Body, AcceptedAt: nanos(m.AcceptedAt), Attempts: 1}
		res := t.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return storageError("accept mail", res.Error)
		}
		fresh = res.RowsAffected == 1
		if !fresh {
			if err := t.Model(&mailRow{}).Where("idempotency_key = ?", m.IdempotencyKey).
				Update("attempts", gorm.Expr("attempts + 1")).Error; err != nil {
				return storageError("count mail attempt", err)
			}
		}
		return storageError("read mail", t.Where("idempotency_key = ?", m.IdempotencyKey).Take(&stored).Error)
	})
	if err != nil {
		return Mail{}, false, err
	}
	return stored.toMail(), fresh, nil
}

// List returns accepted messages, newest first, optionally to one recipient.
func (b *Mailbox) List(ctx context.Context, recipient string, limit int) ([]Mail, error) {
	q := b.db.read(ctx)
	if recipient != "" {
		q = q.Where("recipient = ?", recipient)
	}
	var rows []mailRow
	if err := q.Order("accepted_at DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, storageError("list mail", err)
	}
	out := make([]Mail, len(rows))
	for i, r := range rows {
		out[i] = r.toMail()
	}
	return out, nil
}

func (r mailRow) toMail() Mail {
	return Mail{IdempotencyKey: r.IdempotencyKey, ProviderID: r.ProviderID, Channel: r.Channel, Recipient: r.Recipient,
		Subject: r.Subject, Body: r.Body, AcceptedAt: fromNanos(r.AcceptedAt), Attempts: r.Attempts}
}
