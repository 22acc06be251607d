package notification

import (
	"strconv"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/locale"
)

// Job is what one consumed event asks the notifications service to send: one
// template over one or more channels to the customer in the snapshot.
type Job struct {
	CustomerID string
	Email      string
	Phone      string
	Language   locale.Language
	Template   string
	Channels   []Channel
	Data       map[string]string
}

// Recipient returns the job's address for ch.
func (j Job) Recipient(ch Channel) string {
	if ch == SMS {
		return j.Phone
	}
	return j.Email
}

// Plan maps a consumed event to the messages it triggers:
//
//	customer.onboarded            -> welcome             (email)
//	customer.activated            -> account-activated   (email, SMS)
//	customer.deactivated          -> account-deactivated (email)
//	customer.promoted             -> promotion           (email)
//	customer.promotion.activated  -> first-payment-bonus (email)
//
// Other events trigger nothing and return false.
func Plan(d event.Data) (Job, bool) {
	switch e := d.(type) {
	case event.Onboarded:
		return job(e.Envelope, Welcome, nil, Email), true
	case event.Activated:
		return job(e.Envelope, AccountActivated, nil, Email, SMS), true
	case event.Deactivated:
		return job(e.Envelope, AccountDeactivated, map[string]string{"reason": e.Reason}, Email), true
	case event.Promoted:
		return job(e.Envelope, Promotion, map[string]string{
			"previousTier": e.PreviousTier, "newTier": e.NewTier, "reason": e.Reason,
		}, Email), true
	case event.PromotionActivated:
		return job(e.Envelope, FirstPaymentBonus, map[string]string{
			"discountPercent": strconv.Itoa(e.Promotion.DiscountPercent),
			"promotionCode":   e.Promotion.Code,
			"expiresOn":       e.Promotion.ExpiresAt.Format("2006-01-02"),
		}, Email), true
	}
	return Job{}, false
}

func job(env event.Envelope, template string, data map[string]string, channels ...Channel) Job {
	lang, err := locale.Parse(env.Customer.Language)
	if err != nil {
		lang = locale.Default
	}
	all := map[string]string{"customerName": env.Customer.Name}
	for k, v := range data {
		all[k] = v
	}
	return Job{
		CustomerID: env.CustomerID, Email: env.Customer.Email, Phone: env.Customer.Phone,
		Language: lang, Template: template, Channels: channels, Data: all,
	}
}
