// Package profiling scores customers with a deterministic, explainable rule
// table (age, income, credit score, first payment) and recommends a tier. It
// also grants the first-payment bonus.
package profiling

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/money"
	"github.com/fintechlabs/customers/core/tier"
)

// Credit scores range over the FICO scale.
const (
	MinCreditScore = 300
	MaxCreditScore = 850
)

// Band awards Points to a value of at least From (up to the next band's From).
type Band struct {
	From   int64 `json:"from"`
	Points int   `json:"points"`
}

// TierThreshold maps scores of at least MinScore to Tier.
type TierThreshold struct {
	Tier     tier.Tier `json:"tier"`
	MinScore int       `json:"minScore"`
}

// SegmentThreshold maps scores of at least MinScore to a segment name.
type SegmentThreshold struct {
	Name     string `json:"name"`
	MinScore int    `json:"minScore"`
}

// Bonus is the first-payment promotion: a discount valid for some days.
type Bonus struct {
	Code            string `json:"code"`
	DiscountPercent int    `json:"discountPercent"`
	ValidDays       int    `json:"validDays"`
}

// Rules is the rule table. Operators may replace the defaults with a JSON
// file of the same shape (see Load); it is validated before use.
type Rules struct {
	// MinAge is the eligibility age: younger customers, and customers of
	// unknown age, are never promoted.
	MinAge int `json:"minAge"`
	// Age bands are in years.
	Age []Band `json:"age"`
	// Currency is the currency of income figures; Income bands are whole
	// units of it per year.
	Currency    string `json:"currency"`
	Income      []Band `json:"income"`
	CreditScore []Band `json:"creditScore"`
	// FirstPaymentPoints are awarded once the first payment is made.
	FirstPaymentPoints int                `json:"firstPaymentPoints"`
	Tiers              []TierThreshold    `json:"tiers"`
	Segments           []SegmentThreshold `json:"segments"`
	FirstPaymentBonus  Bonus              `json:"firstPaymentBonus"`
}

// DefaultRules returns the built-in table. Its bands add up to at most 100
// points: age 15, income 30, credit score 35, first payment 20.
func DefaultRules() Rules {
	return Rules{
		MinAge:   18,
		Age:      []Band{{18, 5}, {25, 15}, {55, 10}, {65, 5}},
		Currency: "USD",
		Income:   []Band{{0, 0}, {25_000, 10}, {50_000, 20}, {100_000, 30}},
		CreditScore: []Band{
			{300, 0}, {580, 10}, {670, 20}, {740, 30}, {800, 35},
		},
		FirstPaymentPoints: 20,
		Tiers:              []TierThreshold{{tier.VIP, 80}, {tier.Premium, 55}, {tier.Basic, 0}},
		Segments: []SegmentThreshold{
			{"prime", 80}, {"preferred", 55}, {"standard", 30}, {"emerging", 0},
		},
		FirstPaymentBonus: Bonus{Code: "FIRST_PAYMENT_BONUS", DiscountPercent: 60, ValidDays: 30},
	}
}

