package app

import (
	"strconv"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/notification"
)

// plan maps a consumed event to the messages it triggers:
//
//	customer.onboarded            -> welcome             (email)
//	customer.activated            -> account-activated   (email, SMS)
//	customer.deactivated          -> account-deactivated (email)
//	customer.promoted             -> promotion           (email)
//	customer.promotion.activated  -> first-payment-bonus (email)
//
// Other events trigger nothing and return false.
func plan(d event.Data) (notification.Job, bool) {
	switch e := d.(type) {
	case event.Onboarded:
		return job(e.Envelope, notification.Welcome, nil, notification.Email), true
	case event.Activated:
		return announce(notification.StatusFact, job(e.Envelope, notification.AccountActivated, nil, notification.Email, notification.SMS)), true
	case event.Deactivated:
		return announce(notification.StatusFact,
			job(e.Envelope, notification.AccountDeactivated, map[string]string{"reason": e.Reason}, notification.Email)), true
	case event.Promoted:
		return announce(notification.TierFact, job(e.Envelope, notification.Promotion, map[string]string{
			"previousTier": e.PreviousTier, "newTier": e.NewTier, "reason": e.Reason,
		}, notification.Email)), true
	case event.PromotionActivated:
		return job(e.Envelope, notification.FirstPaymentBonus, map[string]string{
			"discountPercent": strconv.Itoa(e.Promotion.DiscountPercent),
			"promotionCode":   e.Promotion.Code,
			"expiresOn":       e.Promotion.ExpiresAt.Format("2006-01-02"),
		}, notification.Email), true
	}
	return notification.Job{}, false
}

// announce marks j as announcing fact.
func announce(fact notification.Fact, j notification.Job) notification.Job {
	j.Fact = fact
	return j
}

func job(env event.Envelope, template string, data map[string]string, channels ...notification.Channel) notification.Job {
	lang := languageOf(env.Customer)
	all := map[string]string{"customerName": env.Customer.Name}
	for k, v := range data {
		all[k] = v
	}
	return notification.Job{
		CustomerID: env.CustomerID, Email: env.Customer.Email, Phone: env.Customer.Phone,
		Language: lang, Template: template, Channels: channels, Data: all, Version: env.Customer.Version,
		Preferences: preferencesOf(env.Customer, lang),
	}
}

// languageOf is the snapshot's language, the default one when it names
// none we have.
func languageOf(c event.Customer) locale.Language {
	lang, err := locale.Parse(c.Language)
	if err != nil {
		return locale.Default
	}
	return lang
}

// preferencesOf returns the preferences a snapshot carries, nil for one
// without (the original's).
func preferencesOf(c event.Customer, lang locale.Language) *notification.Preferences {
	p := c.Preferences
	if p == nil {
		return nil
	}
	return &notification.Preferences{Email: p.Email.Given, SMS: p.SMS.Given, Marketing: p.Marketing.Given, Language: lang,
		Version: c.Version}
}
