// Package clock implements ports.Clock with the wall clock.
package clock

import (
	"time"

	"github.com/fintechlabs/customers/ports"
)

// UTC is the wall clock, in UTC.
type UTC struct{}

var _ ports.Clock = UTC{}

// Now implements ports.Clock.
func (UTC) Now() time.Time { return time.Now().UTC() }
