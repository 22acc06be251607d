package rest

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/page"
)

// CustomerRouter serves the customer service's API.
func CustomerRouter(svc Customers, opts Options) http.Handler {
	h := &customerHandler{svc: svc, opts: opts}
	return newRouter("service-customer", "customers", ScopeCustomersRead, opts, []route{
		{method: http.MethodPost, pattern: "/customers/onboard", scope: ScopeCustomersWrite, handler: http.HandlerFunc(h.onboard),
			summary: "Onboard a customer", body: onboardRequest{}, status: http.StatusCreated, answer: changedBody{}},
		{method: http.MethodPost, pattern: "/customers/activate", scope: ScopeCustomersWrite, handler: http.HandlerFunc(h.activate),
			summary: "Activate a customer", body: activateRequest{}, answer: changedBody{}},
		{method: http.MethodPost, pattern: "/customers/deactivate", scope: ScopeCustomersWrite, handler: http.HandlerFunc(h.deactivate),
			summary: "Deactivate a customer", body: deactivateRequest{}, answer: changedBody{}},
		{method: http.MethodPost, pattern: "/customers/first-payment", scope: ScopeCustomersWrite, handler: http.HandlerFunc(h.firstPayment),
			summary: "Record a customer's first payment", body: paymentRequest{}, answer: changedBody{}},
		{method: http.MethodPost, pattern: "/customers/promote", scope: ScopeCustomersWrite, handler: http.HandlerFunc(h.promote),
			summary: "Promote a customer to a tier", body: promoteRequest{}, answer: changedBody{}},
		{method: http.MethodPost, pattern: "/customers/promote/{customerId}", scope: ScopeCustomersWrite, handler: http.HandlerFunc(h.promoteByPath),
			summary: "Promote a customer to a tier, as the original's path named it", body: promotePathRequest{}, bodyOptional: true, answer: changedBody{}},
		{method: http.MethodGet, pattern: "/customers", scope: ScopeCustomersRead, handler: http.HandlerFunc(h.list),
			summary: "List customers, by status, tier or email, a page at a time", query: customerQuery{}, answer: customerListBody{}},
		{method: http.MethodGet, pattern: "/customers/{customerId}", scope: ScopeCustomersRead, handler: http.HandlerFunc(h.get),
			summary: "A customer", answer: customerBody{}},
		{method: http.MethodGet, pattern: "/customers/{customerId}/history", scope: ScopeCustomersRead, handler: http.HandlerFunc(h.history),
			summary: "A customer's status history", answer: historyListBody{}},
		{method: http.MethodGet, pattern: "/customers/{customerId}/notifications", scope: ScopeCustomersRead, handler: http.HandlerFunc(h.notifications),
			summary: "The notifications sent to a customer", answer: customerNotificationsBody{}},
	})
}

type customerHandler struct {
	svc  Customers
	opts Options
}

// onboardRequest is the original's onboarding body, with our own fields
// beside it. Its patterns say, for the document, what the domain's parsers
// take (core/customer, core/pii); a test holds the two together.
type onboardRequest struct {
	Name           string `json:"name" validate:"required_without_all=FirstName LastName,excluded_with=FirstName LastName,max=100" doc:"the whole name, or firstName and lastName"`
	FirstName      string `json:"firstName" validate:"required_with=LastName,max=100"`
	LastName       string `json:"lastName" validate:"required_with=FirstName,max=100"`
	Email          string `json:"email" validate:"required,max=254,pattern" message:"must be a valid email address such as juan@example.com" format:"email" pattern:"^[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+)*@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"`
	Phone          string `json:"phone" validate:"required,pattern" message:"must be an E.164 phone number such as +34600111222" pattern:"^\\s*\\+[ ().-]*[1-9]([ ().-]*[0-9]){7,14}[ ().-]*\\s*$" doc:"E.164, such as +34600111222; spaces, dots, dashes and parentheses are dropped"`
	DocumentType   string `json:"documentType" validate:"required_with=DocumentNumber,pattern" message:"must be 2 to 20 letters or underscores, such as DNI or PASSPORT" pattern:"^\\s*[A-Za-z_]{2,20}\\s*$" doc:"such as DNI or PASSPORT"`
	DocumentNumber string `json:"documentNumber" validate:"required_with=DocumentType,pattern" message:"must be 4 to 20 letters, digits or dashes" pattern:"^\\s*[A-Za-z0-9-]{4,20}\\s*$"`
	BirthDate      string `json:"birthDate" validate:"pattern" message:"must be a date such as 1990-05-17" format:"date" pattern:"^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2}))?\\s*$" doc:"YYYY-MM-DD, between 1900 and today (an ISO 8601 date and time gives its date)"`
	Language       string `json:"language" validate:"omitempty,oneof=es en" doc:"es when left out"`
}

