// Package customerapi is the customer service's HTTP API: its routes, the
// bodies they take and answer, over the shared plumbing of adapters/rest.
package customerapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/fintechlabs/customers/adapters/rest"

	"github.com/go-chi/chi/v5"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/page"
)

// Service is what the customer service's routes need of its use cases, in
// the domain's terms only: the HTTP API cannot change with the published
// events.
type Service interface {
	Onboard(ctx context.Context, r customer.Registration) (customer.Customer, error)
	Activate(ctx context.Context, id, reason string) (customer.Customer, error)
	Deactivate(ctx context.Context, id, reason string) (customer.Customer, error)
	RecordFirstPayment(ctx context.Context, id string, r customer.PaymentRequest) (customer.Customer, error)
	Promote(ctx context.Context, id, tier, reason string) (customer.Customer, error)
	Erase(ctx context.Context, id string) (customer.Customer, error)
	SetPreferences(ctx context.Context, id string, r customer.PreferencesRequest) (customer.Customer, error)
	Get(ctx context.Context, id string) (customer.Customer, error)
	List(ctx context.Context, status, tier, email string, p page.Request) (customer.Page, error)
	History(ctx context.Context, id string) ([]customer.Change, error)
	Notifications(ctx context.Context, id string) ([]customer.Notification, error)
}

// New serves the customer service's API.
func New(svc Service, opts rest.Options) http.Handler {
	h := &handler{svc: svc, opts: opts}
	routes := []rest.Route{
		{Method: http.MethodPost, Pattern: "/customers/onboard", Scope: rest.ScopeCustomersWrite, Handler: http.HandlerFunc(h.onboard),
			Summary: "Onboard a customer", Body: onboardRequest{}, Status: http.StatusCreated, Answer: changedBody{}},
		{Method: http.MethodPost, Pattern: "/customers/activate", Scope: rest.ScopeCustomersWrite, Handler: http.HandlerFunc(h.activate),
			Summary: "Activate a customer", Body: rest.Body[activateRequest, originalActivation](opts), Answer: changedBody{}},
		{Method: http.MethodPost, Pattern: "/customers/deactivate", Scope: rest.ScopeCustomersWrite, Handler: http.HandlerFunc(h.deactivate),
			Summary: "Deactivate a customer", Body: rest.Body[deactivateRequest, originalDeactivation](opts), Answer: changedBody{}},
		{Method: http.MethodPost, Pattern: "/customers/first-payment", Scope: rest.ScopeCustomersWrite, Handler: http.HandlerFunc(h.firstPayment),
			Summary: "Record a customer's first payment", Body: paymentRequest{}, Answer: changedBody{}},
		{Method: http.MethodPost, Pattern: "/customers/promote", Scope: rest.ScopeCustomersWrite, Handler: http.HandlerFunc(h.promote),
			Summary: "Promote a customer to a tier", Body: promoteRequest{}, Answer: changedBody{}},
		{Method: http.MethodPost, Pattern: "/customers/{customerId}/preferences", Scope: rest.ScopeCustomersWrite, Handler: http.HandlerFunc(h.preferences),
			Summary: "Change the messages a customer accepts, and their language", Body: preferencesRequest{}, Answer: changedBody{}},
		{Method: http.MethodPost, Pattern: "/customers/{customerId}/erase", Scope: rest.ScopeCustomersErase, Handler: http.HandlerFunc(h.erase),
			Summary: "Erase a customer at their request (idempotent; nothing undoes it)", Answer: changedBody{}},
		{Method: http.MethodGet, Pattern: "/customers", Scope: rest.ScopeCustomersRead, Handler: http.HandlerFunc(h.list),
			Summary: "List customers, by status, tier or email, a page at a time", Query: customerQuery{}, Answer: customerListBody{}},
		{Method: http.MethodGet, Pattern: "/customers/{customerId}", Scope: rest.ScopeCustomersRead, Handler: http.HandlerFunc(h.get),
			Summary: "A customer", Answer: customerBody{}},
		{Method: http.MethodGet, Pattern: "/customers/{customerId}/history", Scope: rest.ScopeCustomersRead, Handler: http.HandlerFunc(h.history),
			Summary: "A customer's status history", Answer: historyListBody{}},
		{Method: http.MethodGet, Pattern: "/customers/{customerId}/notifications", Scope: rest.ScopeCustomersRead, Handler: http.HandlerFunc(h.notifications),
			Summary: "The notifications sent to a customer", Answer: customerNotificationsBody{}},
	}
	if !opts.OursOnly {
		routes = append(routes, h.originalRoutes()...)
	}
	return rest.NewRouter(rest.API{Service: "service-customer", Resource: "customers", ReadScope: rest.ScopeCustomersRead, Routes: routes}, opts)
}

