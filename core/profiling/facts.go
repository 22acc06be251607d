package profiling

import (
	"strings"
	"time"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/money"
	"github.com/fintechlabs/customers/core/tier"
)

// Facts are what profiling knows about a customer, gathered over time from
// customer events and profiling requests. Nil pointers are unknown facts.
type Facts struct {
	// BirthDate, when known, wins over Age: it stays right as time passes.
	BirthDate    time.Time
	Age          *int
	Income       *int64 // yearly, in minor units of the rules' currency
	CreditScore  *int
	FirstPayment bool
	Tier         tier.Tier
	Status       string
}

// AgeAt returns the customer's age in whole years at now.
func (f Facts) AgeAt(now time.Time) (int, bool) {
	if !f.BirthDate.IsZero() {
		age := now.Year() - f.BirthDate.Year()
		if now.Month() < f.BirthDate.Month() || (now.Month() == f.BirthDate.Month() && now.Day() < f.BirthDate.Day()) {
			age--
		}
		return age, true
	}
	if f.Age != nil {
		return *f.Age, true
	}
	return 0, false
}

// Statement is facts as a client states them (the original's REST body):
// every field optional, income as decimal text.
type Statement struct {
	Age          *int
	Income       *string
	CreditScore  *int
	FirstPayment *bool
}

// Update is a validated Statement.
type Update struct {
	Age          *int
	Income       *int64
	CreditScore  *int
	FirstPayment *bool
}

// Parse validates s against the rules' currency. Every invalid field is
// reported at once.
func (s Statement) Parse(r Rules) (Update, error) {
	var bad fault.Fields
	u := Update{Age: s.Age, CreditScore: s.CreditScore, FirstPayment: s.FirstPayment}
	if s.Age != nil && (*s.Age < 0 || *s.Age > 150) {
		bad.Add("age", "must be between 0 and 150")
	}
	if s.CreditScore != nil && (*s.CreditScore < MinCreditScore || *s.CreditScore > MaxCreditScore) {
		bad.Add("creditScore", "must be between 300 and 850")
	}
	if s.Income != nil {
		minor, err := money.ParseMinor(strings.TrimSpace(*s.Income), money.Exponent(r.Currency))
		if err != nil {
			bad.Add("income", "must be a non-negative amount: "+err.Error())
		}
		u.Income = &minor
	}
	return u, bad.Err("invalid profiling facts")
}

// apply merges the stated facts into f. A first payment, once known, stays.
func (u Update) apply(f *Facts) {
	if u.Age != nil {
		f.Age = u.Age
	}
	if u.Income != nil {
		f.Income = u.Income
	}
	if u.CreditScore != nil {
		f.CreditScore = u.CreditScore
	}
	if u.FirstPayment != nil && *u.FirstPayment {
		f.FirstPayment = true
	}
}
