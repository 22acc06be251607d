// Package rest is the HTTP adapter: one chi router per service, every route
// both under /api/v1 and without the prefix, strict JSON in, JSON and RFC 9457
// problem documents out.
package rest

import (
	"cmp"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/fault"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	Code      string       `json:"code,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
	RequestID string       `json:"requestId,omitempty"`
	TraceID   string       `json:"traceId,omitempty"`
}

// FieldError names a bad field of the request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// statusOf is the one table from error kinds to HTTP statuses. Invalid
// input that was well-formed JSON is 422; malformed requests never reach the
// core and are answered 400 by the decoder.
var statusOf = map[fault.Kind]int{
	fault.Invalid:      http.StatusUnprocessableEntity,
	fault.NotFound:     http.StatusNotFound,
	fault.Conflict:     http.StatusConflict,
	fault.Unauthorized: http.StatusUnauthorized,
	fault.Unavailable:  http.StatusServiceUnavailable,
	fault.Internal:     http.StatusInternalServerError,
}

// defaultCodes name the problem of an error that carries no code of its
// own: every problem has one.
var defaultCodes = map[fault.Kind]string{
	fault.Invalid: "validation", fault.NotFound: "not_found", fault.Conflict: "conflict",
	fault.Unauthorized: "auth.required", fault.Unavailable: "unavailable",
}

// writeError answers with the problem err describes. Internal errors are
// logged and hidden behind a generic message.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	kind := fault.KindOf(err)
	p := Problem{Status: statusOf[kind], Detail: err.Error()}
	if e, ok := fault.As(err); ok {
		p.Code, p.Detail = cmp.Or(e.Code, defaultCodes[kind]), e.Message
		for _, f := range e.Fields {
			p.Errors = append(p.Errors, FieldError{Field: f.Field, Message: f.Message})
		}
	}
	wait := fault.RetryAfter(err) // when the error knows it
	switch kind {
	case fault.Internal:
		log.ErrorContext(r.Context(), "request failed", "error", err, "path", r.URL.Path)
		p.Detail, p.Code = "an unexpected error occurred; it has been logged", ""
	case fault.Unavailable:
		log.WarnContext(r.Context(), "dependency unavailable", "error", err, "path", r.URL.Path)
		if wait <= 0 {
			wait = 5 * time.Second
		}
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	writeProblem(w, r, p)
}

// writeProblem fills in the generic fields and sends p.
func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	p.Title = http.StatusText(p.Status)
	if p.Type == "" {
		p.Type = "about:blank"
		if p.Code != "" {
			p.Type = "urn:problem-type:" + p.Code
		}
	}
	p.Instance = r.URL.Path
	p.RequestID = requestID(r.Context())
	p.TraceID, _ = tracing.IDs(r.Context())
	body, _ := json.Marshal(p) // a Problem always encodes
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// BadRequest answers 400 (or another 4xx) for a request that could not be
// read at all, or that the caller may not make.
func BadRequest(w http.ResponseWriter, r *http.Request, status int, code, detail string, fields ...FieldError) {
	writeProblem(w, r, Problem{Status: status, Code: code, Detail: detail, Errors: fields})
}

// Respond answers with status and the body build makes of v, or with the
// problem err describes. build runs only on success, so no answer is ever
// made from the zero value a failed call returns.
func Respond[T, B any](w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, v T, err error, build func(T) B) {
	if err != nil {
		writeError(w, r, log, err)
		return
	}
	var body any = build(v)
	if !Can(r.Context(), ScopePII) {
		if body, err = maskPII(body); err != nil {
			writeError(w, r, log, err)
			return
		}
	}
	WriteJSON(w, status, body)
}

// WriteJSON sends v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"response encoding failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Each maps xs to their JSON bodies.
func Each[T, U any](xs []T, body func(T) U) []U {
	out := make([]U, len(xs))
	for i, x := range xs {
		out[i] = body(x)
	}
	return out
}
