package rest

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/notification"
)

// NotificationsRouter serves the notifications service's API.
func NotificationsRouter(svc Notifications, opts Options) http.Handler {
	h := &notificationHandler{svc: svc, opts: opts}
	return newRouter("service-notifications", "notifications", ScopeNotificationsRead, opts, []route{
		{method: http.MethodPost, pattern: "/notifications/email", scope: ScopeNotificationsSend, handler: http.HandlerFunc(h.email),
			summary: "Send an email, from a template or as given", body: emailRequest{}, status: http.StatusCreated, answer: sentBody{}},
		{method: http.MethodPost, pattern: "/notifications/sms", scope: ScopeNotificationsSend, handler: http.HandlerFunc(h.sms),
			summary: "Send an SMS, from a template or as given", body: smsRequest{}, status: http.StatusCreated, answer: sentBody{}},
		{method: http.MethodGet, pattern: "/notifications", scope: ScopeNotificationsRead, handler: http.HandlerFunc(h.list),
			summary: "List deliveries, newest first, a page at a time", query: []string{"customerId", "channel", "limit", "cursor"}, answer: deliveryListBody{}},
		{method: http.MethodGet, pattern: "/notifications/templates", scope: ScopeNotificationsRead, handler: http.HandlerFunc(h.templates),
			summary: "The templates, their keys and texts", answer: templateListBody{}},
		{method: http.MethodGet, pattern: "/notifications/{notificationId}", scope: ScopeNotificationsRead, handler: http.HandlerFunc(h.get),
			summary: "A delivery", answer: deliveryBody{}},
	})
}

type notificationHandler struct {
	svc  Notifications
	opts Options
}

// emailRequest accepts both of the original's shapes: {to, subject,
// template, data} and {customerId, email, template, data}.
type emailRequest struct {
	To         string       `json:"to"`
	Email      string       `json:"email"`
	CustomerID string       `json:"customerId"`
	Subject    string       `json:"subject"`
	Template   string       `json:"template"`
	Body       string       `json:"body"`
	Language   string       `json:"language"`
	Data       templateData `json:"data"`
}

// smsRequest accepts {to, message} and {customerId, phone, template, data}.
type smsRequest struct {
	To         string       `json:"to"`
	Phone      string       `json:"phone"`
	CustomerID string       `json:"customerId"`
	Message    string       `json:"message"`
	Template   string       `json:"template"`
	Language   string       `json:"language"`
	Data       templateData `json:"data"`
}

func (h *notificationHandler) email(w http.ResponseWriter, r *http.Request) {
	var req emailRequest
	if !decode(w, r, &req, false) {
		return
	}
	to, field, ok := recipient(w, r, req.To, req.Email, "email")
	if !ok {
		return
	}
	h.send(w, r, field, notification.Request{Channel: notification.Email, To: to, CustomerID: req.CustomerID,
		Subject: req.Subject, Template: req.Template, Body: req.Body, Language: req.Language, Data: req.Data})
}

func (h *notificationHandler) sms(w http.ResponseWriter, r *http.Request) {
	var req smsRequest
	if !decode(w, r, &req, false) {
		return
	}
	to, field, ok := recipient(w, r, req.To, req.Phone, "phone")
	if !ok {
		return
	}
	h.send(w, r, field, notification.Request{Channel: notification.SMS, To: to, CustomerID: req.CustomerID,
		Template: req.Template, Body: req.Message, Language: req.Language, Data: req.Data})
}

// recipient picks "to" or its alias; giving both is ambiguous.
func recipient(w http.ResponseWriter, r *http.Request, to, alias, aliasName string) (string, string, bool) {
	switch {
	case to != "" && alias != "":
		badRequest(w, r, http.StatusBadRequest, "request.ambiguous", "give the recipient as to or as "+aliasName+", not both",
			FieldError{Field: aliasName, Message: "must be left out when to is given"})
		return "", "", false
	case alias != "":
		return alias, aliasName, true
	}
	return to, "to", true
}

func (h *notificationHandler) send(w http.ResponseWriter, r *http.Request, toField string, req notification.Request) {
	// A message naming a customer joins that customer's history: writing
	// to it takes the right to write customers, not only to send.
	if req.CustomerID != "" && !principalOf(r.Context()).can(ScopeCustomersWrite) {
		badRequest(w, r, http.StatusForbidden, "auth.scope", "naming a customerId writes to that customer's history: this API key lacks the "+
			ScopeCustomersWrite+" scope", FieldError{Field: "customerId", Message: "needs the " + ScopeCustomersWrite + " scope"})
		return
	}
	// The key was checked and claimed by the idempotent middleware; the
	// core derives the delivery's id from it too.
	key, _ := idempotencyKey(r)
	req.IdempotencyKey, req.Caller = key, callerOf(r.Context())
	out, err := h.svc.Send(r.Context(), req)
	if e, ok := fault.As(err); ok && toField != "to" {
		for i := range e.Fields {
			if e.Fields[i].Field == "to" {
				e.Fields[i].Field = toField
			}
		}
	}
	status := http.StatusCreated
	if err == nil {
		if out.Replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		w.Header().Set("Location", "/api/v1/notifications/"+out.Delivery.ID)
	}
	respond(w, r, h.opts.Log, status, out.Delivery, err, sentJSON)
}

