// Package backoff computes retry delays: exponential, capped, with jitter so
// that many clients retrying after one outage do not retry in step.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy doubles the delay from Min up to Max.
type Policy struct {
	Min time.Duration
	Max time.Duration
}

// Delay returns the wait before retry number attempt (0 for the first
// retry): a random duration in [d/2, d] where d = min(Min*2^attempt, Max).
func (p Policy) Delay(attempt int) time.Duration {
	d := p.Min
	for i := 0; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// Sleep waits for d or until ctx ends, and reports whether the full wait
// elapsed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
