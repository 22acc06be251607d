package rest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/propagation"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/actor"
	"github.com/fintechlabs/customers/core/fault"
)

type requestIDKey struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withIDs gives every request an id (the caller's X-Request-ID when it is
// sane), and echoes it in the response.
func withIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !saneID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// traced gives each request a span, a child of the caller's trace context
// (traceparent, tracestate) or the root of a new trace, named after its
// route once routed; the answer's traceparent names the span.
func traced(t *tracing.Tracer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, span := t.Start(tracing.FromHeaders(r.Context(), propagation.HeaderCarrier(r.Header)), "HTTP "+r.Method, oteltrace.SpanKindServer)
			tracing.ToHeaders(ctx, propagation.HeaderCarrier(w.Header()))
			rec := &statusRecorder{ResponseWriter: w}
			var failed error
			defer func() {
				if rc := chi.RouteContext(ctx); rc != nil && rc.RoutePattern() != "" {
					span.SetName(r.Method + " " + rc.RoutePattern())
				}
				if rec.status >= 500 {
					failed = errors.New(http.StatusText(rec.status))
				}
				span.End(failed)
			}()
			next.ServeHTTP(rec, r.WithContext(ctx))
		})
	}
}

func saneID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status a handler wrote, and a copy of the
// body when keep is set.
type statusRecorder struct {
	http.ResponseWriter
	status int
	keep   *bytes.Buffer
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	if s.keep != nil {
		s.keep.Write(b)
	}
	return s.ResponseWriter.Write(b)
}

// Observer is told about every request; metrics hang off it.
type Observer interface {
	Request(method, route string, status int, took time.Duration)
}

// accessLog logs each request with its route pattern, recovers from panics
// (a 500 problem, never a dropped connection) and reports to obs.
func accessLog(log *slog.Logger, obs Observer, open openPaths) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w}
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					log.ErrorContext(r.Context(), "handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					if rec.status == 0 {
						writeProblem(rec, r, Problem{Status: http.StatusInternalServerError, Detail: "an unexpected error occurred; it has been logged"})
					}
				}
				route := "unmatched"
				if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
					route = rc.RoutePattern()
				}
				took := time.Since(start)
				level := slog.LevelInfo
				if rec.status >= 500 {
					level = slog.LevelError
				} else if rec.status >= 400 {
					level = slog.LevelWarn
				}
				if !open[route] && route != "/metrics" {
					attrs := []any{"method", r.Method, "route", route, "status", rec.status,
						"took", took.Round(time.Microsecond), "requestId", requestID(r.Context())}
					if who := Caller(r.Context()); who != "" {
						attrs = append(attrs, "key", who)
					}
					log.Log(r.Context(), level, "request", attrs...)
				}
				if obs != nil {
					obs.Request(knownMethod(r.Method), route, rec.status, took)
				}
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// securityHeaders sets headers that cost nothing and close whole classes of
// browser attacks on a JSON API.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// cors allows browsers from origins (["*"] for any, as the original's
// enableCors() did) to call the API.
func cors(origins []string) func(http.Handler) http.Handler {
	any := len(origins) == 1 && origins[0] == "*"
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[strings.TrimRight(o, "/")] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin != "" && (any || allowed[origin]) {
				h := w.Header()
				if any {
					h.Set("Access-Control-Allow-Origin", "*")
				} else {
					h.Set("Access-Control-Allow-Origin", origin)
					h.Add("Vary", "Origin")
				}
				h.Set("Access-Control-Expose-Headers", "X-Request-ID, traceparent, Location, Retry-After, Idempotent-Replayed")
				if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
					h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
					h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-API-Key, X-Request-ID, Idempotency-Key, traceparent")
					h.Set("Access-Control-Max-Age", "600")
					w.WriteHeader(http.StatusNoContent)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// errUnauthorized answers a request without a valid key.
var errUnauthorized = fault.New(fault.Unauthorized, "auth.required", "a valid API key is required: send Authorization: Bearer <key>")

// identify puts who sent the request in its context: the holder of the
// API key it presents, once for every later step (rate limits, the access
// log, authentication, scopes), or an anonymous principal. With no keys it
// does nothing: anyone may do anything (local development).
func identify(keys keyring) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if len(keys) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var p principal // anonymous: no name, no scope
			if k, ok := keys.find(presented(r)); ok {
				p = principal{name: k.Name, scopes: k.Scopes}
			}
			// The key's name also goes with the events the request causes.
			ctx := actor.With(context.WithValue(r.Context(), principalKey{}, p), p.name)
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// authenticate refuses, with 401, an anonymous request on every path but
// the open ones, when the service has API keys (keyed).
func authenticate(keyed bool, open openPaths, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if !keyed {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The path as sent, escapes and all: the router reads
			// "/x/a%2Fhealth" as one segment, so its decoded form, which
			// ends in "/health", must not open it.
			if open[r.URL.EscapedPath()] || Caller(r.Context()) != "" {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="customers"`)
			writeError(w, r, log, errUnauthorized)
		})
	}
}

func presented(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	return ""
}

// openPaths are the exact paths (and route patterns) served without
// authentication and left out of the access log: health and readiness,
// which orchestrators call, and the API docs page, which holds no data (it
// asks for a key to read the OpenAPI document).
type openPaths map[string]bool

func newOpenPaths(resource string) openPaths {
	open := openPaths{"/healthz": true, "/readyz": true}
	for _, prefix := range []string{"/", "/api/v1/"} {
		for _, path := range []string{"/health", "/docs", "/docs.js", "/docs.css"} {
			open[prefix+resource+path] = true
		}
	}
	return open
}

// knownMethod returns method if it is a standard one, else "OTHER": the
// method labels a metric, and a client must not be able to add series by
// inventing methods.
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return method
	}
	return "OTHER"
}