// sentBody is the original's answer to a send ({success, messageId,
// recipient, message}) plus the delivery.
type sentBody struct {
	Success        bool         `json:"success"`
	NotificationID string       `json:"notificationId"`
	MessageID      string       `json:"messageId"`
	Recipient      string       `json:"recipient"`
	CustomerID     string       `json:"customerId"`
	Message        string       `json:"message"`
	Notification   deliveryBody `json:"notification"`
}

func sentJSON(d notification.Delivery) sentBody {
	return sentBody{Success: true, NotificationID: d.ID, MessageID: d.ID, Recipient: d.Recipient, CustomerID: d.CustomerID,
		Message:      strings.ToUpper(string(d.Channel[:1])) + string(d.Channel[1:]) + " sent successfully",
		Notification: deliveryJSON(d)}
}

func (h *notificationHandler) list(w http.ResponseWriter, r *http.Request) {
	p, ok := pageRequest(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	res, err := h.svc.List(r.Context(), q.Get("customerId"), q.Get("channel"), p)
	shown := contentFor(r)
	respond(w, r, h.opts.Log, http.StatusOK, res, err, func(res notification.Page) deliveryListBody {
		return deliveryListBody{Notifications: each(res.Deliveries, func(d notification.Delivery) deliveryBody { return shown(deliveryJSON(d)) }),
			NextCursor: res.Next}
	})
}

func (h *notificationHandler) get(w http.ResponseWriter, r *http.Request) {
	d, err := h.svc.Get(r.Context(), chi.URLParam(r, "notificationId"))
	shown := contentFor(r)
	respond(w, r, h.opts.Log, http.StatusOK, d, err, func(d notification.Delivery) deliveryBody { return shown(deliveryJSON(d)) })
}

// contentFor returns what the caller of r may read of a delivery: all of
// it with the notifications:content scope; otherwise the body, and the
// subject of a message sent on request (the client's own text), are
// withheld, and the answer says so. A message is content, not metadata:
// it can hold a one-time code.
func contentFor(r *http.Request) func(deliveryBody) deliveryBody {
	if principalOf(r.Context()).can(ScopeNotificationsContent) {
		return func(b deliveryBody) deliveryBody { return b }
	}
	return func(b deliveryBody) deliveryBody {
		b.Body, b.Withheld = "", []string{"body"}
		if b.TriggeredBy == nil && b.Subject != "" {
			b.Subject, b.Withheld = "", []string{"subject", "body"}
		}
		return b
	}
}

type deliveryListBody struct {
	Notifications []deliveryBody `json:"notifications"`
	NextCursor    string         `json:"nextCursor"`
}

type templateListBody struct {
	Templates []templateBody `json:"templates"`
}

type templateBody struct {
	Name     string                  `json:"name"`
	Channels []string                `json:"channels"`
	Keys     []string                `json:"keys"`
	Texts    map[string]templateText `json:"texts"`
}

type templateText struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
	SMS     string `json:"sms"`
}

func (h *notificationHandler) templates(w http.ResponseWriter, _ *http.Request) {
	all := h.svc.Templates().All()
	out := make([]templateBody, len(all))
	for i, t := range all {
		texts := map[string]templateText{}
		for lang, tx := range t.Texts {
			texts[string(lang)] = templateText(tx)
		}
		out[i] = templateBody{Name: t.Name, Channels: []string{"email", "sms"}, Keys: t.Keys(), Texts: texts}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, templateListBody{Templates: out})
}

type deliveryBody struct {
	ID          string     `json:"id"`
	CustomerID  string     `json:"customerId,omitempty"`
	Channel     string     `json:"channel"`
	Recipient   string     `json:"recipient"`
	Template    string     `json:"template,omitempty"`
	Language    string     `json:"language"`
	Subject     string     `json:"subject,omitempty"`
	Body        string     `json:"body"`
	Status      string     `json:"status"`
	Error       string     `json:"error,omitempty"`
	ProviderID  string     `json:"providerId,omitempty"`
	TriggeredBy *causeBody `json:"triggeredBy,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	// Withheld names the fields left empty because the caller's key lacks
	// the notifications:content scope.
	Withheld []string `json:"withheld,omitempty"`
}

type causeBody struct {
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
}

func deliveryJSON(d notification.Delivery) deliveryBody {
	b := deliveryBody{ID: d.ID, CustomerID: d.CustomerID, Channel: string(d.Channel), Recipient: d.Recipient,
		Template: d.Template, Language: string(d.Language), Subject: d.Subject, Body: d.Body, Status: string(d.Status),
		Error: d.Error, ProviderID: d.ProviderID, CreatedAt: d.CreatedAt}
	if d.Cause != nil {
		b.TriggeredBy = &causeBody{EventID: d.Cause.EventID, EventType: d.Cause.EventType}
	}
	return b
}