func (h *customerHandler) onboard(w http.ResponseWriter, r *http.Request) {
	var req onboardRequest
	if !decode(w, r, &req, false) {
		return
	}
	c, err := h.svc.Onboard(r.Context(), customer.Registration(req))
	if err == nil {
		w.Header().Set("Location", "/api/v1/customers/"+c.ID)
	}
	respond(w, r, h.opts.Log, http.StatusCreated, c, err, changed("Customer onboarded successfully"))
}

// activateRequest is the body of an activation: ours ({customerId,
// reason}) or the original's, which names the reason activationReason.
type activateRequest struct {
	CustomerID       string  `json:"customerId" validate:"required,max=128"`
	Reason           string  `json:"reason" validate:"max=500"`
	ActivationReason *string `json:"activationReason" validate:"excluded_with=Reason,omitempty,max=500" doc:"the original's name for reason"`
}

// deactivateRequest is the body of a deactivation: ours or the original's,
// which names the reason deactivationReason.
type deactivateRequest struct {
	CustomerID         string  `json:"customerId" validate:"required,max=128"`
	Reason             string  `json:"reason" validate:"max=500"`
	DeactivationReason *string `json:"deactivationReason" validate:"excluded_with=Reason,omitempty,max=500" doc:"the original's name for reason"`
}

func (h *customerHandler) activate(w http.ResponseWriter, r *http.Request) {
	var req activateRequest
	if decode(w, r, &req, false) {
		h.statusChange(w, r, h.svc.Activate, req.CustomerID, cmp.Or(req.Reason, deref(req.ActivationReason)), "Customer activated successfully")
	}
}

func (h *customerHandler) deactivate(w http.ResponseWriter, r *http.Request) {
	var req deactivateRequest
	if decode(w, r, &req, false) {
		h.statusChange(w, r, h.svc.Deactivate, req.CustomerID, cmp.Or(req.Reason, deref(req.DeactivationReason)), "Customer deactivated successfully")
	}
}

