// Package money holds amounts of money as integer minor units with an ISO 4217
// currency. Amounts are parsed from decimal text, never from floats, so 0.1 +
// 0.2 is exactly 0.3.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Amount is a quantity of one currency in its minor unit (cents for EUR).
type Amount struct {
	Minor    int64
	Currency string
}

// Errors returned by Parse and ParseCurrency.
var (
	ErrSyntax      = errors.New("must be a decimal number such as 1500 or 1500.50")
	ErrPrecision   = errors.New("has more decimals than the currency allows")
	ErrRange       = errors.New("is too large")
	ErrCurrency    = errors.New("must be a three-letter ISO 4217 code such as EUR")
	ErrNotPositive = errors.New("must be greater than zero")
)

// exponents lists the currencies whose minor unit is not a hundredth.
var exponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// Exponent returns how many decimals currency's minor unit has.
func Exponent(currency string) int {
	if e, ok := exponents[currency]; ok {
		return e
	}
	return 2
}

// ParseCurrency validates and upper-cases an ISO 4217 code.
func ParseCurrency(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if len(c) != 3 {
		return "", ErrCurrency
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return "", ErrCurrency
		}
	}
	return c, nil
}

// Parse reads a non-negative decimal amount of currency.
func Parse(text, currency string) (Amount, error) {
	cur, err := ParseCurrency(currency)
	if err != nil {
		return Amount{}, err
	}
	minor, err := ParseMinor(text, Exponent(cur))
	if err != nil {
		return Amount{}, err
	}
	return Amount{Minor: minor, Currency: cur}, nil
}

// ParsePositive is Parse for amounts that must be above zero, such as a payment.
func ParsePositive(text, currency string) (Amount, error) {
	a, err := Parse(text, currency)
	if err != nil {
		return Amount{}, err
	}
	if a.Minor <= 0 {
		return Amount{}, ErrNotPositive
	}
	return a, nil
}

// ParseMinor reads non-negative decimal text ("1500", "1500.5", "1500.50")
// into minor units with exp decimals. Signs, exponents, thousands separators
// and more decimals than exp are refused rather than rounded.
func ParseMinor(text string, exp int) (int64, error) {
	whole, frac, hasDot := strings.Cut(strings.TrimSpace(text), ".")
	if whole == "" || !digits(whole) || (hasDot && (frac == "" || !digits(frac))) {
		return 0, ErrSyntax
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > exp {
		return 0, ErrPrecision
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, ErrRange
	}
	var f int64
	if frac != "" {
		// At most exp (< 19) digits, so this cannot fail.
		f, _ = strconv.ParseInt(frac+strings.Repeat("0", exp-len(frac)), 10, 64)
	}
	scale := pow10(exp)
	if w > (math.MaxInt64-f)/scale {
		return 0, ErrRange
	}
	return w*scale + f, nil
}

// FormatMinor renders minor units with exp decimals: 150050, 2 -> "1500.50".
func FormatMinor(minor int64, exp int) string {
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", uint64(-minor)
	}
	if exp == 0 {
		return sign + strconv.FormatUint(u, 10)
	}
	s := strconv.FormatUint(u, 10)
	if len(s) <= exp {
		s = strings.Repeat("0", exp-len(s)+1) + s
	}
	return sign + s[:len(s)-exp] + "." + s[len(s)-exp:]
}

// WholeUnits drops the fraction of minor units with exp decimals:
// 150050, 2 -> 1500.
func WholeUnits(minor int64, exp int) int64 { return minor / pow10(exp) }

// Decimal renders the amount as decimal text without the currency.
func (a Amount) Decimal() string { return FormatMinor(a.Minor, Exponent(a.Currency)) }

// String renders "1500.50 EUR".
func (a Amount) String() string { return fmt.Sprintf("%s %s", a.Decimal(), a.Currency) }

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
