// Package system implements the clock and id ports with the real clock and
// UUIDv7.
package system

import (
	"time"

	"github.com/google/uuid"

	"github.com/fintechlabs/customers/ports"
)

// Clock is the wall clock, in UTC.
type Clock struct{}

var _ ports.Clock = Clock{}

// Now implements ports.Clock.
func (Clock) Now() time.Time { return time.Now().UTC() }

// UUIDs makes UUIDv7 ids: unique, and ordered by creation time, so that
// sorting customers by id sorts them by age.
type UUIDs struct{}

var _ ports.IDGenerator = UUIDs{}

// NewID implements ports.IDGenerator.
func (UUIDs) NewID() string { return uuid.Must(uuid.NewV7()).String() }
