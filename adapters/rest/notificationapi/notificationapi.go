// Package notificationapi is the notifications service's HTTP API: its
// routes, the bodies they take and answer, over the shared plumbing of
// adapters/rest.
package notificationapi

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/fintechlabs/customers/adapters/rest"

	"github.com/go-chi/chi/v5"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/page"
)

// Service is what the notifications service's routes need of its use
// cases.
type Service interface {
	Send(ctx context.Context, r notification.Request) (notification.Outcome, error)
	List(ctx context.Context, customerID, channel string, p page.Request) (notification.Page, error)
	Get(ctx context.Context, id string) (notification.Delivery, error)
	Templates() *notification.Registry
}

// New serves the notifications service's API.
func New(svc Service, opts rest.Options) http.Handler {
	h := &handler{svc: svc, opts: opts}
	return rest.NewRouter(rest.API{Service: "service-notifications", Resource: "notifications", ReadScope: rest.ScopeNotificationsRead, Routes: []rest.Route{
		{Method: http.MethodPost, Pattern: "/notifications/email", Scope: rest.ScopeNotificationsSend, Handler: http.HandlerFunc(h.email),
			Summary: "Send an email, from a template or as given", Body: rest.Body[emailRequest, originalEmail](opts), Status: http.StatusCreated, Answer: sentBody{}},
		{Method: http.MethodPost, Pattern: "/notifications/sms", Scope: rest.ScopeNotificationsSend, Handler: http.HandlerFunc(h.sms),
			Summary: "Send an SMS, from a template or as given", Body: rest.Body[smsRequest, originalSMS](opts), Status: http.StatusCreated, Answer: sentBody{}},
		{Method: http.MethodGet, Pattern: "/notifications", Scope: rest.ScopeNotificationsRead, Handler: http.HandlerFunc(h.list),
			Summary: "List deliveries, newest first, a page at a time", Query: deliveryQuery{}, Answer: deliveryListBody{}},
		{Method: http.MethodGet, Pattern: "/notifications/templates", Scope: rest.ScopeNotificationsRead, Handler: http.HandlerFunc(h.templates),
			Summary: "The templates, their keys and texts", Answer: templateListBody{}},
		{Method: http.MethodGet, Pattern: "/notifications/{notificationId}", Scope: rest.ScopeNotificationsRead, Handler: http.HandlerFunc(h.get),
			Summary: "A delivery", Answer: deliveryBody{}},
	}}, opts)
}

type handler struct {
	svc  Service
	opts rest.Options
}

// emailRequest is an email to send. Without a template of ours, subject
// and body give the message (see docs/api.md).
type emailRequest struct {
	To         string       `json:"to" validate:"required,max=254,pattern" message:"must be a valid email address such as juan@example.com" format:"email" pattern:"^[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_\\x60{|}~-]+)*@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$"`
	CustomerID string       `json:"customerId" validate:"max=128" doc:"joins the message to the customer's history (needs customers:write)"`
	Subject    string       `json:"subject" validate:"required_without=Template,max=200"`
	Template   string       `json:"template" validate:"max=64" doc:"one of ours (GET /notifications/templates), or a label of the client's own"`
	Body       string       `json:"body" validate:"max=10000"`
	Language   string       `json:"language" validate:"omitempty,oneof=es en" doc:"es when left out"`
	Data       templateData `json:"data"`
	// via is the field the recipient came in: to, or the original's name.
	via string
}

// smsRequest is a text message to send.
type smsRequest struct {
	To         string       `json:"to" validate:"required,pattern" message:"must be an E.164 phone number such as +34600111222" pattern:"^\\s*\\+[ ().-]*[1-9]([ ().-]*[0-9]){7,14}[ ().-]*\\s*$"`
	CustomerID string       `json:"customerId" validate:"max=128" doc:"joins the message to the customer's history (needs customers:write)"`
	Message    string       `json:"message" validate:"required_without=Template,max=1600"`
	Template   string       `json:"template" validate:"max=64" doc:"one of ours (GET /notifications/templates), or a label of the client's own"`
	Language   string       `json:"language" validate:"omitempty,oneof=es en" doc:"es when left out"`
	Data       templateData `json:"data"`
	via        string
}

