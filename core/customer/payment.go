package customer

import (
	"strings"
	"time"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/money"
)

// PaymentMethod is how a payment was made.
type PaymentMethod string

// Payment methods. Credit card is the default, as in the original.
const (
	CreditCard    PaymentMethod = "credit_card"
	DebitCard     PaymentMethod = "debit_card"
	BankTransfer  PaymentMethod = "bank_transfer"
	DigitalWallet PaymentMethod = "digital_wallet"
)

const maxDescriptionLen = 200

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
	switch m := PaymentMethod(strings.ToLower(strings.TrimSpace(r.Method))); m {
	case "":
		p.Method = CreditCard
	case CreditCard, DebitCard, BankTransfer, DigitalWallet:
		p.Method = m
	default:
		bad.Add("paymentMethod", `must be "credit_card", "debit_card", "bank_transfer" or "digital_wallet"`)
	}
	if p.Description = strings.TrimSpace(r.Description); p.Description != "" {
		bad.Check("description", checkText(p.Description, maxDescriptionLen))
	}
	return p, bad.Err("invalid payment")
}
