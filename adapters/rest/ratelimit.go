package rest

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit bounds how fast one client may call: a token bucket per API
// key, or per client address without one.
type RateLimit struct {
	// PerSecond is the sustained rate; zero turns limiting off.
	PerSecond float64
	// Burst is how many requests may come at once.
	Burst int
	// Loopback limits clients on this machine too; off, they are exempt
	// when no API keys are set (local development, the tests).
	Loopback bool
}

// limiters holds a bucket per client. A bucket unused for as long as it
// takes to fill up again is as good as a new one, so it is forgotten then;
// and past maxClients at once (a flood of new addresses), new clients
// share one bucket, so that memory stays bounded.
type limiters struct {
	cfg    RateLimit
	now    func() time.Time
	mu     sync.Mutex
	byKey  map[string]*bucket
	shared *bucket // the clients beyond maxClients
	swept  time.Time
	// refill is how long an empty bucket takes to fill up.
	refill time.Duration
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxClients bounds the buckets held at once: about 200 bytes each.
const maxClients = 1 << 16

func newLimiters(cfg RateLimit, now func() time.Time) *limiters {
	return &limiters{cfg: cfg, now: now, byKey: map[string]*bucket{}, shared: newBucket(cfg),
		refill: time.Duration(float64(cfg.Burst) / cfg.PerSecond * float64(time.Second))}
}

func newBucket(cfg RateLimit) *bucket {
	return &bucket{lim: rate.NewLimiter(rate.Limit(cfg.PerSecond), cfg.Burst)}
}

func (l *limiters) reserve(client string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > l.refill {
		for k, b := range l.byKey {
			if now.Sub(b.seen) > l.refill {
				delete(l.byKey, k)
			}
		}
		l.swept = now
	}
	b, ok := l.byKey[client]
	switch {
	case ok:
	case len(l.byKey) >= maxClients:
		b = l.shared
	default:
		b = newBucket(l.cfg)
		l.byKey[client] = b
	}
	b.seen = now
	if b.lim.AllowN(now, 1) {
		return 0
	}
	// How long until one token is back; the request is refused, not queued.
	return time.Duration(math.Ceil(float64(time.Second) / l.cfg.PerSecond))
}

// limit refuses, with 429 and Retry-After, a client over its rate: a
// valid API key's holder, or else the address, so that guessing keys is
// limited too. Every path counts, the open ones (health, docs) included.
// keyed says whether the service has API keys; without them, clients on
// loopback are exempt unless cfg.Loopback.
func limit(cfg RateLimit, keyed bool, now func() time.Time) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if cfg.PerSecond <= 0 {
			return next
		}
		if cfg.Burst < 1 {
			cfg.Burst = 1
		}
		l := newLimiters(cfg, now)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			client := Caller(r.Context())
			if client != "" {
				client = "key:" + client
			} else {
				client = clientAddr(r)
				if !keyed && !cfg.Loopback && isLoopback(client) {
					next.ServeHTTP(w, r)
					return
				}
			}
			if wait := l.reserve(client); wait > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				BadRequest(w, r, http.StatusTooManyRequests, "rate.limited", "too many requests: slow down and retry after the Retry-After seconds")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// clientAddr is the connection's address: a forwarded header could name
// anyone, so it is not read.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
