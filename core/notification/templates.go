package notification

import (
	"sort"
	"strings"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/locale"
)

// Template names.
const (
	Welcome            = "welcome"
	AccountActivated   = "account-activated"
	AccountDeactivated = "account-deactivated"
	Promotion          = "promotion"
	FirstPaymentBonus  = "first-payment-bonus"
)

// Text is a template in one language: an email subject and body, and an SMS.
type Text struct {
	Subject string
	Body    string
	SMS     string
}

// Template is a named message in every supported language.
type Template struct {
	Name  string
	Texts map[locale.Language]Text
}

// Text returns the template in lang, falling back to the default language.
func (t Template) Text(lang locale.Language) Text {
	if tx, ok := t.Texts[lang]; ok {
		return tx
	}
	return t.Texts[locale.Default]
}

// Keys lists the data keys the template needs in any language or channel.
func (t Template) Keys() []string {
	seen := map[string]bool{}
	for _, tx := range t.Texts {
		for _, k := range Placeholders(tx.Subject + " " + tx.Body + " " + tx.SMS) {
			seen[k] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Registry holds the templates by name.
type Registry struct {
	byName map[string]Template
}

// ErrUnknownTemplate is returned for a template name not in the registry.
var ErrUnknownTemplate = fault.New(fault.Invalid, "notification.unknown_template", "unknown template")

// Get returns the named template.
func (r *Registry) Get(name string) (Template, error) {
	t, ok := r.byName[name]
	if !ok {
		e := ErrUnknownTemplate.With(`"`+name+`"; known: `+strings.Join(r.Names(), ", "), nil)
		e.Fields = []fault.FieldError{{Field: "template", Message: "is not a known template"}}
		return Template{}, e
	}
	return t, nil
}

// Names lists the templates, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// All returns every template, sorted by name.
func (r *Registry) All() []Template {
	all := make([]Template, 0, len(r.byName))
	for _, n := range r.Names() {
		all = append(all, r.byName[n])
	}
	return all
}

// Templates returns the built-in registry.
func Templates() *Registry {
	r := &Registry{byName: map[string]Template{}}
	for _, t := range builtin {
		r.byName[t.Name] = t
	}
	return r
}

var builtin = []Template{
	{Welcome, map[locale.Language]Text{
		locale.Spanish: {
			Subject: "¡Bienvenido/a, {{customerName}}!",
			Body:    "Hola {{customerName}},\n\nGracias por unirte a nosotros. Tu cuenta ya está creada y te avisaremos en cuanto esté activa.\n\nUn saludo,\nEl equipo",
			SMS:     "Hola {{customerName}}, ¡bienvenido/a! Tu cuenta ya está creada.",
		},
		locale.English: {
			Subject: "Welcome, {{customerName}}!",
			Body:    "Hello {{customerName}},\n\nThank you for joining us. Your account is set up and we will let you know as soon as it is active.\n\nBest regards,\nThe team",
			SMS:     "Hi {{customerName}}, welcome! Your account is set up.",
		},
	}},
	{AccountActivated, map[locale.Language]Text{
		locale.Spanish: {
			Subject: "Tu cuenta está activa",
			Body:    "Hola {{customerName}},\n\nTu cuenta ha sido activada. Ya puedes usar todos nuestros servicios.\n\nUn saludo,\nEl equipo",
			SMS:     "{{customerName}}, tu cuenta ha sido activada.",
		},
		locale.English: {
			Subject: "Your account is active",
			Body:    "Hello {{customerName}},\n\nYour account has been activated. You can now use all of our services.\n\nBest regards,\nThe team",
			SMS:     "{{customerName}}, your account has been activated.",
		},
	}},
	{AccountDeactivated, map[locale.Language]Text{
		locale.Spanish: {
			Subject: "Tu cuenta ha sido desactivada",
			Body:    "Hola {{customerName}},\n\nTu cuenta ha sido desactivada. Motivo: {{reason}}.\nSi no lo has solicitado, contacta con nosotros.\n\nUn saludo,\nEl equipo",
			SMS:     "{{customerName}}, tu cuenta ha sido desactivada. Si no lo has solicitado, contacta con nosotros.",
		},
		locale.English: {
			Subject: "Your account has been deactivated",
			Body:    "Hello {{customerName}},\n\nYour account has been deactivated. Reason: {{reason}}.\nIf you did not ask for this, please contact us.\n\nBest regards,\nThe team",
			SMS:     "{{customerName}}, your account has been deactivated. If you did not ask for this, please contact us.",
		},
	}},
	{Promotion, map[locale.Language]Text{
		locale.Spanish: {
			Subject: "¡Enhorabuena, ahora eres cliente {{newTier}}!",
			Body:    "Hola {{customerName}},\n\n¡Enhorabuena! Has pasado del nivel {{previousTier}} al nivel {{newTier}}.\n\nUn saludo,\nEl equipo",
			SMS:     "¡Enhorabuena {{customerName}}! Ahora eres cliente {{newTier}}.",
		},
		locale.English: {
			Subject: "Congratulations, you are now a {{newTier}} customer!",
			Body:    "Hello {{customerName}},\n\nCongratulations! You have moved from the {{previousTier}} tier to the {{newTier}} tier.\n\nBest regards,\nThe team",
			SMS:     "Congratulations {{customerName}}! You are now a {{newTier}} customer.",
		},
	}},
	{FirstPaymentBonus, map[locale.Language]Text{
		locale.Spanish: {
			Subject: "Tu bono de primer pago: {{discountPercent}}% de descuento",
			Body:    "Hola {{customerName}},\n\nGracias por tu primer pago. Te regalamos un {{discountPercent}}% de descuento (código {{promotionCode}}), válido hasta el {{expiresOn}}.\n\nUn saludo,\nEl equipo",
			SMS:     "{{customerName}}, por tu primer pago tienes un {{discountPercent}}% de descuento hasta el {{expiresOn}}.",
		},
		locale.English: {
			Subject: "Your first-payment bonus: {{discountPercent}}% off",
			Body:    "Hello {{customerName}},\n\nThank you for your first payment. Enjoy a {{discountPercent}}% discount (code {{promotionCode}}), valid until {{expiresOn}}.\n\nBest regards,\nThe team",
			SMS:     "{{customerName}}, your first payment earned you {{discountPercent}}% off until {{expiresOn}}.",
		},
	}},
}

// Marketing reports whether template's messages are marketing ones (the
// first-payment bonus, promotions), sent only with the customer's consent.
// Every other message is transactional: sent on the channels the customer
// accepts, consent or not.
func Marketing(template string) bool { return template == Promotion || template == FirstPaymentBonus }
