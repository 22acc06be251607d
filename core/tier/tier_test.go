package tier_test

import (
	"errors"
	"testing"

	"github.com/fintechlabs/customers/core/tier"
)

func TestTiersAreReadWhateverTheirCaseAndRankedBasicPremiumVIP(t *testing.T) {
	tests := []struct {
		in   string
		want tier.Tier
		rank int
		next tier.Tier
	}{
		{"basic", tier.Basic, 0, tier.Premium},
		{" Premium ", tier.Premium, 1, tier.VIP},
		{"VIP", tier.VIP, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := tier.Parse(tt.in)
			if err != nil || got != tt.want || got.Rank() != tt.rank {
				t.Fatalf("Parse(%q) = %q (rank %d), %v", tt.in, got, got.Rank(), err)
			}
			next, ok := got.Next()
			if next != tt.next || ok != (tt.next != "") {
				t.Fatalf("%s.Next() = %q, %v; want %q", got, next, ok, tt.next)
			}
		})
	}
}

func TestAnUnknownTierIsRefusedAndRanksBelowEveryTier(t *testing.T) {
	if _, err := tier.Parse("gold"); !errors.Is(err, tier.ErrTier) {
		t.Fatalf("Parse(gold) = %v, want ErrTier", err)
	}
	gold := tier.Tier("gold")
	if gold.Rank() != -1 || gold.Above(tier.Basic) || !tier.Basic.Above(gold) || !tier.VIP.Above(tier.Premium) || tier.Premium.Above(tier.Premium) {
		t.Fatal("the order of tiers is wrong")
	}
	if _, ok := gold.Next(); ok {
		t.Fatal("an unknown tier has a next one")
	}
}
