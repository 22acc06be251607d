package profiling_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/core/tier"
)

var now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// facts builds facts from the REST-style statement, as a client would.
func facts(t *testing.T, age *int, income *string, credit *int, paid bool) profiling.Facts {
	t.Helper()
	u, err := profiling.Statement{Age: age, Income: income, CreditScore: credit, FirstPayment: &paid}.Parse(profiling.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	var p profiling.Profile
	p.State(u)
	p.Facts.Tier = tier.Basic
	return p.Facts
}

func points(ev profiling.Evaluation, rule string) int {
	for _, r := range ev.Reasons {
		if r.Rule == rule {
			return r.Points
		}
	}
	return -1
}

func TestTheOriginalREADMEExampleEarnsPremium(t *testing.T) {
	// age 28, income 75000, credit score 720, first payment made.
	ev := profiling.DefaultRules().Evaluate(facts(t, ptr(28), ptr("75000"), ptr(720), true), now)
	if !ev.Eligible || ev.Score != 75 || ev.RecommendedTier != tier.Premium || ev.Segment != "preferred" || !ev.Promotes() {
		t.Fatalf("evaluation = %+v", ev)
	}
	want := map[string]int{"eligibility": 0, "age": 15, "income": 20, "creditScore": 20, "firstPayment": 20}
	for rule, p := range want {
		if got := points(ev, rule); got != p {
			t.Errorf("%s: %d points, want %d", rule, got, p)
		}
	}
}

func TestEligibilityIsForAdultsOnly(t *testing.T) {
	tests := []struct {
		name     string
		age      *int
		eligible bool
		detail   string
	}{
		{"a 17 year old is not eligible", ptr(17), false, "age 17 is under 18"},
		{"an 18 year old is eligible", ptr(18), true, "age 18 is 18 or over"},
		{"a customer of unknown age is not eligible", nil, false, "age unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := profiling.DefaultRules().Evaluate(facts(t, tt.age, ptr("200000"), ptr(850), true), now)
			if ev.Eligible != tt.eligible || !strings.Contains(ev.Reasons[0].Detail, tt.detail) {
				t.Fatalf("eligible = %v, reason %q", ev.Eligible, ev.Reasons[0].Detail)
			}
			if !tt.eligible {
				if ev.Promotes() || ev.RecommendedTier != tier.Basic || ev.Segment != profiling.SegmentIneligible {
					t.Fatalf("an ineligible customer must not be promoted: %+v", ev)
				}
				if ev.Recommendations[0].Code != "verify-age" {
					t.Fatalf("recommendations = %+v", ev.Recommendations)
				}
			}
		})
	}
}

func TestAgeBands(t *testing.T) {
	tests := []struct {
		age, points int
	}{{18, 5}, {24, 5}, {25, 15}, {54, 15}, {55, 10}, {64, 10}, {65, 5}, {99, 5}}
	for _, tt := range tests {
		ev := profiling.DefaultRules().Evaluate(facts(t, ptr(tt.age), nil, nil, false), now)
		if got := points(ev, "age"); got != tt.points {
			t.Errorf("age %d: %d points, want %d", tt.age, got, tt.points)
		}
	}
}

func TestCreditScoreBandsAndLimits(t *testing.T) {
	tests := []struct {
		score, points int
	}{{300, 0}, {579, 0}, {580, 10}, {669, 10}, {670, 20}, {739, 20}, {740, 30}, {799, 30}, {800, 35}, {850, 35}}
	for _, tt := range tests {
		ev := profiling.DefaultRules().Evaluate(facts(t, ptr(30), nil, ptr(tt.score), false), now)
		if got := points(ev, "creditScore"); got != tt.points {
			t.Errorf("credit score %d: %d points, want %d", tt.score, got, tt.points)
		}
	}
	for _, out := range []int{299, 851, 0, -5} {
		_, err := profiling.Statement{CreditScore: ptr(out)}.Parse(profiling.DefaultRules())
		if fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), "creditScore") {
			t.Errorf("credit score %d: error = %v, want invalid creditScore", out, err)
		}
	}
}

