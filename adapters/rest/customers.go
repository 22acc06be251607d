package rest

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
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
		{method: http.MethodPost, pattern: "/customers/activate", scope: ScopeCustomersWrite,
			handler: h.statusChange(svc.Activate, "activationReason", "Customer activated successfully"),
			summary: "Activate a customer", body: statusRequest{}, answer: changedBody{}},
		{method: http.MethodPost, pattern: "/customers/deactivate", scope: ScopeCustomersWrite,
			handler: h.statusChange(svc.Deactivate, "deactivationReason", "Customer deactivated successfully"),
			summary: "Deactivate a customer", body: statusRequest{}, answer: changedBody{}},
		{method: http.MethodPost, pattern: "/customers/first-payment", scope: ScopeCustomersWrite, handler: http.HandlerFunc(h.firstPayment),
			summary: "Record a customer's first payment", body: paymentRequest{}, answer: changedBody{}},
		{method: http.MethodPost, pattern: "/customers/promote", scope: ScopeCustomersWrite, handler: http.HandlerFunc(h.promote),
			summary: "Promote a customer to a tier", body: promoteRequest{}, answer: changedBody{}},
		{method: http.MethodPost, pattern: "/customers/promote/{customerId}", scope: ScopeCustomersWrite, handler: http.HandlerFunc(h.promote),
			summary: "Promote a customer to a tier, as the original's path named it", body: promoteRequest{}, bodyOptional: true, answer: changedBody{}},
		{method: http.MethodGet, pattern: "/customers", scope: ScopeCustomersRead, handler: http.HandlerFunc(h.list),
			summary: "List customers, by status, tier or email, a page at a time", query: []string{"status", "tier", "email", "limit", "cursor"}, answer: customerListBody{}},
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

type onboardRequest struct {
	Name           string `json:"name"`
	FirstName      string `json:"firstName"`
	LastName       string `json:"lastName"`
	Email          string `json:"email"`
	Phone          string `json:"phone"`
	DocumentType   string `json:"documentType"`
	DocumentNumber string `json:"documentNumber"`
	BirthDate      string `json:"birthDate"`
	Language       string `json:"language"`
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

// statusRequest is the body of an activation or a deactivation: ours
// ({customerId, reason}) or the original's, which names the reason
// activationReason or deactivationReason.
type statusRequest struct {
	CustomerID         string  `json:"customerId"`
	Reason             string  `json:"reason"`
	ActivationReason   *string `json:"activationReason"`
	DeactivationReason *string `json:"deactivationReason"`
}

// statusChange serves activation and deactivation: the same body, another
// use case, and the original's name for the reason (alias); the other
// transition's name is refused as an unknown field.
func (h *customerHandler) statusChange(change func(ctx context.Context, id, reason string) (customer.Customer, error), alias, message string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req statusRequest
		if !decode(w, r, &req, false) {
			return
		}
		reasons := map[string]*string{"activationReason": req.ActivationReason, "deactivationReason": req.DeactivationReason}
		for name, v := range reasons {
			if name != alias && v != nil {
				badRequest(w, r, http.StatusBadRequest, "request.malformed", "the request body is not acceptable JSON: "+name+" is not a known field",
					FieldError{Field: name, Message: "is not a known field"})
				return
			}
		}
		reason := req.Reason
		if given := reasons[alias]; given != nil {
			if reason != "" && reason != *given {
				badRequest(w, r, http.StatusBadRequest, "request.ambiguous", "give the reason as reason or as "+alias+", not both",
					FieldError{Field: alias, Message: "must be left out when reason is given"})
				return
			}
			reason = *given
		}
		if !requireID(w, r, req.CustomerID) {
			return
		}
		c, err := change(r.Context(), req.CustomerID, reason)
		respond(w, r, h.opts.Log, http.StatusOK, c, err, changed(message))
	})
}

type paymentRequest struct {
	CustomerID    string `json:"customerId"`
	Amount        amount `json:"amount"`
	Currency      string `json:"currency"`
	PaymentMethod string `json:"paymentMethod"`
	Description   string `json:"description"`
}

func (h *customerHandler) firstPayment(w http.ResponseWriter, r *http.Request) {
	var req paymentRequest
	if !decode(w, r, &req, false) || !requireID(w, r, req.CustomerID) {
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

type promoteRequest struct {
	CustomerID string `json:"customerId"`
	NewTier    string `json:"newTier"`
	Reason     string `json:"reason"`
}

// promote serves both the original's POST /customers/promote/{customerId}
// (body optional) and POST /customers/promote with the id in the body.
func (h *customerHandler) promote(w http.ResponseWriter, r *http.Request) {
	pathID := chi.URLParam(r, "customerId")
	var req promoteRequest
	if !decode(w, r, &req, pathID != "") {
		return
	}
	id := req.CustomerID
	if pathID != "" {
		if id != "" && id != pathID {
			badRequest(w, r, http.StatusBadRequest, "request.id_mismatch", "customerId in the body differs from the one in the path",
				FieldError{Field: "customerId", Message: "must match the path or be left out"})
			return
		}
		id = pathID
	}
	if !requireID(w, r, id) {
		return
	}
	c, err := h.svc.Promote(r.Context(), id, req.NewTier, req.Reason)
	respond(w, r, h.opts.Log, http.StatusOK, c, err, func(c customer.Customer) changedBody {
		return changed("Customer promoted to " + string(c.Tier))(c)
	})
}

func (h *customerHandler) get(w http.ResponseWriter, r *http.Request) {
	c, err := h.svc.Get(r.Context(), chi.URLParam(r, "customerId"))
	respond(w, r, h.opts.Log, http.StatusOK, c, err, customerJSON)
}

func (h *customerHandler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := pageRequest(w, r)
	if !ok {
		return
	}
	res, err := h.svc.List(r.Context(), q.Get("status"), q.Get("tier"), q.Get("email"), p)
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

// requireID answers 422 when a customer id is missing.
func requireID(w http.ResponseWriter, r *http.Request, id string) bool {
	if id != "" {
		return true
	}
	writeProblem(w, r, Problem{Status: http.StatusUnprocessableEntity, Code: "validation", Detail: "customerId is required",
		Errors: []FieldError{{Field: "customerId", Message: "is required"}}})
	return false
}

// pageRequest reads ?limit= and ?cursor=.
func pageRequest(w http.ResponseWriter, r *http.Request) (page.Request, bool) {
	q := r.URL.Query()
	p := page.Request{Cursor: q.Get("cursor")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			badRequest(w, r, http.StatusBadRequest, "request.malformed", "limit must be a whole number",
				FieldError{Field: "limit", Message: "must be a whole number between 1 and 100"})
			return page.Request{}, false
		}
		p.Limit = n
	}
	return p, true
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
