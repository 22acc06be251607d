package profilesql

import (
	"encoding/json"
	"time"

	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/core/tier"
)

// An evaluation and a customer snapshot are stored as JSON documents: they
// are always read and written whole. Their names are stored ones, apart
// from the core's types, so a rename in the core does not orphan rows.

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

// Rows written before recommendationDoc and reasonDoc had tags hold
// "Code", "Message", "Rule"...: JSON names match whatever their case, so
// those still read.
type recommendationDoc struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type reasonDoc struct {
	Rule   string `json:"rule"`
	Points int    `json:"points"`
	Detail string `json:"detail"`
}

func encodeEvaluation(ev profiling.Evaluation) ([]byte, error) {
	doc := evaluationDoc{Eligible: ev.Eligible, Score: ev.Score, Segment: ev.Segment, CurrentTier: string(ev.CurrentTier),
		RecommendedTier: string(ev.RecommendedTier), EvaluatedAt: ev.EvaluatedAt}
	for _, r := range ev.Recommendations {
		doc.Recommendations = append(doc.Recommendations, recommendationDoc(r))
	}
	for _, r := range ev.Reasons {
		doc.Reasons = append(doc.Reasons, reasonDoc(r))
	}
	return json.Marshal(doc)
}

func decodeEvaluation(b []byte) (profiling.Evaluation, error) {
	var doc evaluationDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return profiling.Evaluation{}, err
	}
	ev := profiling.Evaluation{Eligible: doc.Eligible, Score: doc.Score, Segment: doc.Segment,
		CurrentTier: tier.Tier(doc.CurrentTier), RecommendedTier: tier.Tier(doc.RecommendedTier), EvaluatedAt: doc.EvaluatedAt}
	for _, r := range doc.Recommendations {
		ev.Recommendations = append(ev.Recommendations, profiling.Recommendation(r))
	}
	for _, r := range doc.Reasons {
		ev.Reasons = append(ev.Reasons, profiling.Reason(r))
	}
	return ev, nil
}

// snapshotDoc's names are those of the event snapshot it was first stored
// as, so older rows still read.
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

func snapshotOf(s profiling.Snapshot) snapshotDoc {
	d := snapshotDoc{ID: s.ID, Name: s.Name, FirstName: s.FirstName, LastName: s.LastName, Email: s.Email, Phone: s.Phone,
		Language: s.Language, Status: s.Status, Tier: string(s.Tier), CreatedAt: s.CreatedAt,
		ActivatedAt: optional(s.ActivatedAt), DeactivatedAt: optional(s.DeactivatedAt),
		FirstPaymentAt: optional(s.FirstPaymentAt), PromotedAt: optional(s.PromotedAt), Version: s.Version}
	if !s.BirthDate.IsZero() {
		d.BirthDate = s.BirthDate.Format(time.DateOnly)
	}
	return d
}

func (d snapshotDoc) snapshot() profiling.Snapshot {
	s := profiling.Snapshot{ID: d.ID, Name: d.Name, FirstName: d.FirstName, LastName: d.LastName, Email: d.Email,
		Phone: d.Phone, Language: d.Language, Status: d.Status, Tier: tier.Tier(d.Tier), CreatedAt: d.CreatedAt,
		ActivatedAt: known(d.ActivatedAt), DeactivatedAt: known(d.DeactivatedAt),
		FirstPaymentAt: known(d.FirstPaymentAt), PromotedAt: known(d.PromotedAt), Version: d.Version}
	if d.BirthDate != "" {
		s.BirthDate, _ = time.Parse(time.DateOnly, d.BirthDate) // written by snapshotOf in this layout
	}
	return s
}

// optional leaves a time that has not happened out of the document.
func optional(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func known(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