func TestIncomeThresholds(t *testing.T) {
	tests := []struct {
		income string
		points int
	}{
		{"0", 0}, {"24999.99", 0}, {"25000", 10}, {"49999.99", 10}, {"50000", 20},
		{"99999.99", 20}, {"100000", 30}, {"1000000.50", 30},
	}
	for _, tt := range tests {
		ev := profiling.DefaultRules().Evaluate(facts(t, ptr(30), ptr(tt.income), nil, false), now)
		if got := points(ev, "income"); got != tt.points {
			t.Errorf("income %s: %d points, want %d", tt.income, got, tt.points)
		}
	}
	for _, bad := range []string{"-1", "1.234", "lots", "1e6"} {
		if _, err := (profiling.Statement{Income: ptr(bad)}).Parse(profiling.DefaultRules()); fault.KindOf(err) != fault.Invalid {
			t.Errorf("income %q: error = %v, want invalid", bad, err)
		}
	}
}

func TestFirstPaymentAddsPointsAndSilencesTheBonusHint(t *testing.T) {
	without := profiling.DefaultRules().Evaluate(facts(t, ptr(30), ptr("60000"), ptr(750), false), now)
	with := profiling.DefaultRules().Evaluate(facts(t, ptr(30), ptr("60000"), ptr(750), true), now)
	if with.Score-without.Score != 20 {
		t.Fatalf("first payment added %d points, want 20", with.Score-without.Score)
	}
	if without.RecommendedTier != tier.Premium || with.RecommendedTier != tier.VIP {
		t.Fatalf("tiers %s -> %s, want premium -> vip", without.RecommendedTier, with.RecommendedTier)
	}
	hint := func(ev profiling.Evaluation) bool {
		for _, r := range ev.Recommendations {
			if r.Code == "first-payment-bonus" {
				return true
			}
		}
		return false
	}
	if !hint(without) || hint(with) {
		t.Fatal("the first-payment hint should appear only before the first payment")
	}
}

func TestTierThresholds(t *testing.T) {
	// Age 30 gives 15 points; first payment 20; credit score bands fill the rest.
	tests := []struct {
		name   string
		credit *int
		income *string
		paid   bool
		score  int
		tier   tier.Tier
		seg    string
	}{
		{"a score of 15 stays basic", nil, nil, false, 15, tier.Basic, "emerging"},
		{"a score of 35 is standard but basic", ptr(300), nil, true, 35, tier.Basic, "standard"},
		{"a score of 55 reaches premium", ptr(670), nil, true, 55, tier.Premium, "preferred"},
		{"a score of 80 reaches vip", ptr(800), ptr("25000"), true, 80, tier.VIP, "prime"},
		{"a perfect score is 100", ptr(850), ptr("100000"), true, 100, tier.VIP, "prime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := profiling.DefaultRules().Evaluate(facts(t, ptr(30), tt.income, tt.credit, tt.paid), now)
			if ev.Score != tt.score || ev.RecommendedTier != tt.tier || ev.Segment != tt.seg {
				t.Fatalf("score %d tier %s segment %s; want %d %s %s", ev.Score, ev.RecommendedTier, ev.Segment, tt.score, tt.tier, tt.seg)
			}
		})
	}
}

func TestEvaluationIsDeterministicAndExplainsEveryRule(t *testing.T) {
	f := facts(t, ptr(40), ptr("80000"), ptr(560), false)
	a := profiling.DefaultRules().Evaluate(f, now)
	b := profiling.DefaultRules().Evaluate(f, now)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same facts gave two evaluations")
	}
	var rules []string
	sum := 0
	for _, r := range a.Reasons {
		rules = append(rules, r.Rule)
		sum += r.Points
	}
	if strings.Join(rules, ",") != "eligibility,age,income,creditScore,firstPayment" || sum != a.Score {
		t.Fatalf("reasons %v add up to %d, score %d", rules, sum, a.Score)
	}
	codes := map[string]bool{}
	for _, r := range a.Recommendations {
		codes[r.Code] = true
	}
	if !codes["credit-builder"] || !codes["first-payment-bonus"] || codes["complete-profile"] {
		t.Fatalf("recommendations = %+v", a.Recommendations)
	}
}