type handler struct {
	svc  Service
	opts rest.Options
}

// onboardRequest is the original's onboarding body, with our own fields
// beside it. Its patterns say, for the document, what the domain's parsers
// take (core/customer, core/pii); a test holds the two together.
type onboardRequest struct {
	Name           string   `json:"name" validate:"required_without_all=FirstName LastName,excluded_with=FirstName LastName,max=100" doc:"the whole name, or firstName and lastName"`
	FirstName      string   `json:"firstName" validate:"required_with=LastName,max=100"`
	LastName       string   `json:"lastName" validate:"required_with=FirstName,max=100"`
	Email          string   `json:"email" validate:"required,max=254,pattern" message:"must be a valid email address such as juan@example.com" format:"email" pattern:"^[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+)*@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"`
	Phone          string   `json:"phone" validate:"required,pattern" message:"must be an E.164 phone number such as +34600111222" pattern:"^\\s*\\+[ ().-]*[1-9]([ ().-]*[0-9]){7,14}[ ().-]*\\s*$" doc:"E.164, such as +34600111222; spaces, dots, dashes and parentheses are dropped"`
	DocumentType   string   `json:"documentType" validate:"required_with=DocumentNumber,pattern" message:"must be 2 to 20 letters or underscores, such as DNI or PASSPORT" pattern:"^\\s*[A-Za-z_]{2,20}\\s*$" doc:"such as DNI or PASSPORT"`
	DocumentNumber string   `json:"documentNumber" validate:"required_with=DocumentType,pattern" message:"must be 4 to 20 letters, digits or dashes" pattern:"^\\s*[A-Za-z0-9-]{4,20}\\s*$"`
	BirthDate      string   `json:"birthDate" validate:"pattern" message:"must be a date such as 1990-05-17" format:"date" pattern:"^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2}))?\\s*$" doc:"YYYY-MM-DD, between 1900 and today (an ISO 8601 date and time gives its date)"`
	Language       string   `json:"language" validate:"omitempty,oneof=es en" doc:"es when left out"`
	Channels       []string `json:"channels" doc:"the channels the customer accepts messages on; both when left out"`
	Marketing      *bool    `json:"marketingConsent" doc:"consent to marketing messages (the first-payment bonus, promotions); given when left out"`
}

func (h *handler) onboard(w http.ResponseWriter, r *http.Request) {
	var req onboardRequest
	if !rest.Decode(w, r, &req, false) {
		return
	}
	c, err := h.svc.Onboard(r.Context(), customer.Registration(req))
	if err == nil {
		w.Header().Set("Location", "/api/v1/customers/"+c.ID)
	}
	rest.Respond(w, r, h.opts.Log, http.StatusCreated, c, err, changed("Customer onboarded successfully"))
}

// activateRequest is the body of an activation.
type activateRequest struct {
	CustomerID string `json:"customerId" validate:"required,max=128"`
	Reason     string `json:"reason" validate:"max=500"`
}

// deactivateRequest is the body of a deactivation.
type deactivateRequest struct {
	CustomerID string `json:"customerId" validate:"required,max=128"`
	Reason     string `json:"reason" validate:"max=500"`
}

func (h *handler) activate(w http.ResponseWriter, r *http.Request) {
	if req, ok := rest.DecodeAliased[activateRequest, originalActivation](w, r, h.opts, false); ok {
		h.statusChange(w, r, h.svc.Activate, req.CustomerID, req.Reason, "Customer activated successfully")
	}
}

func (h *handler) deactivate(w http.ResponseWriter, r *http.Request) {
	if req, ok := rest.DecodeAliased[deactivateRequest, originalDeactivation](w, r, h.opts, false); ok {
		h.statusChange(w, r, h.svc.Deactivate, req.CustomerID, req.Reason, "Customer deactivated successfully")
	}
}

