// Package profilingapi is the profiling service's HTTP API: its routes,
// the bodies they take and answer, over the shared plumbing of
// adapters/rest.
package profilingapi

import (
	"context"
	"net/http"
	"time"

	"github.com/fintechlabs/customers/adapters/rest"

	"github.com/go-chi/chi/v5"

	"github.com/fintechlabs/customers/core/money"
	"github.com/fintechlabs/customers/core/profiling"
)

// Service is what the profiling service's routes need of its use cases.
type Service interface {
	Promote(ctx context.Context, r profiling.PromoteRequest) (profiling.Decision, error)
	Evaluate(ctx context.Context, customerID string, facts profiling.Statement) (profiling.Evaluation, error)
	Get(ctx context.Context, customerID string) (profiling.Profile, error)
	Rules() profiling.Rules
}

// New serves the profiling service's API.
func New(svc Service, opts rest.Options) http.Handler {
	h := &handler{svc: svc, opts: opts}
	return rest.NewRouter(rest.API{Service: "service-profiling", Resource: "profiling", ReadScope: rest.ScopeProfilingRead, Routes: []rest.Route{
		{Method: http.MethodPost, Pattern: "/profiling/promote", Scope: rest.ScopeProfilingWrite, Handler: http.HandlerFunc(h.promote),
			Summary: "Profile a customer with stated facts, and request the promotion the rules give", Body: promoteProfileRequest{}, Answer: promotedBody{}},
		{Method: http.MethodPost, Pattern: "/profiling/evaluate", Scope: rest.ScopeProfilingRead, Handler: http.HandlerFunc(h.evaluate),
			Summary: "Evaluate facts against the rules without saving anything (a dry run)", Body: evaluateRequest{}, BodyOptional: true, Answer: dryRunBody{}},
		{Method: http.MethodGet, Pattern: "/profiling/rules", Scope: rest.ScopeProfilingRead, Handler: http.HandlerFunc(h.rules),
			Summary: "The rule table in force", Answer: profiling.Rules{}},
		{Method: http.MethodGet, Pattern: "/profiling/{customerId}", Scope: rest.ScopeProfilingRead, Handler: http.HandlerFunc(h.get),
			Summary: "A customer's profile: facts, evaluation, promotions", Answer: profileBody{}},
	}}, opts)
}

type handler struct {
	svc  Service
	opts rest.Options
}

// promoteProfileRequest is the original's POST /profiling/promote body:
// every fact optional. (Not an embedded struct: JSON type errors would then
// name the Go field path.)
type promoteProfileRequest struct {
	CustomerID     string      `json:"customerId" validate:"required,max=128"`
	Age            *rest.Whole `json:"age" validate:"omitempty,min=0,max=150"`
	Income         income      `json:"income"`
	CreditScore    *rest.Whole `json:"creditScore" validate:"omitempty,min=300,max=850"`
	IsFirstPayment *bool       `json:"isFirstPayment"`
	NewTier        string      `json:"newTier" validate:"omitempty,oneof=basic premium vip" doc:"an operator's override of the rules"`
	Reason         string      `json:"reason" validate:"max=500"`
}

// evaluateRequest is a dry run's body.
type evaluateRequest struct {
	CustomerID     string      `json:"customerId" validate:"max=128" doc:"whose known facts the stated ones complete"`
	Age            *rest.Whole `json:"age" validate:"omitempty,min=0,max=150"`
	Income         income      `json:"income"`
	CreditScore    *rest.Whole `json:"creditScore" validate:"omitempty,min=300,max=850"`
	IsFirstPayment *bool       `json:"isFirstPayment"`
}

// statement turns stated facts into the core's statement.
func statement(age *rest.Whole, stated income, creditScore *rest.Whole, firstPayment *bool) profiling.Statement {
	s := profiling.Statement{Age: age.Ptr(), CreditScore: creditScore.Ptr(), FirstPayment: firstPayment}
	if stated.Decimal != "" {
		text := string(stated.Decimal)
		s.Income = &text
	}
	return s
}

func (h *handler) promote(w http.ResponseWriter, r *http.Request) {
	var req promoteProfileRequest
	if !rest.Decode(w, r, &req, false) {
		return
	}
	res, err := h.svc.Promote(r.Context(), profiling.PromoteRequest{
		CustomerID: req.CustomerID, Facts: statement(req.Age, req.Income, req.CreditScore, req.IsFirstPayment),
		NewTier: req.NewTier, Reason: req.Reason,
	})
	rest.Respond(w, r, h.opts.Log, http.StatusOK, res, err, func(d profiling.Decision) promotedBody {
		message := "Customer profiled: no promotion due"
		if d.Promoted {
			message = "Customer profiled: promotion to " + string(d.Profile.Evaluation.RecommendedTier) + " requested"
		}
		return promotedBody{Success: true, CustomerID: d.Profile.CustomerID, Message: message, Promoted: d.Promoted,
			Profile: h.profileJSON(d.Profile)}
	})
}

// promotedBody is the original's answer to POST /profiling/promote plus the
// profile.
type promotedBody struct {
	Success    bool        `json:"success"`
	CustomerID string      `json:"customerId"`
	Message    string      `json:"message"`
	Promoted   bool        `json:"promoted"`
	Profile    profileBody `json:"profile"`
}

type dryRunBody struct {
	DryRun     bool           `json:"dryRun"`
	CustomerID string         `json:"customerId"`
	Evaluation evaluationBody `json:"evaluation"`
}