// Load reads a rule table from JSON. Unknown fields are errors, so a typo in
// an operator's file fails loudly instead of silently keeping a default.
func Load(r io.Reader) (Rules, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return Rules{}, fmt.Errorf("read rules: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var rules Rules
	if err := dec.Decode(&rules); err != nil {
		return Rules{}, fault.Invalidf("rules are not valid JSON: %v", err)
	}
	return rules, rules.Validate()
}

// Validate checks the table is usable: bands ascending, scores that fit in
// 0-100, a tier and a segment for every score, a sensible bonus.
func (r Rules) Validate() error {
	var bad fault.Fields
	if r.MinAge < 0 || r.MinAge > 150 {
		bad.Add("minAge", "must be between 0 and 150")
	}
	if c, err := money.ParseCurrency(r.Currency); err != nil || c != r.Currency {
		bad.Add("currency", "must be an upper-case ISO 4217 code such as USD")
	}
	max := r.FirstPaymentPoints
	for _, b := range []struct {
		name     string
		bands    []Band
		min, top int64
	}{
		{"age", r.Age, 0, 150},
		{"income", r.Income, 0, 1 << 40},
		{"creditScore", r.CreditScore, MinCreditScore, MaxCreditScore},
	} {
		max += checkBands(&bad, b.name, b.bands, b.min, b.top)
	}
	if r.FirstPaymentPoints < 0 {
		bad.Add("firstPaymentPoints", "must not be negative")
	}
	if max > 100 {
		bad.Add("points", fmt.Sprintf("the most points a customer can get is %d; it must be at most 100", max))
	}
	checkTiers(&bad, r.Tiers)
	checkSegments(&bad, r.Segments)
	if r.FirstPaymentBonus.Code == "" {
		bad.Add("firstPaymentBonus.code", "is required")
	}
	if d := r.FirstPaymentBonus.DiscountPercent; d < 1 || d > 100 {
		bad.Add("firstPaymentBonus.discountPercent", "must be between 1 and 100")
	}
	if v := r.FirstPaymentBonus.ValidDays; v < 1 || v > 365 {
		bad.Add("firstPaymentBonus.validDays", "must be between 1 and 365")
	}
	return bad.Err("invalid profiling rules")
}

// checkBands validates one band list and returns its highest award.
func checkBands(bad *fault.Fields, name string, bands []Band, min, top int64) int {
	if len(bands) == 0 {
		bad.Add(name, "needs at least one band")
		return 0
	}
	best := 0
	for i, b := range bands {
		field := fmt.Sprintf("%s[%d]", name, i)
		switch {
		case b.From < min || b.From > top:
			bad.Add(field+".from", fmt.Sprintf("must be between %d and %d", min, top))
		case i > 0 && b.From <= bands[i-1].From:
			bad.Add(field+".from", "bands must be in ascending order")
		}
		if b.Points < 0 {
			bad.Add(field+".points", "must not be negative")
		}
		best = max(best, b.Points)
	}
	return best
}

func checkTiers(bad *fault.Fields, tiers []TierThreshold) {
	seen := map[tier.Tier]bool{}
	for i, t := range tiers {
		field := fmt.Sprintf("tiers[%d]", i)
		if t.Tier.Rank() < 0 {
			bad.Add(field+".tier", tier.ErrTier.Error())
		} else if seen[t.Tier] {
			bad.Add(field+".tier", "appears twice")
		}
		seen[t.Tier] = true
		if t.MinScore < 0 || t.MinScore > 100 {
			bad.Add(field+".minScore", "must be between 0 and 100")
		}
		if i > 0 && (t.MinScore >= tiers[i-1].MinScore || !tiers[i-1].Tier.Above(t.Tier)) {
			bad.Add(field, "tiers must go from the highest tier and score down")
		}
	}
	if len(tiers) == 0 || tiers[len(tiers)-1].MinScore != 0 {
		bad.Add("tiers", "the last tier must start at score 0 so every score has a tier")
	}
}

func checkSegments(bad *fault.Fields, segments []SegmentThreshold) {
	names := make([]string, 0, len(segments))
	for i, s := range segments {
		field := fmt.Sprintf("segments[%d]", i)
		if s.Name == "" || slices.Contains(names, s.Name) {
			bad.Add(field+".name", "must be present and unique")
		}
		names = append(names, s.Name)
		if i > 0 && s.MinScore >= segments[i-1].MinScore {
			bad.Add(field+".minScore", "segments must go from the highest score down")
		}
	}
	if len(segments) == 0 || segments[len(segments)-1].MinScore != 0 {
		bad.Add("segments", "the last segment must start at score 0 so every score has a segment")
	}
}

// band returns the band value falls in, if any.
func band(bands []Band, value int64) (Band, bool) {
	var found Band
	ok := false
	for _, b := range bands {
		if value >= b.From {
			found, ok = b, true
		}
	}
	return found, ok
}