func TestUnknownFactsScoreNothingAndAskForMore(t *testing.T) {
	ev := profiling.DefaultRules().Evaluate(profiling.Facts{Age: ptr(30)}, now)
	if ev.CurrentTier != tier.Basic || points(ev, "income") != 0 || points(ev, "creditScore") != 0 {
		t.Fatalf("evaluation = %+v", ev)
	}
	last := ev.Recommendations[len(ev.Recommendations)-1]
	if last.Code != "complete-profile" {
		t.Fatalf("recommendations = %+v", ev.Recommendations)
	}
}

func TestBirthDateWinsOverStatedAgeAndCountsBirthdays(t *testing.T) {
	f := profiling.Facts{Age: ptr(40), BirthDate: time.Date(2008, 6, 16, 0, 0, 0, 0, time.UTC)}
	if age, _ := f.AgeAt(now); age != 17 {
		t.Fatalf("the day before the 18th birthday: age %d, want 17", age)
	}
	if age, _ := f.AgeAt(now.AddDate(0, 0, 1)); age != 18 {
		t.Fatalf("on the 18th birthday: age %d, want 18", age)
	}
	if age, _ := f.AgeAt(time.Date(2026, 5, 30, 0, 0, 0, 0, time.UTC)); age != 17 {
		t.Fatalf("a month before: age %d, want 17", age)
	}
}

func TestStatedFactsMergeButAFirstPaymentIsNeverForgotten(t *testing.T) {
	var p profiling.Profile
	p.State(profiling.Update{FirstPayment: ptr(true), Age: ptr(30)})
	p.State(profiling.Update{FirstPayment: ptr(false), CreditScore: ptr(700)})
	if !p.Facts.FirstPayment || *p.Facts.Age != 30 || *p.Facts.CreditScore != 700 {
		t.Fatalf("facts = %+v", p.Facts)
	}
	if _, err := (profiling.Statement{Age: ptr(151)}).Parse(profiling.DefaultRules()); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("age 151 accepted: %v", err)
	}
}

func snap(version int64, status string, level tier.Tier) profiling.Snapshot {
	return profiling.Snapshot{ID: "c1", Name: "Ana", Email: "ana@example.es", Phone: "+34600111222",
		Status: status, Tier: level, BirthDate: time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC), CreatedAt: now, Version: version}
}

func TestOlderSnapshotsNeverOverwriteNewerOnes(t *testing.T) {
	var p profiling.Profile
	if !p.ApplySnapshot(snap(3, "active", tier.Premium)) {
		t.Fatal("the first snapshot was not applied")
	}
	if p.ApplySnapshot(snap(2, "onboarded", tier.Basic)) {
		t.Fatal("an older snapshot was applied")
	}
	if p.ApplySnapshot(snap(3, "inactive", tier.Basic)) {
		t.Fatal("a snapshot of the same version was applied twice")
	}
	if p.Facts.Status != "active" || p.Facts.Tier != tier.Premium || p.Customer.Version != 3 {
		t.Fatalf("facts = %+v", p.Facts)
	}
	if p.Facts.BirthDate.Year() != 1990 {
		t.Fatalf("birth date not taken: %v", p.Facts.BirthDate)
	}
	paid := snap(4, "active", tier.Premium)
	paid.FirstPaymentAt = now
	if !p.ApplySnapshot(paid) || !p.Facts.FirstPayment {
		t.Fatal("a snapshot with a first payment should set the fact")
	}
}