func (h *handler) evaluate(w http.ResponseWriter, r *http.Request) {
	var req evaluateRequest
	if !rest.Decode(w, r, &req, true) {
		return
	}
	ev, err := h.svc.Evaluate(r.Context(), req.CustomerID, statement(req.Age, req.Income, req.CreditScore, req.IsFirstPayment))
	rest.Respond(w, r, h.opts.Log, http.StatusOK, ev, err, func(ev profiling.Evaluation) dryRunBody {
		return dryRunBody{DryRun: true, CustomerID: req.CustomerID, Evaluation: evaluationJSON(ev)}
	})
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	p, err := h.svc.Get(r.Context(), chi.URLParam(r, "customerId"))
	rest.Respond(w, r, h.opts.Log, http.StatusOK, p, err, h.profileJSON)
}

func (h *handler) rules(w http.ResponseWriter, _ *http.Request) {
	rest.WriteJSON(w, http.StatusOK, h.svc.Rules())
}

type profileBody struct {
	CustomerID string          `json:"customerId"`
	Customer   *profileContact `json:"customer,omitempty"`
	Facts      factsBody       `json:"facts"`
	Evaluation evaluationBody  `json:"evaluation"`
	Promotions []promotionBody `json:"promotions"`
	CreatedAt  time.Time       `json:"createdAt"`
	UpdatedAt  time.Time       `json:"updatedAt"`
	Version    int64           `json:"version"`
}

// evaluationBody is an evaluation as the API shows it; the events carry
// their own shape, which may change with the contract.
type evaluationBody struct {
	Eligible        bool                 `json:"eligible"`
	Score           int                  `json:"score"`
	Segment         string               `json:"segment"`
	CurrentTier     string               `json:"currentTier"`
	RecommendedTier string               `json:"recommendedTier"`
	Recommendations []recommendationBody `json:"recommendations"`
	Reasons         []reasonBody         `json:"reasons"`
	EvaluatedAt     time.Time            `json:"evaluatedAt"`
}

type recommendationBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type reasonBody struct {
	Rule   string `json:"rule"`
	Points int    `json:"points"`
	Detail string `json:"detail"`
}

func evaluationJSON(e profiling.Evaluation) evaluationBody {
	b := evaluationBody{Eligible: e.Eligible, Score: e.Score, Segment: e.Segment, CurrentTier: string(e.CurrentTier),
		RecommendedTier: string(e.RecommendedTier), EvaluatedAt: e.EvaluatedAt,
		Recommendations: make([]recommendationBody, len(e.Recommendations)), Reasons: make([]reasonBody, len(e.Reasons))}
	for i, r := range e.Recommendations {
		b.Recommendations[i] = recommendationBody(r)
	}
	for i, r := range e.Reasons {
		b.Reasons[i] = reasonBody(r)
	}
	return b
}

type profileContact struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Tier    string `json:"tier"`
	Version int64  `json:"version"`
}

type factsBody struct {
	Age          *int    `json:"age,omitempty"`
	BirthDate    string  `json:"birthDate,omitempty"`
	Income       *string `json:"income,omitempty"`
	CreditScore  *int    `json:"creditScore,omitempty"`
	FirstPayment bool    `json:"isFirstPayment"`
	Tier         string  `json:"tier,omitempty"`
	Status       string  `json:"status,omitempty"`
}

type promotionBody struct {
	ID              string    `json:"id"`
	Code            string    `json:"code"`
	DiscountPercent int       `json:"discountPercent"`
	ActivatedAt     time.Time `json:"activatedAt"`
	ExpiresAt       time.Time `json:"expiresAt"`
	Active          bool      `json:"active"`
}

func (h *handler) profileJSON(p profiling.Profile) profileBody {
	b := profileBody{
		CustomerID: p.CustomerID, Evaluation: evaluationJSON(p.Evaluation), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Version: p.Version, Promotions: make([]promotionBody, len(p.Promotions)),
		Facts: factsBody{Age: p.Facts.Age, CreditScore: p.Facts.CreditScore, FirstPayment: p.Facts.FirstPayment,
			Tier: string(p.Facts.Tier), Status: string(p.Facts.Status)},
	}
	if !p.Facts.BirthDate.IsZero() {
		b.Facts.BirthDate = p.Facts.BirthDate.Format("2006-01-02")
	}
	if p.Facts.Income != nil {
		income := money.FormatMinor(*p.Facts.Income, money.Exponent(h.svc.Rules().Currency))
		b.Facts.Income = &income
	}
	if c := p.Customer; c != nil {
		b.Customer = &profileContact{Name: c.Name, Status: string(c.Status), Tier: string(c.Tier), Version: c.Version}
	}
	now := h.opts.Now()
	for i, pr := range p.Promotions {
		b.Promotions[i] = promotionBody{ID: pr.ID, Code: pr.Code, DiscountPercent: pr.DiscountPercent,
			ActivatedAt: pr.ActivatedAt, ExpiresAt: pr.ExpiresAt, Active: pr.ActiveAt(now)}
	}
	return b
}

// income is the decimal "income" of stated profiling facts.
type income struct{ rest.Decimal }

// UnmarshalJSON implements json.Unmarshaler.
func (i *income) UnmarshalJSON(b []byte) error { return i.Unmarshal("income", b) }

// Schema implements rest.Schemer.
func (income) Schema() map[string]any {
	return map[string]any{"type": []string{"string", "number"}, "minimum": 0, "pattern": rest.DecimalPattern,
		"description": "a decimal of no more than two places, as a number or as a string (75000.00)"}
}
