package event_test

import (
	"testing"

	"github.com/fintechlabs/customers/test/golden"
)

// TestThePublishedPayloadsArePinned pins each topic's payload, the contract
// with every consumer (ours and the original's): a renamed or retyped field
// fails here.
func TestThePublishedPayloadsArePinned(t *testing.T) {
	for _, d := range samples() {
		t.Run(d.Topic(), func(t *testing.T) { golden.JSON(t, d.Topic(), d) })
	}
}
