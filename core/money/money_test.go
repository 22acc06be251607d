package money_test

import (
	"errors"
	"testing"

	"github.com/fintechlabs/customers/core/money"
)

func TestParseMinorReadsDecimalTextExactly(t *testing.T) {
	tests := []struct {
		name string
		text string
		exp  int
		want int64
		err  error
	}{
		{"whole units become hundredths", "1500", 2, 150000, nil},
		{"one decimal is padded", "1500.5", 2, 150050, nil},
		{"two decimals are exact", "0.10", 2, 10, nil},
		{"trailing zeros beyond the exponent are harmless", "12.3400", 2, 1234, nil},
		{"zero decimal currencies take whole numbers", "1500", 0, 1500, nil},
		{"three decimal currencies keep thousandths", "1.005", 3, 1005, nil},
		{"surrounding spaces are ignored", " 7 ", 2, 700, nil},
		{"more decimals than the currency allows are refused", "10.005", 2, 0, money.ErrPrecision},
		{"decimals on a zero decimal currency are refused", "10.5", 0, 0, money.ErrPrecision},
		{"a negative sign is refused", "-5", 2, 0, money.ErrSyntax},
		{"a plus sign is refused", "+5", 2, 0, money.ErrSyntax},
		{"scientific notation is refused", "1e3", 2, 0, money.ErrSyntax},
		{"thousands separators are refused", "1,500", 2, 0, money.ErrSyntax},
		{"a bare dot is refused", ".", 2, 0, money.ErrSyntax},
		{"a leading dot is refused", ".5", 2, 0, money.ErrSyntax},
		{"a trailing dot is refused", "5.", 2, 0, money.ErrSyntax},
		{"empty text is refused", "", 2, 0, money.ErrSyntax},
		{"the largest representable amount parses", "92233720368547758.07", 2, 9223372036854775807 - 0, nil},
		{"amounts past int64 are refused", "92233720368547759", 2, 0, money.ErrRange},
		{"absurdly long numbers are refused", "99999999999999999999999", 2, 0, money.ErrRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := money.ParseMinor(tt.text, tt.exp)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseMinor(%q, %d) error = %v, want %v", tt.text, tt.exp, err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("ParseMinor(%q, %d) = %d, want %d", tt.text, tt.exp, got, tt.want)
			}
		})
	}
}

func TestParseKnowsEachCurrencysMinorUnit(t *testing.T) {
	tests := []struct {
		text, currency string
		want           money.Amount
		decimal        string
	}{
		{"1500.50", "eur", money.Amount{Minor: 150050, Currency: "EUR"}, "1500.50"},
		{"1500", "JPY", money.Amount{Minor: 1500, Currency: "JPY"}, "1500"},
		{"2.5", "KWD", money.Amount{Minor: 2500, Currency: "KWD"}, "2.500"},
		{"0.01", "USD", money.Amount{Minor: 1, Currency: "USD"}, "0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.text+" "+tt.currency, func(t *testing.T) {
			got, err := money.Parse(tt.text, tt.currency)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if got.Decimal() != tt.decimal {
				t.Fatalf("Decimal() = %q, want %q", got.Decimal(), tt.decimal)
			}
			if got.String() != tt.decimal+" "+tt.want.Currency {
				t.Fatalf("String() = %q", got.String())
			}
		})
	}
}

func TestParseRefusesBadCurrenciesAndZeroPayments(t *testing.T) {
	for _, cur := range []string{"", "EU", "EURO", "E1R", "€€€"} {
		if _, err := money.Parse("1", cur); !errors.Is(err, money.ErrCurrency) {
			t.Errorf("currency %q: error = %v, want ErrCurrency", cur, err)
		}
	}
	if _, err := money.ParsePositive("0.00", "EUR"); !errors.Is(err, money.ErrNotPositive) {
		t.Errorf("zero payment: error = %v, want ErrNotPositive", err)
	}
	if _, err := money.ParsePositive("abc", "EUR"); !errors.Is(err, money.ErrSyntax) {
		t.Errorf("bad amount: error = %v, want ErrSyntax", err)
	}
	if _, err := money.ParsePositive("1", "EURO"); !errors.Is(err, money.ErrCurrency) {
		t.Errorf("bad currency: error = %v, want ErrCurrency", err)
	}
	if a, err := money.ParsePositive("0.01", "EUR"); err != nil || a.Minor != 1 {
		t.Errorf("one cent: %+v, %v", a, err)
	}
}

func TestFormatMinorPadsSmallAmountsAndKeepsTheSign(t *testing.T) {
	tests := []struct {
		minor int64
		exp   int
		want  string
	}{
		{0, 2, "0.00"},
		{5, 2, "0.05"},
		{150050, 2, "1500.50"},
		{-5, 2, "-0.05"},
		{42, 0, "42"},
		{-42, 0, "-42"},
		{1, 3, "0.001"},
	}
	for _, tt := range tests {
		if got := money.FormatMinor(tt.minor, tt.exp); got != tt.want {
			t.Errorf("FormatMinor(%d, %d) = %q, want %q", tt.minor, tt.exp, got, tt.want)
		}
	}
}

func TestWholeUnitsDropTheFraction(t *testing.T) {
	for _, tt := range []struct {
		minor int64
		exp   int
		want  int64
	}{{150050, 2, 1500}, {99, 2, 0}, {1500, 0, 1500}, {2500, 3, 2}} {
		if got := money.WholeUnits(tt.minor, tt.exp); got != tt.want {
			t.Errorf("WholeUnits(%d, %d) = %d, want %d", tt.minor, tt.exp, got, tt.want)
		}
	}
}

func FuzzParseMinorRoundTrips(f *testing.F) {
	for _, s := range []string{"0", "1500", "1500.5", "0.01", "10.005", "-1", "1e3", "", "."} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, text string, exp int) {
		if exp < 0 || exp > 4 {
			return
		}
		minor, err := money.ParseMinor(text, exp)
		if err != nil {
			return
		}
		if minor < 0 {
			t.Fatalf("ParseMinor(%q) = %d, negative", text, minor)
		}
		again, err := money.ParseMinor(money.FormatMinor(minor, exp), exp)
		if err != nil || again != minor {
			t.Fatalf("round trip of %q: %d -> %q -> %d, %v", text, minor, money.FormatMinor(minor, exp), again, err)
		}
	})
}