// statusChange runs an activation or a deactivation and answers it.
func (h *handler) statusChange(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, id, reason string) (customer.Customer, error),
	id, reason, message string) {
	c, err := change(r.Context(), id, reason)
	rest.Respond(w, r, h.opts.Log, http.StatusOK, c, err, changed(message))
}

type paymentRequest struct {
	CustomerID    string `json:"customerId" validate:"required,max=128"`
	Amount        amount `json:"amount" validate:"required"`
	Currency      string `json:"currency" validate:"pattern" message:"must be a three-letter ISO 4217 code such as EUR" pattern:"^\\s*[A-Za-z]{3}\\s*$" doc:"ISO 4217, such as EUR; DEFAULT_CURRENCY when left out"`
	PaymentMethod string `json:"paymentMethod" validate:"max=40" doc:"credit_card when left out; debit_card, bank_transfer, digital_wallet, or a label of your own"`
	Description   string `json:"description" validate:"max=200"`
}

func (h *handler) firstPayment(w http.ResponseWriter, r *http.Request) {
	var req paymentRequest
	if !rest.Decode(w, r, &req, false) {
		return
	}
	c, err := h.svc.RecordFirstPayment(r.Context(), req.CustomerID, customer.PaymentRequest{
		Amount: string(req.Amount.Decimal), Currency: req.Currency, Method: req.PaymentMethod, Description: req.Description,
	})
	rest.Respond(w, r, h.opts.Log, http.StatusOK, c, err, func(c customer.Customer) changedBody {
		body := changed("First payment recorded successfully")(c)
		payment := originalPayment(c)
		body.Payment = &payment
		return body
	})
}

// originalPaymentBody is the payment as the original's first-payment answer
// showed it (amount as a JSON number), with the exact amount and the
// currency used beside it.
type originalPaymentBody struct {
	CustomerID    string      `json:"customerId"`
	Amount        json.Number `json:"amount"`
	AmountDecimal string      `json:"amountDecimal"`
	AmountMinor   int64       `json:"amountMinor"`
	Currency      string      `json:"currency"`
	PaymentMethod string      `json:"paymentMethod"`
	Description   string      `json:"description"`
	ProcessedAt   time.Time   `json:"processedAt"`
}

func originalPayment(c customer.Customer) originalPaymentBody {
	p := c.FirstPayment
	exact := p.Amount.Decimal()
	return originalPaymentBody{CustomerID: c.ID, Amount: json.Number(exact), AmountDecimal: exact, AmountMinor: p.Amount.Minor,
		Currency: p.Amount.Currency, PaymentMethod: string(p.Method), Description: p.Description, ProcessedAt: p.PaidAt}
}

// promoteRequest is POST /customers/promote's body.
type promoteRequest struct {
	CustomerID string `json:"customerId" validate:"required,max=128"`
	NewTier    string `json:"newTier" validate:"omitempty,oneof=basic premium vip" doc:"the next tier up when left out"`
	Reason     string `json:"reason" validate:"max=500"`
}

func (h *handler) promote(w http.ResponseWriter, r *http.Request) {
	var req promoteRequest
	if rest.Decode(w, r, &req, false) {
		h.promoteTo(w, r, req.CustomerID, req.NewTier, req.Reason)
	}
}

// promoteTo promotes customer id and answers it.
func (h *handler) promoteTo(w http.ResponseWriter, r *http.Request, id, newTier, reason string) {
	c, err := h.svc.Promote(r.Context(), id, newTier, reason)
	rest.Respond(w, r, h.opts.Log, http.StatusOK, c, err, func(c customer.Customer) changedBody {
		return changed("Customer promoted to " + string(c.Tier))(c)
	})
}

func consentJSON(c customer.Consent) consentBody {
	return consentBody{Given: c.Given, At: c.At, Via: c.Via}
}

func (h *handler) preferences(w http.ResponseWriter, r *http.Request) {
	var req preferencesRequest
	if !rest.Decode(w, r, &req, false) {
		return
	}
	change := customer.PreferencesRequest{Language: req.Language, Marketing: req.Marketing}
	if req.Channels != nil {
		change.Channels = append([]string{}, *req.Channels...) // [] is none, not left out
	}
	c, err := h.svc.SetPreferences(r.Context(), chi.URLParam(r, "customerId"), change)
	rest.Respond(w, r, h.opts.Log, http.StatusOK, c, err, changed("Preferences saved"))
}

