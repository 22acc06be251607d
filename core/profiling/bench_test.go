package profiling_test

import (
	"testing"

	"github.com/fintechlabs/customers/core/profiling"
)

func BenchmarkEvaluate(b *testing.B) {
	rules := profiling.DefaultRules()
	income, credit, age := int64(7_500_000), 720, 28
	f := profiling.Facts{Age: &age, Income: &income, CreditScore: &credit, FirstPayment: true}
	b.ReportAllocs()
	for b.Loop() {
		_ = rules.Evaluate(f, now)
	}
}