// statusChange runs an activation or a deactivation and answers it.
func (h *customerHandler) statusChange(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, id, reason string) (customer.Customer, error),
	id, reason, message string) {
	c, err := change(r.Context(), id, reason)
	respond(w, r, h.opts.Log, http.StatusOK, c, err, changed(message))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

type paymentRequest struct {
	CustomerID    string `json:"customerId" validate:"required,max=128"`
	Amount        amount `json:"amount" validate:"required"`
	Currency      string `json:"currency" validate:"pattern" message:"must be a three-letter ISO 4217 code such as EUR" pattern:"^\\s*[A-Za-z]{3}\\s*$" doc:"ISO 4217, such as EUR; DEFAULT_CURRENCY when left out"`
	PaymentMethod string `json:"paymentMethod" validate:"max=40" doc:"credit_card when left out; debit_card, bank_transfer, digital_wallet, or a label of your own"`
	Description   string `json:"description" validate:"max=200"`
}

func (h *customerHandler) firstPayment(w http.ResponseWriter, r *http.Request) {
	var req paymentRequest
	if !decode(w, r, &req, false) {
		return
	}
	c, err := h.svc.RecordFirstPayment(r.Context(), req.CustomerID, customer.PaymentRequest{
		Amount: string(req.Amount.decimal), Currency: req.Currency, Method: req.PaymentMethod, Description: req.Description,
	})
	respond(w, r, h.opts.Log, http.StatusOK, c, err, func(c customer.Customer) changedBody {
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

// promotePathRequest is the optional body of the original's POST
// /customers/promote/{customerId}; a customerId in it must be the path's.
type promotePathRequest struct {
	CustomerID string `json:"customerId" validate:"max=128" doc:"the path's, if given"`
	NewTier    string `json:"newTier" validate:"omitempty,oneof=basic premium vip" doc:"the next tier up when left out"`
	Reason     string `json:"reason" validate:"max=500"`
}

func (h *customerHandler) promote(w http.ResponseWriter, r *http.Request) {
	var req promoteRequest
	if decode(w, r, &req, false) {
		h.promoteTo(w, r, req.CustomerID, req.NewTier, req.Reason)
	}
}

func (h *customerHandler) promoteByPath(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "customerId")
	var req promotePathRequest
	if !decode(w, r, &req, true) {
		return
	}
	if req.CustomerID != "" && req.CustomerID != id {
		badRequest(w, r, http.StatusBadRequest, "request.id_mismatch", "customerId in the body differs from the one in the path",
			FieldError{Field: "customerId", Message: "must match the path or be left out"})
		return
	}
	h.promoteTo(w, r, id, req.NewTier, req.Reason)
}

// promoteTo promotes customer id and answers it.
func (h *customerHandler) promoteTo(w http.ResponseWriter, r *http.Request, id, newTier, reason string) {
	c, err := h.svc.Promote(r.Context(), id, newTier, reason)
	respond(w, r, h.opts.Log, http.StatusOK, c, err, func(c customer.Customer) changedBody {
		return changed("Customer promoted to " + string(c.Tier))(c)
	})
}

func (h *customerHandler) get(w http.ResponseWriter, r *http.Request) {
	c, err := h.svc.Get(r.Context(), chi.URLParam(r, "customerId"))
	respond(w, r, h.opts.Log, http.StatusOK, c, err, customerJSON)
}

// customerQuery is the customer list's query string.
type customerQuery struct {
	Status string `query:"status" validate:"omitempty,oneof=onboarded active inactive"`
	Tier   string `query:"tier" validate:"omitempty,oneof=basic premium vip"`
	Email  string `query:"email" validate:"max=254" doc:"whatever the case of its letters"`
	pageQuery
}

// pageQuery is a page's place in a list.
type pageQuery struct {
	Limit  *whole `query:"limit" validate:"omitempty,min=1,max=100" doc:"20 when left out"`
	Cursor string `query:"cursor" doc:"the nextCursor of the page before"`
}

func (q pageQuery) request() page.Request {
	p := page.Request{Cursor: q.Cursor}
	if q.Limit != nil {
		p.Limit = int(*q.Limit)
	}
	return p
}

func (h *customerHandler) list(w http.ResponseWriter, r *http.Request) {
	var q customerQuery
	if !decodeQuery(w, r, &q) {
		return
	}
	res, err := h.svc.List(r.Context(), q.Status, q.Tier, q.Email, q.request())
	respond(w, r, h.opts.Log, http.StatusOK, res, err, func(res customer.Page) customerListBody {
		return customerListBody{Customers: each(res.Customers, customerJSON), NextCursor: res.Next}
	})
}

func (h *customerHandler) history(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "customerId")
	changes, err := h.svc.History(r.Context(), id)
	respond(w, r, h.opts.Log, http.StatusOK, changes, err, func(changes []customer.Change) historyListBody {
		return historyListBody{CustomerID: id, History: each(changes, func(ch customer.Change) historyBody {
			return historyBody{Action: string(ch.Action), From: ch.From, To: ch.To, Reason: ch.Reason,
				Source: string(ch.Source), At: ch.At, Version: ch.Version}
		})}
	})
}

func (h *customerHandler) notifications(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "customerId")
	ns, err := h.svc.Notifications(r.Context(), id)
	respond(w, r, h.opts.Log, http.StatusOK, ns, err, func(ns []customer.Notification) customerNotificationsBody {
		return customerNotificationsBody{CustomerID: id, Notifications: each(ns, func(n customer.Notification) customerNotificationBody {
			return customerNotificationBody{ID: n.ID, Channel: n.Channel, Template: n.Template, Recipient: n.Recipient,
				Subject: n.Subject, Status: n.Status, SentAt: n.SentAt, EventID: n.EventID}
		})}
	})
}

type customerBody struct {
	ID                 string       `json:"id"`
	Name               string       `json:"name"`
	FirstName          string       `json:"firstName,omitempty"`
	LastName           string       `json:"lastName,omitempty"`
	Email              string       `json:"email"`
	Phone              string       `json:"phone"`
	DocumentType       string       `json:"documentType,omitempty"`
	DocumentNumber     string       `json:"documentNumber,omitempty"` // masked
	BirthDate          string       `json:"birthDate,omitempty"`
	Language           string       `json:"language"`
	Status             string       `json:"status"`
	Tier               string       `json:"tier"`
	CreatedAt          time.Time    `json:"createdAt"`
	ActivatedAt        *time.Time   `json:"activatedAt,omitempty"`
	DeactivatedAt      *time.Time   `json:"deactivatedAt,omitempty"`
	DeactivationReason string       `json:"deactivationReason,omitempty"`
	FirstPaymentAt     *time.Time   `json:"firstPaymentAt,omitempty"`
	PromotedAt         *time.Time   `json:"promotedAt,omitempty"`
	FirstPayment       *paymentBody `json:"firstPayment,omitempty"`
	Version            int64        `json:"version"`
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
	}
	if !c.BirthDate.IsZero() {
		b.BirthDate = c.BirthDate.Format(customer.DateLayout)
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
