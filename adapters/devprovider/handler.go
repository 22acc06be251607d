package devprovider

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// mailLimit is how many messages the mailbox page shows.
const mailLimit = 100

// Handler serves the mailbox: GET, optionally ?to=<recipient>, answers
// {"mailbox": [...]} with the newest messages first. It is mounted only
// where this provider is wired, behind the service's authentication: it
// shows whole messages, one-time codes included.
func Handler(box Mailbox, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mail, err := box.List(r.Context(), r.URL.Query().Get("to"), mailLimit)
		w.Header().Set("Cache-Control", "no-store")
		if err != nil {
			log.ErrorContext(r.Context(), "mailbox unavailable", "error", err)
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(problem{Type: "urn:problem-type:unavailable", Title: "Service Unavailable",
				Status: http.StatusServiceUnavailable, Code: "unavailable", Detail: "the mailbox cannot be read now; try again later"})
			return
		}
		out := answer{Mailbox: make([]mailBody, len(mail))}
		for i, m := range mail {
			out.Mailbox[i] = mailBody(m)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

type answer struct {
	Mailbox []mailBody `json:"mailbox"`
}

type mailBody struct {
	IdempotencyKey string    `json:"idempotencyKey"`
	ProviderID     string    `json:"providerId"`
	Channel        string    `json:"channel"`
	Recipient      string    `json:"recipient"`
	Subject        string    `json:"subject,omitempty"`
	Body           string    `json:"body"`
	AcceptedAt     time.Time `json:"acceptedAt"`
	Attempts       int       `json:"attempts"`
}

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// MailboxAnswer is a value of the mailbox page's answer type, for the
// OpenAPI document of the service that serves it.
func MailboxAnswer() any { return answer{} }
