package cli_test

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/apps/cli"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/customer"
	"github.com/fintechlabs/customers/apps/notifications"
)

func TestTheCommandLine(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		done   bool
		code   int
		stdout []string // each must appear
		stderr string
	}{
		{"no arguments runs the service", nil, false, 0, nil, ""},
		{"-h prints every setting with its default", []string{"-h"}, true, 0,
			[]string{"customers-customer: runs it", "CUSTOMER_", "PORT", "3001", "KAFKA_CONCURRENCY", "32", "API_KEYS", "LOG_LEVEL", "DEFAULT_CURRENCY", "EUR"}, ""},
		{"--help too", []string{"--help"}, true, 0, []string{"Usage: customers-customer"}, ""},
		{"-version prints the build", []string{"-version"}, true, 0, []string{"customers-customer", runtime.Version()}, ""},
		{"an unknown flag is refused", []string{"-port", "80"}, true, 2, nil, "flag provided but not defined"},
		{"an argument is refused, pointing at -h", []string{"serve"}, true, 2, nil, "customers-customer -h lists them"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			done, code := cli.Handle("customers-customer", "runs it", tt.args, &out, &errs,
				cli.Service{Kind: config.Customer, Settings: customer.Assembly.Settings})
			if done != tt.done || code != tt.code {
				t.Fatalf("done %v, code %d; want %v, %d (stderr %s)", done, code, tt.done, tt.code, errs.String())
			}
			if strings.Contains(out.String(), "SMTP_ADDR") {
				t.Errorf("the customer service lists the notifications service's settings:\n%s", out.String())
			}
			for _, want := range tt.stdout {
				if !strings.Contains(out.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, out.String())
				}
			}
			if !strings.Contains(errs.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", errs.String(), tt.stderr)
			}
		})
	}
}

func TestEverySettingIsListedOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range config.Settings(config.Notifications, notifications.Assembly.Settings) {
		if seen[s.Name] {
			t.Errorf("%s listed twice", s.Name)
		}
		seen[s.Name] = true
	}
	for _, name := range []string{"EMAIL_PROVIDER", "SMTP_TIMEOUT", "DELIVERY_LATENCY", "RETENTION", "NO_COLOR"} {
		if !seen[name] {
			t.Errorf("%s is not listed", name)
		}
	}
}
