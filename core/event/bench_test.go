package event_test

import (
	"context"
	"testing"

	"github.com/fintechlabs/customers/core/event"
)

func BenchmarkEncodeAndDecodeAnEvent(b *testing.B) {
	e := factory().New(context.Background(), at, samples()[4])[0] // customer.firstPayment
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
}
