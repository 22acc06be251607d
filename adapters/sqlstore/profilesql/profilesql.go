// Package profilesql keeps the profiling service's profiles and promotions
// on a SQL database (adapters/sqlstore): the profiling service's database,
// with its outbox and inbox.
package profilesql

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/core/tier"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/profiles"
)

//go:embed migrations
var migrations embed.FS

// Schema is the profiling service's tables.
var Schema = sqlstore.Schema{Name: "profiling", Migrations: migrations}

// Store is the profiling service's database: its profiles (profiles.Store),
// outbox and inbox.
type Store struct{ *sqlstore.DB }

var _ profiles.Store = (*Store)(nil)

// Open opens the profiling service's database that engine holds, migrating
// it if needed (see sqlstore.Open).
func Open(ctx context.Context, engine sqlstore.Engine, clock ports.Clock, trace sqlstore.Tracer, log *slog.Logger) (*Store, error) {
	db, err := sqlstore.Open(ctx, engine, Schema, clock, trace, log)
	if err != nil {
		return nil, err
	}
	return &Store{db}, nil
}

// Get implements profiles.Store.
func (s *Store) Get(ctx context.Context, customerID string) (profiling.Profile, error) {
	p, err := s.load(s.Conn(ctx), customerID)
	if err == nil && p.Version == 0 {
		return profiling.Profile{}, profiling.ErrNotFound.With(customerID, nil)
	}
	return p, err
}

// Save implements profiles.Store.
func (s *Store) Save(ctx context.Context, customerID string, change func(*profiling.Profile) ([]event.Event, error)) (profiling.Profile, error) {
	var out profiling.Profile
	err := s.Write(ctx, func(t *sqlstore.Tx) error {
		// Read under a row lock, so that concurrent saves take turns on a
		// database whose writers run side by side; a profile two writers
		// create at once is created by one, and the other starts again
		// from it.
		for {
			p, err := s.load(t.ForUpdate(), customerID)
			if err != nil {
				return err
			}
			before, known := p.Version, len(p.Promotions)
			events, err := change(&p)
			if err != nil {
				return err
			}
			out = p
			if p.Version == before {
				return nil
			}
			row, err := values(&p)
			if err != nil {
				return err
			}
			if before == 0 {
				n, err := t.Exec(`INSERT INTO profiles (`+columns+`)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING`, row...)
				if err != nil {
					return s.Error("create profile", err)
				}
				if n == 0 {
					continue // created meanwhile: change it as it is now
				}
			} else {
				// The key last, and unchanged: a column set is rewritten in
				// every index that holds it, whatever its value.
				n, err := t.Exec(`UPDATE profiles SET snapshot = $1, birth_date = $2, age = $3, income_minor = $4, credit_score = $5,
					first_payment = $6, tier = $7, status = $8, evaluation = $9, created_at = $10, updated_at = $11, version = $12
					WHERE customer_id = $13 AND version = $14`, append(row[1:], customerID, before)...)
				if err != nil {
					return s.Error("save profile", err)
				}
				if n == 0 {
					return fault.Conflictf("profile %s was changed concurrently; retry", customerID)
				}
			}
			// An erasure drops the promotions (Forget deletes their rows).
			return s.savePromotions(t, customerID, p.Promotions[min(known, len(p.Promotions)):], events)
		}
	})
	if err != nil {
		return profiling.Profile{}, err
	}
	return out, nil
}

