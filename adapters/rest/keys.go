package rest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/fintechlabs/customers/core/actor"
)

// Scopes a key may hold. ScopeAdmin holds them all.
const (
	ScopeCustomersRead  = "customers:read"
	ScopeCustomersWrite = "customers:write"
	ScopePII            = "pii:read"
	// ScopeCustomersErase erases customers at their request: a scope of
	// its own, since nothing undoes it.
	ScopeCustomersErase    = "customers:erase"
	ScopeProfilingRead     = "profiling:read"
	ScopeProfilingWrite    = "profiling:write"
	ScopeNotificationsRead = "notifications:read"
	ScopeNotificationsSend = "notifications:send"
	// ScopeNotificationsContent reads what messages say: their bodies, and
	// the subjects of those sent on request (the client's own text, one-time
	// codes included). notifications:read sees the rest: who, when, which
	// template, the outcome.
	ScopeNotificationsContent = "notifications:content"
	ScopeMetrics              = "metrics"
	ScopeAdmin                = "admin"
)

// scopes lists every scope.
var scopes = []string{ScopeCustomersRead, ScopeCustomersWrite, ScopeCustomersErase, ScopePII, ScopeProfilingRead, ScopeProfilingWrite,
	ScopeNotificationsRead, ScopeNotificationsSend, ScopeNotificationsContent, ScopeMetrics, ScopeAdmin}

// Key is an API key: who holds it and what it may do.
type Key struct {
	Name   string
	hash   [sha256.Size]byte // of the secret: the secret itself is not kept
	Scopes []string
}

// ParseKey reads a key written as "name:secret:scope+scope", "name:secret"
// (every scope) or a bare "secret" (every scope, named after its
// fingerprint). The secret may be given as "sha256=<hex>", its SHA-256, so
// that configuration holds no secret.
func ParseKey(spec string) (Key, error) {
	// Scopes hold colons themselves; a name or a secret holds none.
	parts := strings.SplitN(strings.TrimSpace(spec), ":", 3)
	var k Key
	var secret string
	switch len(parts) {
	case 1:
		secret = parts[0]
	case 2, 3:
		k.Name, secret = strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
		if k.Name == "" {
			return Key{}, fmt.Errorf("an API key needs a name before its secret")
		}
		if !actor.Valid(k.Name) {
			// The name goes into logs and into the events a request causes.
			return Key{}, fmt.Errorf("API key name %q must be printable ASCII without spaces, at most %d characters", k.Name, actor.MaxLength)
		}
		if len(parts) == 3 {
			k.Scopes = strings.FieldsFunc(parts[2], func(r rune) bool { return r == '+' || r == ' ' })
			for _, s := range k.Scopes {
				if !slices.Contains(scopes, s) {
					return Key{}, fmt.Errorf("API key %s: unknown scope %q (known: %s)", k.Name, s, strings.Join(scopes, ", "))
				}
			}
		}
	}
	if len(k.Scopes) == 0 {
		k.Scopes = []string{ScopeAdmin}
	}
	if hexHash, ok := strings.CutPrefix(secret, "sha256="); ok {
		raw, err := hex.DecodeString(hexHash)
		if err != nil || len(raw) != sha256.Size {
			return Key{}, fmt.Errorf("API key %s: sha256= needs 64 hex digits", k.Name)
		}
		copy(k.hash[:], raw)
	} else {
		if secret == "" {
			return Key{}, fmt.Errorf("API key %s has an empty secret", k.Name)
		}
		k.hash = sha256.Sum256([]byte(secret))
	}
	if k.Name == "" {
		k.Name = "key-" + hex.EncodeToString(k.hash[:4])
	}
	return k, nil
}

// keyring finds the key a request presents.
type keyring []Key

func newKeyring(specs []string) keyring {
	ring := make(keyring, 0, len(specs))
	for _, s := range specs {
		k, err := ParseKey(s)
		if err != nil {
			// The configuration checks keys before a router is built.
			panic(fmt.Sprintf("rest: %v", err))
		}
		ring = append(ring, k)
	}
	return ring
}

// find returns the key whose secret is presented.
func (ring keyring) find(presented string) (Key, bool) {
	if presented == "" {
		return Key{}, false
	}
	sum := sha256.Sum256([]byte(presented))
	var found Key
	ok := false
	for _, k := range ring {
		// Every key is compared, in constant time, so timing tells
		// nothing about which key matched.
		if subtle.ConstantTimeCompare(sum[:], k.hash[:]) == 1 {
			found, ok = k, true
		}
	}
	return found, ok
}

// principal is who a request comes from.
type principal struct {
	name   string // the key's name; "" for an anonymous caller, or with no keys at all
	scopes []string
}

func (p principal) can(scope string) bool {
	return slices.Contains(p.scopes, ScopeAdmin) || slices.Contains(p.scopes, scope)
}

type principalKey struct{}

// Can reports whether the caller of ctx's request has scope: always,
// without authentication.
func Can(ctx context.Context, scope string) bool { return principalOf(ctx).can(scope) }

// principalOf returns who sent the request; without authentication,
// anyone may do anything (local development).
func principalOf(ctx context.Context) principal {
	if p, ok := ctx.Value(principalKey{}).(principal); ok {
		return p
	}
	return principal{scopes: []string{ScopeAdmin}}
}

// Caller names who sent the request ("" without authentication).
func Caller(ctx context.Context) string { return principalOf(ctx).name }

// need refuses, with 403, a request whose key lacks scope.
func need(scope string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !Can(r.Context(), scope) {
				BadRequest(w, r, http.StatusForbidden, "auth.scope", "this API key lacks the "+scope+" scope")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
