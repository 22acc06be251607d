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

// limiters holds a bucket per client, forgetting idle ones so that a
// stream of new addresses cannot grow it without bound.
type limiters struct {
	cfg   RateLimit
	now   func() time.Time
	mu    sync.Mutex
	byKey map[string]*bucket
	swept time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleAfter is how long an unused bucket is kept: by then it is full again.
const idleAfter = 10 * time.Minute

func (l *limiters) reserve(client string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > idleAfter {
		for k, b := range l.byKey {
			if now.Sub(b.seen) > idleAfter {
				delete(l.byKey, k)
			}
		}
		l.swept = now
	}
	b, ok := l.byKey[client]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.cfg.PerSecond), l.cfg.Burst)}
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
// limited too. keyed says whether the service has API keys.
func limit(cfg RateLimit, keyed bool, open openPaths, now func() time.Time) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if cfg.PerSecond <= 0 {
			return next
		}
		if cfg.Burst < 1 {
			cfg.Burst = 1
		}
		l := &limiters{cfg: cfg, now: now, byKey: map[string]*bucket{}}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			client := callerOf(r.Context())
			if client != "" {
				client = "key:" + client
			} else {
				client = clientAddr(r)
				if !keyed && !cfg.Loopback && isLoopback(client) {
					next.ServeHTTP(w, r)
					return
				}
			}
			if open[r.URL.EscapedPath()] {
				next.ServeHTTP(w, r)
				return
			}
			if wait := l.reserve(client); wait > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				badRequest(w, r, http.StatusTooManyRequests, "rate.limited", "too many requests: slow down and retry after the Retry-After seconds")
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
