package notifications

import (
	"strings"
	"testing"

	"github.com/fintechlabs/customers/apps/config"
)

func TestTheEmailProviderIsCheckedWithTheOtherSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // in the error; "" for none
	}{
		{"the development provider needs nothing", nil, ""},
		{"smtp with its settings", map[string]string{"EMAIL_PROVIDER": "smtp", "SMTP_ADDR": "mail.example.com:587",
			"SMTP_FROM": "no-reply@fintech.example", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p"}, ""},
		{"smtp without a server", map[string]string{"EMAIL_PROVIDER": "smtp", "SMTP_FROM": "no-reply@fintech.example"}, "EMAIL_PROVIDER=smtp: SMTP address"},
		{"smtp sending a password in clear", map[string]string{"EMAIL_PROVIDER": "smtp", "SMTP_ADDR": "mail.example.com:25",
			"SMTP_FROM": "no-reply@fintech.example", "SMTP_SECURITY": "none", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "p"}, "SMTP_SECURITY"},
		{"an unknown provider", map[string]string{"EMAIL_PROVIDER": "pigeon"}, `EMAIL_PROVIDER "pigeon"`},
		{"a failure rate that is no chance", map[string]string{"DELIVERY_FAILURE_RATE": "2"}, "DELIVERY_FAILURE_RATE must be between 0 and 1"},
		{"a prefixed setting wins", map[string]string{"EMAIL_PROVIDER": "pigeon", "NOTIFICATIONS_EMAIL_PROVIDER": "development"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s settings
			cfg, err := config.Load(config.Notifications, config.MapEnv(tt.env), false, func(r *config.Reader) { s = read(r) })
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Load = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Load = %v, want an error mentioning %q", err, tt.want)
			case tt.want == "" && tt.env["SMTP_ADDR"] != "" && s.smtp.Addr != tt.env["SMTP_ADDR"]:
				t.Fatalf("SMTP settings not read: %+v", s.smtp)
			}
			if tt.want == "" {
				// The wiring reads the same settings again from cfg.
				again := read(cfg.Reader())
				if again.email != s.email || again.smtp != s.smtp || again.development.FailureRate != s.development.FailureRate ||
					again.development.Latency != s.development.Latency {
					t.Fatalf("read from cfg %+v, from Load %+v", again, s)
				}
			}
		})
	}
}
