package customer

import (
	"strings"
	"time"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/money"
	"github.com/fintechlabs/customers/core/text"
)

// PaymentMethod is how a payment was made.
type PaymentMethod string

// The payment methods we name. Credit card is the default, as in the
// original. Any other method a client names is kept as its label: the
// original accepted any text.
const (
	CreditCard    PaymentMethod = "credit_card"
	DebitCard     PaymentMethod = "debit_card"
	BankTransfer  PaymentMethod = "bank_transfer"
	DigitalWallet PaymentMethod = "digital_wallet"
)

const (
	maxDescriptionLen = 200
	maxMethodLen      = 40
)

// PaymentRequest is a payment as a client states it, in text: the amount is
// decimal text ("1500.50"), never a float.
type PaymentRequest struct {
	Amount      string
	Currency    string
	Method      string
	Description string
}

// Payment is a validated payment.
type Payment struct {
	Amount      money.Amount
	Method      PaymentMethod
	Description string
	PaidAt      time.Time
}

// ParsePayment validates r. Every invalid field is reported at once.
func ParsePayment(r PaymentRequest) (Payment, error) {
	var bad fault.Fields
	var p Payment
	var err error
	if strings.TrimSpace(r.Currency) == "" {
		bad.Add("currency", "is required")
	} else if _, err = money.ParseCurrency(r.Currency); err != nil {
		bad.Add("currency", err.Error())
	}
	if strings.TrimSpace(r.Amount) == "" {
		bad.Add("amount", "is required")
	} else if len(bad) == 0 {
		p.Amount, err = money.ParsePositive(r.Amount, r.Currency)
		bad.Check("amount", err)
	}
	method := strings.TrimSpace(r.Method)
	switch m := PaymentMethod(strings.ToLower(method)); m {
	case "":
		p.Method = CreditCard
	case CreditCard, DebitCard, BankTransfer, DigitalWallet:
		p.Method = m
	default:
		p.Method = PaymentMethod(method)
		bad.Check("paymentMethod", text.Check(method, maxMethodLen))
	}
	if p.Description = strings.TrimSpace(r.Description); p.Description != "" {
		bad.Check("description", text.Check(p.Description, maxDescriptionLen))
	}
	return p, bad.Err("invalid payment")
}
