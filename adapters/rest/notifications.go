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
			summary: "List deliveries, newest first, a page at a time", query: deliveryQuery{}, answer: deliveryListBody{}},
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
// template, data} and {customerId, email, template, data}. Without a
// template of ours, subject and body give the message (see the README's
// notifications API).
type emailRequest struct {
	To         string       `json:"to" validate:"required_without=Email,max=254,pattern" message:"must be a valid email address such as juan@example.com" format:"email" pattern:"^[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+)*@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"`
	Email      string       `json:"email" validate:"excluded_with=To,max=254,pattern" message:"must be a valid email address such as juan@example.com" format:"email" pattern:"^[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+)*@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$" doc:"the original's name for to"`
	CustomerID string       `json:"customerId" validate:"max=128" doc:"joins the message to the customer's history (needs customers:write)"`
	Subject    string       `json:"subject" validate:"required_without=Template,max=200"`
	Template   string       `json:"template" validate:"max=64" doc:"one of ours (GET /notifications/templates), or a label of the client's own"`
	Body       string       `json:"body" validate:"max=10000"`
	Language   string       `json:"language" validate:"omitempty,oneof=es en" doc:"es when left out"`
	Data       templateData `json:"data"`
}

// smsRequest accepts {to, message} and {customerId, phone, template, data}.
type smsRequest struct {
	To         string       `json:"to" validate:"required_without=Phone,pattern" message:"must be an E.164 phone number such as +34600111222" pattern:"^\\s*\\+[ ().-]*[1-9]([ ().-]*[0-9]){7,14}[ ().-]*\\s*$"`
	Phone      string       `json:"phone" validate:"excluded_with=To,pattern" message:"must be an E.164 phone number such as +34600111222" pattern:"^\\s*\\+[ ().-]*[1-9]([ ().-]*[0-9]){7,14}[ ().-]*\\s*$" doc:"the original's name for to"`
	CustomerID string       `json:"customerId" validate:"max=128" doc:"joins the message to the customer's history (needs customers:write)"`
	Message    string       `json:"message" validate:"required_without=Template,max=1600"`
	Template   string       `json:"template" validate:"max=64" doc:"one of ours (GET /notifications/templates), or a label of the client's own"`
	Language   string       `json:"language" validate:"omitempty,oneof=es en" doc:"es when left out"`
	Data       templateData `json:"data"`
}

func (h *notificationHandler) email(w http.ResponseWriter, r *http.Request) {
	var req emailRequest
	if decode(w, r, &req, false) {
		to, field := recipient(req.To, req.Email, "email")
		h.send(w, r, field, notification.Request{Channel: notification.Email, To: to, CustomerID: req.CustomerID,
			Subject: req.Subject, Template: req.Template, Body: req.Body, Language: req.Language, Data: req.Data})
	}
}

func (h *notificationHandler) sms(w http.ResponseWriter, r *http.Request) {
	var req smsRequest
	if decode(w, r, &req, false) {
		to, field := recipient(req.To, req.Phone, "phone")
		h.send(w, r, field, notification.Request{Channel: notification.SMS, To: to, CustomerID: req.CustomerID,
			Template: req.Template, Body: req.Message, Language: req.Language, Data: req.Data})
	}
}

// recipient picks "to" or its alias (their tags refuse both), and the
// field it came in.
func recipient(to, alias, aliasName string) (string, string) {
	if alias != "" {
		return alias, aliasName
	}
	return to, "to"
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

// deliveryQuery is the delivery log's query string.
type deliveryQuery struct {
	CustomerID string `query:"customerId" validate:"max=128"`
	Channel    string `query:"channel" validate:"omitempty,oneof=email sms"`
	pageQuery
}

func (h *notificationHandler) list(w http.ResponseWriter, r *http.Request) {
	var q deliveryQuery
	if !decodeQuery(w, r, &q) {
		return
	}
	res, err := h.svc.List(r.Context(), q.CustomerID, q.Channel, q.request())
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
