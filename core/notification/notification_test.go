package notification_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/notification"
)

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	e, ok := fault.As(err)
	if !ok || e.Kind != fault.Invalid {
		t.Fatalf("error = %v, want invalid", err)
	}
	var fs []string
	for _, f := range e.Fields {
		fs = append(fs, f.Field)
	}
	return fs
}

func TestRenderFillsPlaceholders(t *testing.T) {
	tests := []struct {
		name, text string
		data       map[string]string
		want       string
	}{
		{"the original's SMS example", "Tu código de verificación: {{code}}", map[string]string{"code": "123456"}, "Tu código de verificación: 123456"},
		{"spaces inside braces", "Hola {{ customerName }}", map[string]string{"customerName": "Ana"}, "Hola Ana"},
		{"a key used twice", "{{a}}-{{a}}", map[string]string{"a": "x"}, "x-x"},
		{"an empty value is allowed", "[{{a}}]", map[string]string{"a": ""}, "[]"},
		{"text without placeholders", "Tu cuenta ha sido activada", nil, "Tu cuenta ha sido activada"},
		{"an unclosed brace stays", "a {{b", nil, "a {{b"},
		{"braces around a non-key stay", "{{ not a key }} and {{1x}}", nil, "{{ not a key }} and {{1x}}"},
		{"values are not rendered again", "{{a}}", map[string]string{"a": "{{b}}"}, "{{b}}"},
		{"dotted keys work", "{{user.name}}", map[string]string{"user.name": "Ana"}, "Ana"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := notification.Render(tt.text, tt.data)
			if err != nil || got != tt.want {
				t.Fatalf("Render = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestRenderNamesEveryMissingKey(t *testing.T) {
	_, err := notification.Render("{{greeting}} {{name}}, {{code}} {{name}}", map[string]string{"code": "1"})
	got := fieldsOf(t, err)
	if strings.Join(got, ",") != "data.greeting,data.name" {
		t.Fatalf("missing = %v", got)
	}
	if keys := notification.Placeholders("{{a}} {{b}} {{a}}"); strings.Join(keys, ",") != "a,b" {
		t.Fatalf("Placeholders = %v", keys)
	}
}

func TestEveryTemplateRendersInBothLanguagesAndChannels(t *testing.T) {
	reg := notification.Templates()
	want := []string{"account-activated", "account-deactivated", "first-payment-bonus", "promotion", "welcome"}
	if !slices.Equal(reg.Names(), want) {
		t.Fatalf("templates = %v, want %v", reg.Names(), want)
	}
	data := map[string]string{
		"customerName": "Ana", "reason": "r", "previousTier": "basic", "newTier": "premium",
		"discountPercent": "60", "promotionCode": "FIRST_PAYMENT_BONUS", "expiresOn": "2026-04-01",
	}
	for _, tpl := range reg.All() {
		for _, lang := range []locale.Language{locale.Spanish, locale.English} {
			for _, ch := range []notification.Channel{notification.Email, notification.SMS} {
				c, err := notification.RenderTemplate(tpl, ch, lang, data)
				if err != nil {
					t.Fatalf("%s/%s/%s: %v", tpl.Name, lang, ch, err)
				}
				if !strings.Contains(c.Body, "Ana") || strings.Contains(c.Body+c.Subject, "{{") {
					t.Fatalf("%s/%s/%s rendered %+v", tpl.Name, lang, ch, c)
				}
				if (ch == notification.Email) != (c.Subject != "") {
					t.Fatalf("%s/%s/%s subject %q", tpl.Name, lang, ch, c.Subject)
				}
			}
		}
		if !slices.Contains(tpl.Keys(), "customerName") {
			t.Fatalf("%s keys = %v", tpl.Name, tpl.Keys())
		}
	}
}

func TestTemplatesSpeakTheCustomersLanguage(t *testing.T) {
	tpl, err := notification.Templates().Get(notification.Welcome)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]string{"customerName": "Ana"}
	es, _ := notification.RenderTemplate(tpl, notification.Email, locale.Spanish, data)
	en, _ := notification.RenderTemplate(tpl, notification.Email, locale.English, data)
	fallback, _ := notification.RenderTemplate(tpl, notification.Email, locale.Language("de"), data)
	if es.Subject != "¡Bienvenido/a, Ana!" || en.Subject != "Welcome, Ana!" || fallback.Subject != es.Subject {
		t.Fatalf("subjects: %q / %q / %q", es.Subject, en.Subject, fallback.Subject)
	}
	_, err = notification.RenderTemplate(tpl, notification.Email, locale.Spanish, nil)
	if got := fieldsOf(t, err); !slices.Equal(got, []string{"data.customerName"}) {
		t.Fatalf("missing = %v", got)
	}
	_, err = notification.RenderTemplate(tpl, notification.SMS, locale.Spanish, nil)
	if got := fieldsOf(t, err); !slices.Equal(got, []string{"data.customerName"}) {
		t.Fatalf("SMS missing = %v", got)
	}
}

func TestUnknownTemplatesAreInvalidAndListTheKnownOnes(t *testing.T) {
	_, err := notification.Templates().Get("newsletter")
	if got := fieldsOf(t, err); !slices.Equal(got, []string{"template"}) || !strings.Contains(err.Error(), "welcome") {
		t.Fatalf("error = %v", err)
	}
}

func TestAdHocMessagesMustFitTheirChannel(t *testing.T) {
	tests := []struct {
		name          string
		ch            notification.Channel
		subject, body string
		data          map[string]string
		fields        []string
	}{
		{"a subject that a value splits over two lines", notification.Email, "Hi {{n}}", "b", map[string]string{"n": "a\r\nBcc: x"}, []string{"subject"}},
		{"an email without subject", notification.Email, " ", "b", nil, []string{"subject"}},
		{"an empty body", notification.Email, "s", "", nil, []string{"body"}},
		{"an SMS over six segments", notification.SMS, "", strings.Repeat("a", 919), nil, []string{"body"}},
		{"a body with a control character", notification.SMS, "", "a\x00b", nil, []string{"body"}},
		{"a body that is not UTF-8", notification.SMS, "", "\xff", nil, []string{"body"}},
		{"a subject over 200 characters", notification.Email, strings.Repeat("s", 201), "b", nil, []string{"subject"}},
		{"missing data in the body", notification.Email, "s", "{{x}}", nil, []string{"data.x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := notification.RenderAdHoc(tt.ch, tt.subject, tt.body, tt.data)
			if got := fieldsOf(t, err); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields = %v, want %v", got, tt.fields)
			}
		})
	}
	c, err := notification.RenderAdHoc(notification.Email, " Bienvenido ", "Hola\n\tAna", nil)
	if err != nil || c.Subject != "Bienvenido" || c.Body != "Hola\n\tAna" {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestALabelledEmailListsItsDataUnderItsSubject(t *testing.T) {
	tests := []struct {
		name, subject string
		data          map[string]string
		want          notification.Content
		fields        []string
	}{
		{"data in key order, written as given", "Hola {{name}} ", map[string]string{"name": "Ana", "code": "{{x}}"},
			notification.Content{Subject: "Hola Ana", Body: "Hola Ana\n\ncode: {{x}}\nname: Ana"}, nil},
		{"no data", "Aviso", nil, notification.Content{Subject: "Aviso", Body: "Aviso"}, nil},
		{"a placeholder without data", "Hola {{name}}", nil, notification.Content{}, []string{"data.name"}},
		{"a subject on two lines", "Hola {{name}}", map[string]string{"name": "a\nb"}, notification.Content{}, []string{"subject"}},
		{"a body over the limit", "s", map[string]string{"big": strings.Repeat("x", 10_000)}, notification.Content{}, []string{"body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := notification.RenderLabelled(tt.subject, tt.data)
			if tt.fields != nil {
				if got := fieldsOf(t, err); !slices.Equal(got, tt.fields) {
					t.Fatalf("fields = %v, want %v", got, tt.fields)
				}
				return
			}
			if err != nil || c != tt.want {
				t.Fatalf("got %+v, %v; want %+v", c, err, tt.want)
			}
		})
	}
}

func TestLabelsAreOnePrintableLine(t *testing.T) {
	for label, ok := range map[string]bool{
		"welcome-template": true, "verification-sms": true, "": false, "a\nb": false, strings.Repeat("l", 101): false,
	} {
		if err := notification.CheckLabel(label); (err == nil) != ok {
			t.Errorf("CheckLabel(%q) = %v", label, err)
		}
	}
}

func TestRecipientsAreValidatedPerChannel(t *testing.T) {
	if r, err := notification.ParseRecipient(notification.Email, "Ana@Example.ES"); err != nil || r != "Ana@example.es" {
		t.Fatalf("email: %q %v", r, err)
	}
	if r, err := notification.ParseRecipient(notification.SMS, "+34 600 111 222"); err != nil || r != "+34600111222" {
		t.Fatalf("sms: %q %v", r, err)
	}
	if _, err := notification.ParseRecipient(notification.SMS, "ana@example.es"); err == nil {
		t.Fatal("an email address is not a phone number")
	}
	if _, err := notification.ParseRecipient(notification.Email, "+34600111222"); err == nil {
		t.Fatal("a phone number is not an email address")
	}
	for _, s := range []string{"email", " SMS "} {
		if _, err := notification.ParseChannel(s); err != nil {
			t.Errorf("ParseChannel(%q): %v", s, err)
		}
	}
	if _, err := notification.ParseChannel("pigeon"); err == nil {
		t.Error("ParseChannel accepted pigeon")
	}
}

func FuzzRenderNeverPanicsAndLeavesNoKnownPlaceholder(f *testing.F) {
	for _, s := range []string{"Tu código de verificación: {{code}}", "{{", "}}{{", "{{ code }}{{code", "{{{{code}}}}", "{{a.b}}"} {
		f.Add(s, "123456")
	}
	f.Fuzz(func(t *testing.T, text, value string) {
		out, err := notification.Render(text, map[string]string{"code": value})
		if err != nil {
			if fault.KindOf(err) != fault.Invalid {
				t.Fatalf("Render failed as %v", fault.KindOf(err))
			}
			return
		}
		if !strings.Contains(value, "{{") && strings.Contains(out, "{{code}}") {
			t.Fatalf("Render(%q) left {{code}} in %q", text, out)
		}
	})
}

func TestMissingKeysOfSubjectAndBodyAreReportedTogether(t *testing.T) {
	_, err := notification.RenderAdHoc(notification.Email, "{{a}} {{b}}", "{{b}} {{c}}", nil)
	if got := fieldsOf(t, err); !slices.Equal(got, []string{"data.a", "data.b", "data.c"}) {
		t.Fatalf("missing = %v", got)
	}
}
