package rest

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/idempotency"
)

func TestAPanickingHandlerBecomesA500Problem(t *testing.T) {
	h := withIDs(accessLog(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("got %d %s", rec.Code, rec.Body.String())
	}
}

func TestAnErrorThatKnowsWhenToRetrySaysItInRetryAfter(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name       string
		err        error
		status     int
		retryAfter string
	}{
		{name: "a repeat while the first request runs", err: idempotency.ErrInFlight, status: http.StatusConflict, retryAfter: "1"},
		{name: "a dependency down for 30 s", err: &fault.Error{Kind: fault.Unavailable, Message: "down", RetryAfter: 30 * time.Second}, status: http.StatusServiceUnavailable, retryAfter: "30"},
		{name: "a dependency down for a while", err: fault.New(fault.Unavailable, "", "down"), status: http.StatusServiceUnavailable, retryAfter: "5"},
		{name: "a conflict that waiting does not mend", err: fault.New(fault.Conflict, "customer.already_active", "active"), status: http.StatusConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeError(rec, httptest.NewRequest("POST", "/customers/onboard", nil), log, tt.err)
			if rec.Code != tt.status || rec.Header().Get("Retry-After") != tt.retryAfter {
				t.Fatalf("%d Retry-After %q, want %d %q", rec.Code, rec.Header().Get("Retry-After"), tt.status, tt.retryAfter)
			}
		})
	}
}
