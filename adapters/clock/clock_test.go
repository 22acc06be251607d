package clock_test

import (
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/clock"
)

func TestTheClockIsUTC(t *testing.T) {
	now := clock.UTC{}.Now()
	if now.Location() != time.UTC || time.Since(now) > time.Minute {
		t.Fatalf("Now() = %v", now)
	}
}