func (h *handler) email(w http.ResponseWriter, r *http.Request) {
	if req, ok := rest.DecodeAliased[emailRequest, originalEmail](w, r, h.opts, false); ok {
		h.send(w, r, cmp.Or(req.via, "to"), notification.Request{Channel: notification.Email, To: req.To, CustomerID: req.CustomerID,
			Subject: req.Subject, Template: req.Template, Body: req.Body, Language: req.Language, Data: req.Data})
	}
}

func (h *handler) sms(w http.ResponseWriter, r *http.Request) {
	if req, ok := rest.DecodeAliased[smsRequest, originalSMS](w, r, h.opts, false); ok {
		h.send(w, r, cmp.Or(req.via, "to"), notification.Request{Channel: notification.SMS, To: req.To, CustomerID: req.CustomerID,
			Template: req.Template, Body: req.Message, Language: req.Language, Data: req.Data})
	}
}

func (h *handler) send(w http.ResponseWriter, r *http.Request, toField string, req notification.Request) {
	// A message naming a customer joins that customer's history: writing
	// to it takes the right to write customers, not only to send.
	if req.CustomerID != "" && !rest.Can(r.Context(), rest.ScopeCustomersWrite) {
		rest.BadRequest(w, r, http.StatusForbidden, "auth.scope", "naming a customerId writes to that customer's history: this API key lacks the "+
			rest.ScopeCustomersWrite+" scope", rest.FieldError{Field: "customerId", Message: "needs the " + rest.ScopeCustomersWrite + " scope"})
		return
	}
	// The key was checked and claimed by the idempotent middleware; the
	// core derives the delivery's id from it too.
	key, _ := rest.IdempotencyKey(r)
	req.IdempotencyKey, req.Caller = key, rest.Caller(r.Context())
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
	rest.Respond(w, r, h.opts.Log, status, out.Delivery, err, sentJSON)
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
	rest.PageQuery
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	var q deliveryQuery
	if !rest.DecodeQuery(w, r, &q) {
		return
	}
	res, err := h.svc.List(r.Context(), q.CustomerID, q.Channel, q.Request())
	shown := contentFor(r)
	rest.Respond(w, r, h.opts.Log, http.StatusOK, res, err, func(res notification.Page) deliveryListBody {
		return deliveryListBody{Notifications: rest.Each(res.Deliveries, func(d notification.Delivery) deliveryBody { return shown(deliveryJSON(d)) }),
			NextCursor: res.Next}
	})
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	d, err := h.svc.Get(r.Context(), chi.URLParam(r, "notificationId"))
	shown := contentFor(r)
	rest.Respond(w, r, h.opts.Log, http.StatusOK, d, err, func(d notification.Delivery) deliveryBody { return shown(deliveryJSON(d)) })
}

// contentFor returns what the caller of r may read of a delivery: all of
// it with the notifications:content scope; otherwise the body, and the
// subject of a message sent on request (the client's own text), are
// withheld, and the answer says so. A message is content, not metadata:
// it can hold a one-time code.
func contentFor(r *http.Request) func(deliveryBody) deliveryBody {
	if rest.Can(r.Context(), rest.ScopeNotificationsContent) {
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

func (h *handler) templates(w http.ResponseWriter, _ *http.Request) {
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
	rest.WriteJSON(w, http.StatusOK, templateListBody{Templates: out})
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

// templateData is the "data" object of a send request: values may be
// strings, numbers or booleans, which templates print as they are. A null
// is a key not given: the original took any value, and its clients may
// write nulls.
type templateData map[string]string

// UnmarshalJSON implements json.Unmarshaler.
func (t *templateData) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return &rest.BadValue{Field: "data", Message: "must be an object of strings, numbers or booleans"}
	}
	out := templateData{}
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case string(v) == "null":
		case len(v) > 0 && v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return &rest.BadValue{Field: "data." + k, Message: "is not a valid string"}
			}
			out[k] = s
		case string(v) == "true" || string(v) == "false" || (len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9'))):
			out[k] = string(v)
		default:
			return &rest.BadValue{Field: "data." + k, Message: "must be a string, a number or a boolean"}
		}
	}
	*t = out
	return nil
}

// Schema implements rest.Schemer.
func (templateData) Schema() map[string]any {
	return map[string]any{"type": "object", "additionalProperties": map[string]any{"type": []string{"string", "number", "boolean", "null"}},
		"description": "the template's keys and their values; a null is a key not given"}
}
