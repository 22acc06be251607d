package rest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/fintechlabs/customers/core/idempotency"
)

// idempotencyLease is how long a request holds its key before a repeat may
// take it over as dead: longer than the server lets any request run.
const idempotencyLease = time.Minute

// idempotent makes every POST that carries an Idempotency-Key safe to
// repeat: the first answer is kept (in the service's database, so every
// replica sees it) and a repeat gets it back with Idempotent-Replayed:
// true, without running again. A key is scoped to the caller's API key and
// to the route, and bound to the body: the same key with another body is
// 422 and shows nothing of the first; a repeat while the first runs is 409.
// Without a store the header is ignored.
func idempotent(keeper *idempotency.Keeper, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if keeper == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key, ok := IdempotencyKey(r)
			if !ok {
				next.ServeHTTP(w, r)
				return
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
			if err != nil {
				BadRequest(w, r, http.StatusBadRequest, "request.unreadable", "the request body could not be read")
				return
			}
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
			if len(body) > maxBody {
				next.ServeHTTP(w, r) // refused as too large; nothing to keep
				return
			}
			id, prior, replay, err := keeper.Begin(r.Context(), idempotency.Request{
				Scope: Caller(r.Context()), Route: r.Method + " " + resourcePath(r.URL.Path), Key: key, Body: body})
			if errors.Is(err, idempotency.ErrKeyInvalid) {
				BadRequest(w, r, http.StatusBadRequest, "request.idempotency_key", err.Error())
				return
			}
			if err != nil {
				writeError(w, r, log, err)
				return
			}
			if replay {
				h := w.Header()
				h.Set("Idempotent-Replayed", "true")
				if prior.ContentType != "" {
					h.Set("Content-Type", prior.ContentType)
				}
				if prior.Location != "" {
					h.Set("Location", prior.Location)
				}
				w.WriteHeader(prior.Status)
				_, _ = w.Write(prior.Body)
				return
			}
			rec := &statusRecorder{ResponseWriter: w, keep: new(bytes.Buffer)}
			defer func() {
				// The client may be gone; the answer is kept for its retry.
				ctx := context.WithoutCancel(r.Context())
				a := idempotency.Answer{Status: rec.status, ContentType: w.Header().Get("Content-Type"),
					Location: w.Header().Get("Location"), Body: rec.keep.Bytes()}
				if p := recover(); p != nil {
					a.Status = http.StatusInternalServerError
					defer panic(p)
				}
				if err := keeper.Finish(ctx, id, a); err != nil {
					log.WarnContext(ctx, "keeping the answer of an idempotent request failed; a repeat will run again", "error", err)
				}
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// IdempotencyKey reads the header, a structured-field string in the draft
// ("key") and a bare token in common use (key): both are accepted.
func IdempotencyKey(r *http.Request) (string, bool) {
	v, ok := r.Header["Idempotency-Key"]
	if !ok || len(v) == 0 {
		return "", false
	}
	k := strings.TrimSpace(v[0])
	if len(k) >= 2 && k[0] == '"' && k[len(k)-1] == '"' {
		k = k[1 : len(k)-1]
	}
	return k, true
}

// resourcePath is path without the /api/v1 prefix: both path styles name
// one resource.
func resourcePath(path string) string {
	if p, ok := strings.CutPrefix(path, "/api/v1/"); ok {
		return "/" + p
	}
	return path
}
