// Package uuidv7 implements ports.IDGenerator with UUIDv7: unique, and
// ordered by creation time, so that sorting customers by id sorts them by
// age.
package uuidv7

import (
	"github.com/google/uuid"

	"github.com/fintechlabs/customers/ports"
)

// Generator makes UUIDv7 ids.
type Generator struct{}

var _ ports.IDGenerator = Generator{}

// NewID implements ports.IDGenerator.
func (Generator) NewID() string { return uuid.Must(uuid.NewV7()).String() }
