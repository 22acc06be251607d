package kafka_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/core/event"
)

// BenchmarkPublishABatchOf100Events is one relay batch: 100 events of 20
// customers, acknowledged by the broker.
func BenchmarkPublishABatchOf100Events(b *testing.B) {
	e := setup(b)
	p := kafka.NewPublisher(e.cfg, []string{e.typ}, quiet)
	defer p.Close()
	batch := make([]event.Message, 100)
	for i := range batch {
		batch[i] = onboarded(b, fmt.Sprintf("bench-%d", i%20), int64(i/20+1), "")
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if n, err := p.Publish(ctx, batch); err != nil || n != len(batch) {
			b.Fatalf("Publish = %d, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "events/s")
}
