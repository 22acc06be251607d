// Package idempotency makes a repeated request (one sent again with the same
// Idempotency-Key, after a timeout or a lost answer) return the first
// request's answer instead of acting twice, as the IETF draft
// "The Idempotency-Key HTTP Header Field" describes.
//
// A key belongs to a scope (who sent it, and to which route) and is bound to
// a fingerprint of the request: the same key with another request is
// refused, and shows nothing of the first. The entries live in the service's
// database, so replicas share them: a repeat that reaches another replica
// while the first is still under way is refused too.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/fintechlabs/customers/core/fault"
)

// MaxKeyLength bounds a key; longer ones are refused.
const MaxKeyLength = 200

// Errors a repeat can meet.
var (
	// ErrInFlight: the first request with the key has not answered yet.
	// Requests answer within tens of milliseconds (make bench's HTTP
	// p99), so its HTTP answer says to retry after a second, the least
	// Retry-After can say.
	ErrInFlight = &fault.Error{Kind: fault.Conflict, Code: "idempotency.in_flight",
		Message: "a request with this Idempotency-Key is still under way; retry after it has answered", RetryAfter: time.Second}
	// ErrKeyReused: the key was used for another request.
	ErrKeyReused = fault.New(fault.Invalid, "idempotency.key_reused",
		"this Idempotency-Key was used for another request; use a new key for a new request")
	// ErrKeyInvalid: the key is empty or too long.
	ErrKeyInvalid = fault.New(fault.Invalid, "request.idempotency_key",
		"Idempotency-Key must be 1 to 200 visible characters")
)

// Answer is what a request answered: enough to answer a repeat identically.
type Answer struct {
	Status      int
	ContentType string
	Location    string
	Body        []byte
}

// Entry is a key's record.
type Entry struct {
	Fingerprint string
	// Done is false while the first request is under way.
	Done   bool
	Answer Answer
}

// Store keeps entries.
type Store interface {
	// Claim records id as under way for a request with fingerprint, at now,
	// and returns true; or, when id is taken, returns its entry and false.
	// An entry still under way that was claimed before stale is taken over
	// (its request died before answering), as if it were new.
	Claim(ctx context.Context, id, fingerprint string, now, stale time.Time) (Entry, bool, error)
	// Complete stores the answer of the request that claimed id.
	Complete(ctx context.Context, id string, a Answer) error
	// Release forgets id, so that a repeat runs again: for answers that
	// must not be replayed.
	Release(ctx context.Context, id string) error
}

// Keeper decides what a request with a key does: run, or replay.
type Keeper struct {
	store Store
	now   func() time.Time
	// lease is how long a claim holds before a repeat may take it over:
	// longer than any request may run.
	lease time.Duration
}

// NewKeeper returns a Keeper over store. lease must outlast the longest
// request (the handler timeout).
func NewKeeper(store Store, now func() time.Time, lease time.Duration) *Keeper {
	return &Keeper{store: store, now: now, lease: lease}
}

// Request is a request made with a key.
type Request struct {
	// Scope is who sent it (an API key's name, "" when anonymous).
	Scope string
	// Route is the method and path, the resource the key is about.
	Route string
	Key   string
	Body  []byte
}

// Begin claims r's key. It returns the stored answer and true when r is a
// repeat of a request that answered; false when r is to run, and then the
// caller must Finish. Errors: ErrInFlight, ErrKeyReused, ErrKeyInvalid, or
// the store's.
func (k *Keeper) Begin(ctx context.Context, r Request) (string, Answer, bool, error) {
	if !validKey(r.Key) {
		return "", Answer{}, false, ErrKeyInvalid
	}
	id, fp := hash(r.Scope, r.Route, r.Key), hash(r.Route, string(r.Body))
	now := k.now()
	e, claimed, err := k.store.Claim(ctx, id, fp, now, now.Add(-k.lease))
	switch {
	case err != nil:
		return "", Answer{}, false, err
	case claimed:
		return id, Answer{}, false, nil
	case e.Fingerprint != fp:
		return "", Answer{}, false, ErrKeyReused
	case !e.Done:
		return "", Answer{}, false, ErrInFlight
	}
	return "", e.Answer, true, nil
}

// Finish stores a's answer for the request that claimed id, or forgets the
// key when a must not be replayed: a server error, an answer that says to
// try again (auth, a conflict, a rate limit), or one about a resource or a
// method that is not there (404, 405), so that a repeat runs again.
func (k *Keeper) Finish(ctx context.Context, id string, a Answer) error {
	if !Replayable(a.Status) {
		return k.store.Release(ctx, id)
	}
	return k.store.Complete(ctx, id, a)
}

// Replayable reports whether an answer with status is kept for repeats.
func Replayable(status int) bool {
	switch status {
	case 401, 403, 404, 405, 408, 409, 425, 429:
		return false
	}
	return status >= 200 && status < 500
}

func validKey(key string) bool {
	if key == "" || len(key) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// hash joins parts unambiguously and returns their SHA-256 in hex.
func hash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}
