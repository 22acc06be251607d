package app

import (
	"slices"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/notification"
)

func env(lang string) event.Envelope {
	return event.Envelope{CustomerID: "c1", Timestamp: time.Now(), Customer: event.Customer{
		ID: "c1", Name: "Ana López", Email: "ana@example.es", Phone: "+34600111222", Language: lang, Version: 1}}
}

func TestEachCustomerEventTriggersItsTemplates(t *testing.T) {
	expires := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		data     event.Data
		template string
		channels []notification.Channel
		extra    map[string]string
	}{
		{"onboarding sends the welcome email", event.Onboarded{Envelope: env("es")}, "welcome", []notification.Channel{"email"}, nil},
		{"activation sends an email and an SMS", event.Activated{Envelope: env("es")}, "account-activated", []notification.Channel{"email", "sms"}, nil},
		{"deactivation sends the reason by email", event.Deactivated{Envelope: env("es"), Reason: "fraud"}, "account-deactivated",
			[]notification.Channel{"email"}, map[string]string{"reason": "fraud"}},
		{"a promotion sends the congratulations email", event.Promoted{Envelope: env("en"), PreviousTier: "basic", NewTier: "vip"}, "promotion",
			[]notification.Channel{"email"}, map[string]string{"previousTier": "basic", "newTier": "vip"}},
		{"the first-payment bonus is announced by email", event.PromotionActivated{Envelope: env("xx"), Promotion: event.Promotion{
			Code: "FIRST_PAYMENT_BONUS", DiscountPercent: 60, ExpiresAt: expires}}, "first-payment-bonus",
			[]notification.Channel{"email"}, map[string]string{"discountPercent": "60", "expiresOn": "2026-04-01", "promotionCode": "FIRST_PAYMENT_BONUS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, ok := plan(tt.data)
			if !ok || job.Template != tt.template || !slices.Equal(job.Channels, tt.channels) {
				t.Fatalf("job = %+v", job)
			}
			if job.CustomerID != "c1" || job.Recipient(notification.Email) != "ana@example.es" || job.Recipient(notification.SMS) != "+34600111222" {
				t.Fatalf("recipients = %+v", job)
			}
			if job.Data["customerName"] != "Ana López" {
				t.Fatalf("data = %v", job.Data)
			}
			for k, v := range tt.extra {
				if job.Data[k] != v {
					t.Fatalf("data[%s] = %q, want %q", k, job.Data[k], v)
				}
			}
			tpl, _ := notification.Templates().Get(job.Template)
			for _, ch := range job.Channels {
				if _, err := notification.RenderTemplate(tpl, ch, job.Language, job.Data); err != nil {
					t.Fatalf("the planned data does not render %s: %v", ch, err)
				}
			}
		})
	}
	if job, _ := plan(event.Promoted{Envelope: env("en")}); job.Language != locale.English {
		t.Fatalf("language = %q", job.Language)
	}
	if job, _ := plan(event.PromotionActivated{Envelope: env("xx")}); job.Language != locale.Spanish {
		t.Fatalf("an unknown language should fall back to Spanish, got %q", job.Language)
	}
	for _, quiet := range []event.Data{event.Registered{Envelope: env("es")}, event.FirstPayment{Envelope: env("es")}, event.Profiled{}, event.NotificationSent{}} {
		if _, ok := plan(quiet); ok {
			t.Errorf("%s should trigger nothing", quiet.Topic())
		}
	}
}
