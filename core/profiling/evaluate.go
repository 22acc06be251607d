package profiling

import (
	"fmt"
	"time"

	"github.com/fintechlabs/customers/core/money"
	"github.com/fintechlabs/customers/core/tier"
)

// Evaluation is the outcome of the rules for one set of facts. It lists every
// rule's contribution, so each decision can be explained.
type Evaluation struct {
	Eligible        bool
	Score           int
	Segment         string
	CurrentTier     tier.Tier
	RecommendedTier tier.Tier
	Recommendations []Recommendation
	Reasons         []Reason
	EvaluatedAt     time.Time
}

// Promotes reports whether the evaluation recommends a tier above the
// customer's current one.
func (e Evaluation) Promotes() bool {
	return e.Eligible && e.RecommendedTier.Above(e.CurrentTier)
}

// Reason explains one rule's contribution.
type Reason struct {
	Rule   string
	Points int
	Detail string
}

// Recommendation is an action profiling suggests.
type Recommendation struct {
	Code    string
	Message string
}

// Segment used for customers the rules may not promote.
const SegmentIneligible = "ineligible"

// Evaluate scores f. It is a pure function of the rules, the facts and now:
// the same input always gives the same output.
func (r Rules) Evaluate(f Facts, now time.Time) Evaluation {
	ev := Evaluation{CurrentTier: f.Tier, EvaluatedAt: now}
	if ev.CurrentTier == "" {
		ev.CurrentTier = tier.Basic
	}
	age, known := f.AgeAt(now)
	switch {
	case !known:
		ev.reason("eligibility", 0, fmt.Sprintf("age unknown: only customers aged %d or over may be promoted", r.MinAge))
	case age < r.MinAge:
		ev.reason("eligibility", 0, fmt.Sprintf("age %d is under %d", age, r.MinAge))
	default:
		ev.Eligible = true
		ev.reason("eligibility", 0, fmt.Sprintf("age %d is %d or over", age, r.MinAge))
		ev.banded("age", r.Age, int64(age), fmt.Sprintf("age %d", age), "years")
	}

	exp := money.Exponent(r.Currency)
	if f.Income == nil {
		ev.reason("income", 0, "income unknown")
	} else {
		ev.banded("income", r.Income, money.WholeUnits(*f.Income, exp),
			fmt.Sprintf("income %s %s", money.FormatMinor(*f.Income, exp), r.Currency), r.Currency)
	}
	if f.CreditScore == nil {
		ev.reason("creditScore", 0, "credit score unknown")
	} else {
		ev.banded("creditScore", r.CreditScore, int64(*f.CreditScore), fmt.Sprintf("credit score %d", *f.CreditScore), "")
	}
	if f.FirstPayment {
		ev.reason("firstPayment", r.FirstPaymentPoints, "first payment made")
	} else {
		ev.reason("firstPayment", 0, "no first payment yet")
	}
	ev.Score = min(max(ev.Score, 0), 100)

	ev.RecommendedTier = ev.CurrentTier
	ev.Segment = SegmentIneligible
	if ev.Eligible {
		for _, t := range r.Tiers {
			if ev.Score >= t.MinScore {
				ev.RecommendedTier = t.Tier
				break
			}
		}
		for _, s := range r.Segments {
			if ev.Score >= s.MinScore {
				ev.Segment = s.Name
				break
			}
		}
	}
	ev.Recommendations = r.recommend(f, ev)
	return ev
}

func (ev *Evaluation) reason(rule string, points int, detail string) {
	ev.Score += points
	ev.Reasons = append(ev.Reasons, Reason{Rule: rule, Points: points, Detail: detail})
}

func (ev *Evaluation) banded(rule string, bands []Band, value int64, what, unit string) {
	b, ok := band(bands, value)
	if !ok {
		ev.reason(rule, 0, what+" is below every band")
		return
	}
	from := fmt.Sprint(b.From)
	if unit != "" {
		from += " " + unit
	}
	ev.reason(rule, b.Points, fmt.Sprintf("%s is in the band from %s", what, from))
}

func (r Rules) recommend(f Facts, ev Evaluation) []Recommendation {
	var recs []Recommendation
	add := func(code, format string, args ...any) {
		recs = append(recs, Recommendation{Code: code, Message: fmt.Sprintf(format, args...)})
	}
	if !ev.Eligible {
		add("verify-age", "Confirm the customer's birth date: only customers aged %d or over can be promoted", r.MinAge)
	}
	if ev.Promotes() {
		add("upgrade-tier", "Upgrade from %s to %s (score %d)", ev.CurrentTier, ev.RecommendedTier, ev.Score)
	}
	if !f.FirstPayment {
		add("first-payment-bonus", "Invite a first payment: it unlocks a %d%% discount for %d days",
			r.FirstPaymentBonus.DiscountPercent, r.FirstPaymentBonus.ValidDays)
	}
	if f.CreditScore != nil && *f.CreditScore < 580 {
		add("credit-builder", "Offer a credit-builder product (credit score %d)", *f.CreditScore)
	}
	if f.Income == nil || f.CreditScore == nil {
		add("complete-profile", "Ask for income and credit score to refine the profile")
	}
	return recs
}
