package event_test

import (
	"context"
	"testing"

	"github.com/fintechlabs/customers/core/event"
)

// BenchmarkEncodeAndDecodeAnEvent encodes and decodes the events each
// onboarding carries most: customer.onboarded (decoded by two services),
// customer.profiled and notification.sent, and one with a decimal amount.
func BenchmarkEncodeAndDecodeAnEvent(b *testing.B) {
	for _, data := range []event.Data{samples()[1], samples()[4], samples()[6], samples()[8]} {
		e := factory().New(context.Background(), at, data)[0]
		b.Run(e.Type, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m, err := event.Encode(e)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := event.Decode(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
