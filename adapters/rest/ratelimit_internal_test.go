package rest

import (
	"strconv"
	"testing"
	"time"
)

func TestAFloodOfNewClientsKeepsTheRateLimitsBounded(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	l := newLimiters(RateLimit{PerSecond: 50, Burst: 100}, func() time.Time { return at })
	for i := range 3 * maxClients {
		l.reserve("198.51.100." + strconv.Itoa(i)) // a stream of new addresses, all at once
	}
	if n := len(l.byKey); n > maxClients {
		t.Fatalf("%d buckets held, want at most %d", n, maxClients)
	}
	// A bucket unused for as long as it takes to fill up again is as good
	// as new: the next request sweeps it away.
	at = at.Add(3 * time.Second)
	l.reserve("203.0.113.7")
	if n := len(l.byKey); n != 1 {
		t.Fatalf("%d buckets held after the flood's buckets filled up again, want 1", n)
	}
}

func TestClientsBeyondTheBoundShareOneRate(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	l := newLimiters(RateLimit{PerSecond: 1, Burst: 1}, func() time.Time { return at })
	for i := range maxClients {
		l.reserve("198.51.100." + strconv.Itoa(i))
	}
	if wait := l.reserve("newcomer-1"); wait != 0 {
		t.Fatalf("the first client beyond the bound was refused: %v", wait)
	}
	if wait := l.reserve("newcomer-2"); wait == 0 {
		t.Fatal("a second client beyond the bound got a rate of its own")
	}
}