// The original system's snapshots have no version (0).
func TestUnversionedSnapshotsNeverOverwriteVersionedOnes(t *testing.T) {
	var p profiling.Profile
	if !p.ApplySnapshot(snap(0, "onboarded", "")) || p.Facts.Status != "onboarded" || p.Facts.Tier != "" {
		t.Fatalf("a first unversioned snapshot: %+v", p.Facts)
	}
	activated := snap(0, "active", "")
	activated.ActivatedAt = now.Add(time.Minute)
	if !p.ApplySnapshot(activated) || p.Facts.Status != "active" {
		t.Fatal("a later unversioned change was not applied")
	}
	if p.ApplySnapshot(snap(0, "onboarded", "")) {
		t.Fatal("an earlier unversioned change was applied over a later one")
	}
	promoted := snap(0, "", tier.Premium)
	promoted.PromotedAt = now.Add(2 * time.Minute)
	if !p.ApplySnapshot(promoted) || p.Facts.Status != "active" || p.Facts.Tier != tier.Premium {
		t.Fatalf("a snapshot without status must keep the known one: %+v", p.Facts)
	}
	if !p.ApplySnapshot(snap(1, "active", tier.Basic)) {
		t.Fatal("a versioned snapshot must replace an unversioned one")
	}
	late := snap(0, "inactive", "")
	late.DeactivatedAt = now.Add(time.Hour)
	if p.ApplySnapshot(late) || p.Facts.Status != "active" {
		t.Fatal("an unversioned snapshot overwrote a versioned one")
	}
}

func TestTheFirstPaymentBonusIsGrantedOnce(t *testing.T) {
	var p profiling.Profile
	p.CustomerID = "c1"
	promo, ok := p.GrantFirstPaymentBonus("p1", profiling.DefaultRules(), now)
	if !ok || promo.DiscountPercent != 60 || promo.Code != "FIRST_PAYMENT_BONUS" || !promo.ExpiresAt.Equal(now.AddDate(0, 0, 30)) {
		t.Fatalf("promotion = %+v", promo)
	}
	if !promo.ActiveAt(now) || !promo.ActiveAt(now.AddDate(0, 0, 29)) || promo.ActiveAt(now.AddDate(0, 0, 30)) || promo.ActiveAt(now.Add(-time.Second)) {
		t.Fatal("the bonus should be valid for exactly 30 days")
	}
	if _, again := p.GrantFirstPaymentBonus("p2", profiling.DefaultRules(), now); again || len(p.Promotions) != 1 {
		t.Fatal("the bonus was granted twice")
	}
	if !p.Facts.FirstPayment {
		t.Fatal("the bonus implies the first payment")
	}
}