// savePromotions appends a profile's new promotions and the events of its
// change.
func (s *Store) savePromotions(t *sqlstore.Tx, customerID string, promos []profiling.Promotion, events []event.Event) error {
	for _, p := range promos {
		_, err := t.Exec(`INSERT INTO promotions (id, customer_id, code, discount_percent, activated_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			p.ID, customerID, p.Code, p.DiscountPercent, sqlstore.Nanos(p.ActivatedAt), sqlstore.Nanos(p.ExpiresAt))
		if err != nil {
			return s.Error("save promotion", err)
		}
	}
	return t.AddEvents(events)
}

// columns are a profile row's, in the order values gives them.
const columns = `customer_id, snapshot, birth_date, age, income_minor, credit_score, first_payment, tier, status, evaluation,
	created_at, updated_at, version`

// load returns the stored profile, or a new one (Version 0).
func (s *Store) load(conn sqlstore.Conn, customerID string) (profiling.Profile, error) {
	p := profiling.Profile{CustomerID: customerID}
	var (
		snapshot, evaluation []byte
		birth, level, status string
		created, updated     int64
	)
	err := conn.QueryRow("SELECT "+columns+" FROM profiles WHERE customer_id = $1", customerID).Scan(&p.CustomerID, &snapshot,
		&birth, &p.Facts.Age, &p.Facts.Income, &p.Facts.CreditScore, &p.Facts.FirstPayment, &level, &status, &evaluation,
		&created, &updated, &p.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return profiling.Profile{}, s.Error("read profile", err)
	}
	p.Facts.Tier, p.Facts.Status = tier.Tier(level), status
	p.CreatedAt, p.UpdatedAt = sqlstore.Time(created), sqlstore.Time(updated)
	if birth != "" {
		p.Facts.BirthDate, _ = time.Parse(time.DateOnly, birth) // written by values in this layout
	}
	if p.Evaluation, err = decodeEvaluation(evaluation); err != nil {
		return profiling.Profile{}, fault.Wrap(fault.Internal, err, "decode evaluation of "+customerID)
	}
	if len(snapshot) > 0 {
		var doc snapshotDoc
		if err := json.Unmarshal(snapshot, &doc); err != nil {
			return profiling.Profile{}, fault.Wrap(fault.Internal, err, "decode snapshot of "+customerID)
		}
		snap := doc.snapshot()
		p.Customer = &snap
	}
	p.Promotions, err = s.promotions(conn, customerID)
	return p, err
}

func (s *Store) promotions(conn sqlstore.Conn, customerID string) ([]profiling.Promotion, error) {
	rows, err := conn.Query(`SELECT id, code, discount_percent, activated_at, expires_at FROM promotions
		WHERE customer_id = $1 ORDER BY activated_at, id`, customerID)
	if err != nil {
		return nil, s.Error("read promotions", err)
	}
	defer rows.Close()
	var out []profiling.Promotion
	for rows.Next() {
		var p profiling.Promotion
		var activated, expires int64
		if err := rows.Scan(&p.ID, &p.Code, &p.DiscountPercent, &activated, &expires); err != nil {
			return nil, s.Error("read promotions", err)
		}
		p.ActivatedAt, p.ExpiresAt = sqlstore.Time(activated), sqlstore.Time(expires)
		out = append(out, p)
	}
	return out, s.Error("read promotions", rows.Err())
}

// values are p's columns, in the order of columns.
func values(p *profiling.Profile) ([]any, error) {
	evaluation, err := encodeEvaluation(p.Evaluation)
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "encode evaluation")
	}
	var snapshot []byte
	if p.Customer != nil {
		if snapshot, err = json.Marshal(snapshotOf(*p.Customer)); err != nil {
			return nil, fault.Wrap(fault.Internal, err, "encode snapshot")
		}
	}
	birth := ""
	if !p.Facts.BirthDate.IsZero() {
		birth = p.Facts.BirthDate.Format(time.DateOnly)
	}
	f := p.Facts
	return []any{p.CustomerID, snapshot, birth, f.Age, f.Income, f.CreditScore, f.FirstPayment, string(f.Tier), f.Status,
		evaluation, sqlstore.Nanos(p.CreatedAt), sqlstore.Nanos(p.UpdatedAt), p.Version}, nil
}

// Forget implements ports.Forgetter: beside the outbox and the idempotency
// answers, the customer's promotions.
func (s *Store) Forget(ctx context.Context, customerID string) error {
	if err := s.DB.Forget(ctx, customerID); err != nil {
		return err
	}
	return s.Write(ctx, func(t *sqlstore.Tx) error {
		_, err := t.Exec("DELETE FROM promotions WHERE customer_id = $1", customerID)
		return s.Error("forget the customer's promotions", err)
	})
}
