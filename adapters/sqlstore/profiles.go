package sqlstore

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/ports"
)

// Profiles implements ports.Profiles.
type Profiles struct{ db *DB }

var _ ports.Profiles = (*Profiles)(nil)

// ProfileStore is the profiling service's database: its profiles, outbox and
// inbox. Nothing else can be had from it.
type ProfileStore struct{ *DB }

// OpenProfiles opens (creating and migrating if needed) the profiling service's
// database that engine holds.
func OpenProfiles(ctx context.Context, engine Engine, clock ports.Clock, log *slog.Logger) (*ProfileStore, error) {
	return openStore(ctx, engine, ProfilingSchema, clock, log, func(db *DB) *ProfileStore { return &ProfileStore{db} })
}

// Profiles returns the store's profiles.
func (s *ProfileStore) Profiles() *Profiles { return &Profiles{db: s.DB} }

type profileRow struct {
	CustomerID   string `gorm:"column:customer_id;primaryKey"`
	Snapshot     []byte `gorm:"column:snapshot"`
	BirthDate    string `gorm:"column:birth_date"`
	Age          *int   `gorm:"column:age"`
	IncomeMinor  *int64 `gorm:"column:income_minor"`
	CreditScore  *int   `gorm:"column:credit_score"`
	FirstPayment bool   `gorm:"column:first_payment"`
	Tier         string `gorm:"column:tier"`
	Status       string `gorm:"column:status"`
	Evaluation   []byte `gorm:"column:evaluation"`
	CreatedAt    int64  `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt    int64  `gorm:"column:updated_at;autoUpdateTime:false"`
	Version      int64  `gorm:"column:version"`
}

func (profileRow) TableName() string { return "profiles" }

type promotionRow struct {
	ID              string `gorm:"column:id;primaryKey"`
	CustomerID      string `gorm:"column:customer_id"`
	Code            string `gorm:"column:code"`
	DiscountPercent int    `gorm:"column:discount_percent"`
	ActivatedAt     int64  `gorm:"column:activated_at"`
	ExpiresAt       int64  `gorm:"column:expires_at"`
}

func (promotionRow) TableName() string { return "promotions" }

// evaluationDoc is how an evaluation is stored: a JSON document, since it is
// always read and written whole.
type evaluationDoc struct {
	Eligible        bool                `json:"eligible"`
	Score           int                 `json:"score"`
	Segment         string              `json:"segment"`
	CurrentTier     string              `json:"currentTier"`
	RecommendedTier string              `json:"recommendedTier"`
	Recommendations []recommendationDoc `json:"recommendations"`
	Reasons         []reasonDoc         `json:"reasons"`
	EvaluatedAt     time.Time           `json:"evaluatedAt"`
}

// recommendationDoc and reasonDoc are stored with names of their own.
// (Rows written before they existed have "Code", "Message", "Rule"...:
// JSON names match whatever their case, so those still read.)
type recommendationDoc struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type reasonDoc struct {
	Rule   string `json:"rule"`
	Points int    `json:"points"`
	Detail string `json:"detail"`
}

// snapshotDoc is how the newest customer snapshot is stored: a JSON
// document, read and written whole. Its names are those of the event
// snapshot it was first stored as, so older rows still read.
type snapshotDoc struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	FirstName      string     `json:"firstName,omitempty"`
	LastName       string     `json:"lastName,omitempty"`
	Email          string     `json:"email"`
	Phone          string     `json:"phone"`
	BirthDate      string     `json:"birthDate,omitempty"`
	Language       string     `json:"language"`
	Status         string     `json:"status"`
	Tier           string     `json:"tier"`
	CreatedAt      time.Time  `json:"createdAt"`
	ActivatedAt    *time.Time `json:"activatedAt,omitempty"`
	DeactivatedAt  *time.Time `json:"deactivatedAt,omitempty"`
	FirstPaymentAt *time.Time `json:"firstPaymentAt,omitempty"`
	PromotedAt     *time.Time `json:"promotedAt,omitempty"`
	Version        int64      `json:"version"`
}

func toSnapshotDoc(s profiling.Snapshot) snapshotDoc {
	d := snapshotDoc{ID: s.ID, Name: s.Name, FirstName: s.FirstName, LastName: s.LastName, Email: s.Email, Phone: s.Phone,
		Language: s.Language, Status: string(s.Status), Tier: string(s.Tier), CreatedAt: s.CreatedAt,
		ActivatedAt: optTime(s.ActivatedAt), DeactivatedAt: optTime(s.DeactivatedAt), FirstPaymentAt: optTime(s.FirstPaymentAt),
		PromotedAt: optTime(s.PromotedAt), Version: s.Version}
	if !s.BirthDate.IsZero() {
		d.BirthDate = s.BirthDate.Format(customer.DateLayout)
	}
	return d
}

func (d snapshotDoc) toSnapshot() profiling.Snapshot {
	s := profiling.Snapshot{ID: d.ID, Name: d.Name, FirstName: d.FirstName, LastName: d.LastName, Email: d.Email,
		Phone: d.Phone, Language: d.Language, Status: customer.Status(d.Status), Tier: customer.Tier(d.Tier),
		CreatedAt: d.CreatedAt, ActivatedAt: timeOf(d.ActivatedAt), DeactivatedAt: timeOf(d.DeactivatedAt),
		FirstPaymentAt: timeOf(d.FirstPaymentAt), PromotedAt: timeOf(d.PromotedAt), Version: d.Version}
	if d.BirthDate != "" {
		s.BirthDate, _ = time.Parse(customer.DateLayout, d.BirthDate) // written by toSnapshotDoc in this layout
	}
	return s
}

// Get implements ports.Profiles.
func (s *Profiles) Get(ctx context.Context, customerID string) (profiling.Profile, error) {
	p, err := s.load(s.db.source(ctx), customerID)
	if err == nil && p.Version == 0 {
		return profiling.Profile{}, profiling.ErrNotFound.With(customerID, nil)
	}
	return p, err
}

// Save implements ports.Profiles.
func (s *Profiles) Save(ctx context.Context, customerID string, change func(*profiling.Profile) ([]event.Event, error)) (profiling.Profile, error) {
	var out profiling.Profile
	err := s.db.write(ctx, func(t *tx) error {
		// Read under a row lock, so that concurrent saves take turns on a
		// database whose writers run side by side; a profile two writers
		// create at once is created by one, and the other starts again
		// from it.
		for {
			p, err := s.load(t.forUpdate(), customerID)
			if err != nil {
				return err
			}
			before, known := p.Version, len(p.Promotions)
			events, err := change(&p)
			if err != nil {
				return err
			}
			if p.Version == before {
				out = p
				return nil
			}
			row, err := toProfileRow(&p)
			if err != nil {
				return err
			}
			if before == 0 {
				created, err := t.insertNew(row)
				if err != nil {
					return s.db.storageError("create profile", err)
				}
				if !created {
					continue
				}
			} else {
				n, err := t.update(row, "customer_id = ? AND version = ?", customerID, before)
				if err != nil {
					return s.db.storageError("save profile", err)
				}
				if n == 0 {
					return fault.Conflictf("profile %s was changed concurrently; retry", customerID)
				}
			}
			out = p
			return s.savePromotions(t, customerID, p.Promotions[known:], events)
		}
	})
	if err != nil {
		return profiling.Profile{}, err
	}
	return out, nil
}

// savePromotions appends a profile's new promotions and the events of its
// change.
func (s *Profiles) savePromotions(t *tx, customerID string, promos []profiling.Promotion, events []event.Event) error {
	for _, promo := range promos {
		err := t.insert(&promotionRow{ID: promo.ID, CustomerID: customerID, Code: promo.Code,
			DiscountPercent: promo.DiscountPercent, ActivatedAt: nanos(promo.ActivatedAt), ExpiresAt: nanos(promo.ExpiresAt)})
		if err != nil {
			return s.db.storageError("save promotion", err)
		}
	}
	return t.addEvents(events)
}

// loadProfile returns the stored profile, or a new one (Version 0).
func (s *Profiles) load(src source, customerID string) (profiling.Profile, error) {
	row, found, err := take[profileRow](src, "WHERE customer_id = ?", customerID)
	if err != nil {
		return profiling.Profile{}, s.db.storageError("read profile", err)
	}
	if !found {
		return profiling.Profile{CustomerID: customerID}, nil
	}
	promos, err := find[promotionRow](src, "WHERE customer_id = ? ORDER BY activated_at, id", customerID)
	if err != nil {
		return profiling.Profile{}, s.db.storageError("read promotions", err)
	}
	return row.toProfile(promos)
}

func toProfileRow(p *profiling.Profile) (*profileRow, error) {
	ev := p.Evaluation
	doc, err := json.Marshal(evaluationDoc{
		Eligible: ev.Eligible, Score: ev.Score, Segment: ev.Segment, CurrentTier: string(ev.CurrentTier),
		RecommendedTier: string(ev.RecommendedTier), EvaluatedAt: ev.EvaluatedAt,
		Recommendations: convert(ev.Recommendations, func(r profiling.Recommendation) recommendationDoc { return recommendationDoc(r) }),
		Reasons:         convert(ev.Reasons, func(r profiling.Reason) reasonDoc { return reasonDoc(r) }),
	})
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "encode evaluation")
	}
	row := &profileRow{
		CustomerID: p.CustomerID, Age: p.Facts.Age, IncomeMinor: p.Facts.Income, CreditScore: p.Facts.CreditScore,
		FirstPayment: p.Facts.FirstPayment, Tier: string(p.Facts.Tier), Status: string(p.Facts.Status),
		Evaluation: doc, CreatedAt: nanos(p.CreatedAt), UpdatedAt: nanos(p.UpdatedAt), Version: p.Version,
	}
	if !p.Facts.BirthDate.IsZero() {
		row.BirthDate = p.Facts.BirthDate.Format(customer.DateLayout)
	}
	if p.Customer != nil {
		if row.Snapshot, err = json.Marshal(toSnapshotDoc(*p.Customer)); err != nil {
			return nil, fault.Wrap(fault.Internal, err, "encode snapshot")
		}
	}
	return row, nil
}

func (r profileRow) toProfile(promos []promotionRow) (profiling.Profile, error) {
	var doc evaluationDoc
	if err := json.Unmarshal(r.Evaluation, &doc); err != nil {
		return profiling.Profile{}, fault.Wrap(fault.Internal, err, "decode evaluation of "+r.CustomerID)
	}
	p := profiling.Profile{
		CustomerID: r.CustomerID, CreatedAt: fromNanos(r.CreatedAt), UpdatedAt: fromNanos(r.UpdatedAt), Version: r.Version,
		Facts: profiling.Facts{Age: r.Age, Income: r.IncomeMinor, CreditScore: r.CreditScore, FirstPayment: r.FirstPayment,
			Tier: customer.Tier(r.Tier), Status: customer.Status(r.Status)},
		Evaluation: profiling.Evaluation{Eligible: doc.Eligible, Score: doc.Score, Segment: doc.Segment,
			CurrentTier: customer.Tier(doc.CurrentTier), RecommendedTier: customer.Tier(doc.RecommendedTier),
			EvaluatedAt:     doc.EvaluatedAt,
			Recommendations: convert(doc.Recommendations, func(r recommendationDoc) profiling.Recommendation { return profiling.Recommendation(r) }),
			Reasons:         convert(doc.Reasons, func(r reasonDoc) profiling.Reason { return profiling.Reason(r) })},
	}
	if r.BirthDate != "" {
		p.Facts.BirthDate, _ = time.Parse(customer.DateLayout, r.BirthDate) // written by toProfileRow in this layout
	}
	if len(r.Snapshot) > 0 {
		var doc snapshotDoc
		if err := json.Unmarshal(r.Snapshot, &doc); err != nil {
			return profiling.Profile{}, fault.Wrap(fault.Internal, err, "decode snapshot of "+r.CustomerID)
		}
		snap := doc.toSnapshot()
		p.Customer = &snap
	}
	for _, pr := range promos {
		p.Promotions = append(p.Promotions, profiling.Promotion{ID: pr.ID, Code: pr.Code, DiscountPercent: pr.DiscountPercent,
			ActivatedAt: fromNanos(pr.ActivatedAt), ExpiresAt: fromNanos(pr.ExpiresAt)})
	}
	return p, nil
}
