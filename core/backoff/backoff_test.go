package backoff_test

import (
	"context"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/backoff"
)

func TestDelaysDoubleWithJitterAndStopAtTheCap(t *testing.T) {
	p := backoff.Policy{Min: 100 * time.Millisecond, Max: time.Second}
	tests := []struct {
		attempt  int
		low, top time.Duration
	}{
		{0, 50 * time.Millisecond, 100 * time.Millisecond},
		{1, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 400 * time.Millisecond, 800 * time.Millisecond},
		{4, 500 * time.Millisecond, time.Second},
		{60, 500 * time.Millisecond, time.Second},
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := p.Delay(tt.attempt)
			if d < tt.low || d > tt.top {
				t.Fatalf("attempt %d: delay %v outside [%v, %v]", tt.attempt, d, tt.low, tt.top)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Fatalf("attempt %d: no jitter", tt.attempt)
		}
	}
	if d := (backoff.Policy{}).Delay(3); d != 0 {
		t.Fatalf("a zero policy should not wait, got %v", d)
	}
}

func TestSleepStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if backoff.Sleep(ctx, time.Hour) {
		t.Fatal("Sleep should report the interruption")
	}
	if !backoff.Sleep(context.Background(), time.Millisecond) {
		t.Fatal("Sleep should report a full wait")
	}
}