func (h *handler) erase(w http.ResponseWriter, r *http.Request) {
	c, err := h.svc.Erase(r.Context(), chi.URLParam(r, "customerId"))
	rest.Respond(w, r, h.opts.Log, http.StatusOK, c, err, changed("Customer erased"))
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	c, err := h.svc.Get(r.Context(), chi.URLParam(r, "customerId"))
	rest.Respond(w, r, h.opts.Log, http.StatusOK, c, err, customerJSON)
}

// customerQuery is the customer list's query string.
type customerQuery struct {
	Status string `query:"status" validate:"omitempty,oneof=onboarded active inactive erased"`
	Tier   string `query:"tier" validate:"omitempty,oneof=basic premium vip"`
	Email  string `query:"email" validate:"max=254" doc:"whatever the case of its letters"`
	rest.PageQuery
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	var q customerQuery
	if !rest.DecodeQuery(w, r, &q) {
		return
	}
	res, err := h.svc.List(r.Context(), q.Status, q.Tier, q.Email, q.Request())
	rest.Respond(w, r, h.opts.Log, http.StatusOK, res, err, func(res customer.Page) customerListBody {
		return customerListBody{Customers: rest.Each(res.Customers, customerJSON), NextCursor: res.Next}
	})
}

func (h *handler) history(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "customerId")
	changes, err := h.svc.History(r.Context(), id)
	rest.Respond(w, r, h.opts.Log, http.StatusOK, changes, err, func(changes []customer.Change) historyListBody {
		return historyListBody{CustomerID: id, History: rest.Each(changes, func(ch customer.Change) historyBody {
			return historyBody{Action: string(ch.Action), From: ch.From, To: ch.To, Reason: ch.Reason,
				Source: string(ch.Source), At: ch.At, Version: ch.Version}
		})}
	})
}

func (h *handler) notifications(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "customerId")
	ns, err := h.svc.Notifications(r.Context(), id)
	rest.Respond(w, r, h.opts.Log, http.StatusOK, ns, err, func(ns []customer.Notification) customerNotificationsBody {
		return customerNotificationsBody{CustomerID: id, Notifications: rest.Each(ns, func(n customer.Notification) customerNotificationBody {
			return customerNotificationBody{ID: n.ID, Channel: n.Channel, Template: n.Template, Recipient: n.Recipient,
				Subject: n.Subject, Status: n.Status, SentAt: n.SentAt, EventID: n.EventID}
		})}
	})
}

type customerBody struct {
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	FirstName          string          `json:"firstName,omitempty"`
	LastName           string          `json:"lastName,omitempty"`
	Email              string          `json:"email"`
	Phone              string          `json:"phone"`
	DocumentType       string          `json:"documentType,omitempty"`
	DocumentNumber     string          `json:"documentNumber,omitempty"` // masked
	BirthDate          string          `json:"birthDate,omitempty"`
	Language           string          `json:"language"`
	Status             string          `json:"status"`
	Tier               string          `json:"tier"`
	CreatedAt          time.Time       `json:"createdAt"`
	ActivatedAt        *time.Time      `json:"activatedAt,omitempty"`
	DeactivatedAt      *time.Time      `json:"deactivatedAt,omitempty"`
	DeactivationReason string          `json:"deactivationReason,omitempty"`
	FirstPaymentAt     *time.Time      `json:"firstPaymentAt,omitempty"`
	PromotedAt         *time.Time      `json:"promotedAt,omitempty"`
	FirstPayment       *paymentBody    `json:"firstPayment,omitempty"`
	Preferences        preferencesBody `json:"preferences"`
	Version            int64           `json:"version"`
}

// preferencesBody is the messages a customer accepts, with the consent
// record of each.
type preferencesBody struct {
	Email     consentBody `json:"email"`
	SMS       consentBody `json:"sms"`
	Marketing consentBody `json:"marketing"`
}

// consentBody is one consent: given or withdrawn, when, and how.
type consentBody struct {
	Given bool      `json:"given"`
	At    time.Time `json:"at"`
	Via   string    `json:"via" doc:"default (never asked: every message), onboarding, or api"`
}