func TestDefaultRulesAreValidAndMaxOutAtOneHundred(t *testing.T) {
	if err := profiling.DefaultRules().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadReadsAndValidatesARuleFile(t *testing.T) {
	custom := `{
	  "minAge": 21, "currency": "EUR",
	  "age": [{"from": 21, "points": 10}],
	  "income": [{"from": 0, "points": 0}, {"from": 30000, "points": 30}],
	  "creditScore": [{"from": 300, "points": 0}, {"from": 700, "points": 40}],
	  "firstPaymentPoints": 20,
	  "tiers": [{"tier": "vip", "minScore": 90}, {"tier": "premium", "minScore": 50}, {"tier": "basic", "minScore": 0}],
	  "segments": [{"name": "gold", "minScore": 50}, {"name": "rest", "minScore": 0}],
	  "firstPaymentBonus": {"code": "WELCOME", "discountPercent": 25, "validDays": 10}
	}`
	r, err := profiling.Load(strings.NewReader(custom))
	if err != nil {
		t.Fatal(err)
	}
	ev := r.Evaluate(profiling.Facts{Age: ptr(20)}, now)
	if ev.Eligible {
		t.Fatal("custom minimum age ignored")
	}
	ev = r.Evaluate(facts(t, ptr(22), ptr("30000"), ptr(710), true), now)
	if ev.Score != 100 || ev.RecommendedTier != tier.VIP || ev.Segment != "gold" {
		t.Fatalf("custom rules: %+v", ev)
	}
}

func TestLoadRefusesBrokenRuleFiles(t *testing.T) {
	valid := `"currency":"USD","age":[{"from":18,"points":5}],"income":[{"from":0,"points":0}],` +
		`"creditScore":[{"from":300,"points":0}],"tiers":[{"tier":"basic","minScore":0}],` +
		`"segments":[{"name":"all","minScore":0}],"firstPaymentBonus":{"code":"B","discountPercent":60,"validDays":30}`
	tests := []struct {
		name, json, want string
	}{
		{"not JSON", `{`, "not valid JSON"},
		{"a misspelt field", `{"minAg": 18,` + valid + `}`, "unknown field"},
		{"a negative minimum age", `{"minAge": -1,` + valid + `}`, "minAge"},
		{"a lower-case currency", `{` + strings.Replace(valid, `"USD"`, `"usd"`, 1) + `}`, "currency"},
		{"bands out of order", `{` + strings.Replace(valid, `"age":[{"from":18,"points":5}]`, `"age":[{"from":30,"points":5},{"from":20,"points":1}]`, 1) + `}`, "ascending"},
		{"a credit band outside 300-850", `{` + strings.Replace(valid, `"creditScore":[{"from":300`, `"creditScore":[{"from":200`, 1) + `}`, "creditScore[0].from"},
		{"negative points", `{` + strings.Replace(valid, `"points":5`, `"points":-5`, 1) + `}`, "must not be negative"},
		{"no bands", `{` + strings.Replace(valid, `"age":[{"from":18,"points":5}]`, `"age":[]`, 1) + `}`, "at least one band"},
		{"more than 100 points", `{"firstPaymentPoints": 99,` + valid + `}`, "at most 100"},
		{"negative first payment points", `{"firstPaymentPoints": -1,` + valid + `}`, "firstPaymentPoints"},
		{"an unknown tier", `{` + strings.Replace(valid, `"tier":"basic"`, `"tier":"gold"`, 1) + `}`, "tiers[0].tier"},
		{"tiers out of order", `{` + strings.Replace(valid, `"tiers":[{"tier":"basic","minScore":0}]`, `"tiers":[{"tier":"basic","minScore":50},{"tier":"vip","minScore":0}]`, 1) + `}`, "highest tier"},
		{"a tier twice", `{` + strings.Replace(valid, `"tiers":[{"tier":"basic","minScore":0}]`, `"tiers":[{"tier":"basic","minScore":50},{"tier":"basic","minScore":0}]`, 1) + `}`, "appears twice"},
		{"a tier score over 100", `{` + strings.Replace(valid, `"tiers":[{"tier":"basic","minScore":0}]`, `"tiers":[{"tier":"vip","minScore":101},{"tier":"basic","minScore":0}]`, 1) + `}`, "minScore"},
		{"no tier for low scores", `{` + strings.Replace(valid, `"tier":"basic","minScore":0`, `"tier":"basic","minScore":10`, 1) + `}`, "every score has a tier"},
		{"segments out of order", `{` + strings.Replace(valid, `"segments":[{"name":"all","minScore":0}]`, `"segments":[{"name":"a","minScore":0},{"name":"b","minScore":50}]`, 1) + `}`, "highest score down"},
		{"an unnamed segment", `{` + strings.Replace(valid, `"name":"all"`, `"name":""`, 1) + `}`, "unique"},
		{"no segment for low scores", `{` + strings.Replace(valid, `"name":"all","minScore":0`, `"name":"all","minScore":5`, 1) + `}`, "every score has a segment"},
		{"a bonus without code", `{` + strings.Replace(valid, `"code":"B"`, `"code":""`, 1) + `}`, "firstPaymentBonus.code"},
		{"a 101% bonus", `{` + strings.Replace(valid, `"discountPercent":60`, `"discountPercent":101`, 1) + `}`, "discountPercent"},
		{"a bonus valid for a year and more", `{` + strings.Replace(valid, `"validDays":30`, `"validDays":366`, 1) + `}`, "validDays"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := profiling.Load(strings.NewReader(tt.json))
			if fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want invalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestLoadReportsReadFailures(t *testing.T) {
	if _, err := profiling.Load(failingReader{}); err == nil || fault.KindOf(err) != fault.Internal {
		t.Fatalf("error = %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errTest }

var errTest = fault.Wrap(fault.Internal, nil, "disk")

func TestValuesBelowEveryBandScoreNothing(t *testing.T) {
	r := profiling.DefaultRules()
	r.Age = []profiling.Band{{30, 10}}
	ev := r.Evaluate(profiling.Facts{Age: ptr(20)}, now)
	if points(ev, "age") != 0 || !strings.Contains(ev.Reasons[1].Detail, "below every band") {
		t.Fatalf("reasons = %+v", ev.Reasons)
	}
}