// preferencesRequest changes a customer's preferences: each field
// optional, left as it is when left out.
type preferencesRequest struct {
	Channels  *[]string `json:"channels" doc:"every channel the customer accepts; [] for none"`
	Language  *string   `json:"language" validate:"omitempty,oneof=es en"`
	Marketing *bool     `json:"marketingConsent"`
}

type paymentBody struct {
	Amount        string    `json:"amount"`
	AmountMinor   int64     `json:"amountMinor"`
	Currency      string    `json:"currency"`
	PaymentMethod string    `json:"paymentMethod"`
	Description   string    `json:"description,omitempty"`
	PaidAt        time.Time `json:"paidAt"`
}

type historyBody struct {
	Action  string    `json:"action"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Reason  string    `json:"reason"`
	Source  string    `json:"source"`
	At      time.Time `json:"at"`
	Version int64     `json:"version"`
}

type customerNotificationBody struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	Template  string    `json:"template"`
	Recipient string    `json:"recipient"`
	Subject   string    `json:"subject,omitempty"`
	Status    string    `json:"status"`
	SentAt    time.Time `json:"sentAt"`
	EventID   string    `json:"eventId"`
}

// changedBody is the original's success body plus the customer (and, for
// a first payment, the original's payment).
type changedBody struct {
	Success    bool                 `json:"success"`
	CustomerID string               `json:"customerId"`
	Message    string               `json:"message"`
	Customer   customerBody         `json:"customer"`
	Payment    *originalPaymentBody `json:"payment,omitempty"`
}

// changed builds the answer to a change with message.
func changed(message string) func(customer.Customer) changedBody {
	return func(c customer.Customer) changedBody {
		return changedBody{Success: true, CustomerID: c.ID, Message: message, Customer: customerJSON(c)}
	}
}

type customerListBody struct {
	Customers  []customerBody `json:"customers"`
	NextCursor string         `json:"nextCursor"`
}

type historyListBody struct {
	CustomerID string        `json:"customerId"`
	History    []historyBody `json:"history"`
}

type customerNotificationsBody struct {
	CustomerID    string                     `json:"customerId"`
	Notifications []customerNotificationBody `json:"notifications"`
}

func customerJSON(c customer.Customer) customerBody {
	b := customerBody{
		ID: c.ID, Name: c.Name, FirstName: c.FirstName, LastName: c.LastName, Email: string(c.Email), Phone: string(c.Phone),
		DocumentType: c.Document.Type, Language: string(c.Language), Status: string(c.Status), Tier: string(c.Tier),
		CreatedAt: c.CreatedAt, ActivatedAt: optionalTime(c.ActivatedAt), DeactivatedAt: optionalTime(c.DeactivatedAt),
		DeactivationReason: c.DeactivationReason, FirstPaymentAt: optionalTime(c.FirstPaymentAt),
		PromotedAt: optionalTime(c.PromotedAt), Version: c.Version,
		Preferences: preferencesBody{Email: consentJSON(c.Preferences.Email), SMS: consentJSON(c.Preferences.SMS),
			Marketing: consentJSON(c.Preferences.Marketing)},
	}
	if !c.BirthDate.IsZero() {
		b.BirthDate = c.BirthDate.Format(time.DateOnly)
	}
	if c.Document.Number != "" {
		b.DocumentNumber = c.Document.Number.Masked()
	}
	if p := c.FirstPayment; p != nil {
		b.FirstPayment = &paymentBody{Amount: p.Amount.Decimal(), AmountMinor: p.Amount.Minor, Currency: p.Amount.Currency,
			PaymentMethod: string(p.Method), Description: p.Description, PaidAt: p.PaidAt}
	}
	return b
}

// optionalTime leaves a zero time out of an answer.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// amount is the decimal "amount" of a payment.
type amount struct{ rest.Decimal }

// UnmarshalJSON implements json.Unmarshaler.
func (a *amount) UnmarshalJSON(b []byte) error { return a.Unmarshal("amount", b) }

// Schema implements rest.Schemer.
func (amount) Schema() map[string]any {
	return map[string]any{"type": []string{"string", "number"}, "exclusiveMinimum": 0, "pattern": rest.DecimalPattern,
		"description": "a positive decimal, as a number or as a string (1500.50), with no more decimals than the currency has"}
}
