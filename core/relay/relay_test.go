package relay_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/fintechlabs/customers/core/backoff"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/relay"
	"github.com/fintechlabs/customers/ports"
	"github.com/fintechlabs/customers/ports/mocks"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func pending(from, n int) []ports.Pending {
	var p []ports.Pending
	for i := from; i < from+n; i++ {
		p = append(p, ports.Pending{Seq: int64(i), Message: event.Message{Metadata: event.Metadata{ID: fmt.Sprint("m", i)}}})
	}
	return p
}

func ids(msgs []event.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.ID)
	}
	return out
}

func TestDrainPublishesEverythingInBatchesInCommitOrder(t *testing.T) {
	ctrl := gomock.NewController(t)
	outbox, pub := mocks.NewMockOutbox(ctrl), mocks.NewMockPublisher(ctrl)
	var published []string
	gomock.InOrder(
		outbox.EXPECT().Pending(gomock.Any(), 2).Return(pending(1, 2), nil),
		pub.EXPECT().Publish(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m []event.Message) (int, error) {
			published = append(published, ids(m)...)
			return len(m), nil
		}),
		outbox.EXPECT().Published(gomock.Any(), int64(2)).Return(nil),
		outbox.EXPECT().Pending(gomock.Any(), 2).Return(pending(3, 1), nil),
		pub.EXPECT().Publish(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m []event.Message) (int, error) {
			published = append(published, ids(m)...)
			return len(m), nil
		}),
		outbox.EXPECT().Published(gomock.Any(), int64(3)).Return(nil),
	)
	n, err := relay.New(outbox, pub, quiet, relay.Options{Batch: 2}).Drain(context.Background())
	if err != nil || n != 3 || fmt.Sprint(published) != "[m1 m2 m3]" {
		t.Fatalf("Drain = %d, %v; published %v", n, err, published)
	}
}

func TestDrainKeepsEachPublishWithinItsByteBound(t *testing.T) {
	ctrl := gomock.NewController(t)
	outbox, pub := mocks.NewMockOutbox(ctrl), mocks.NewMockPublisher(ctrl)
	big := func(from, n int) []ports.Pending {
		p := pending(from, n)
		for i := range p {
			p[i].Message.Payload = make([]byte, 400)
		}
		return p
	}
	var sizes []int
	publish := func(_ context.Context, m []event.Message) (int, error) {
		sizes = append(sizes, len(m))
		return len(m), nil
	}
	gomock.InOrder(
		// Three pending messages of 400 bytes, 1000 allowed: two go, then
		// the third, read again, goes alone.
		outbox.EXPECT().Pending(gomock.Any(), 10).Return(big(1, 3), nil),
		pub.EXPECT().Publish(gomock.Any(), gomock.Any()).DoAndReturn(publish),
		outbox.EXPECT().Published(gomock.Any(), int64(2)).Return(nil),
		outbox.EXPECT().Pending(gomock.Any(), 10).Return(big(3, 1), nil),
		pub.EXPECT().Publish(gomock.Any(), gomock.Any()).DoAndReturn(publish),
		outbox.EXPECT().Published(gomock.Any(), int64(3)).Return(nil),
	)
	n, err := relay.New(outbox, pub, quiet, relay.Options{Batch: 10, MaxBytes: 1000}).Drain(context.Background())
	if err != nil || n != 3 || fmt.Sprint(sizes) != "[2 1]" {
		t.Fatalf("Drain = %d, %v; publishes of %v", n, err, sizes)
	}
}

func TestDrainMarksOnlyWhatThePublisherConfirmed(t *testing.T) {
	ctrl := gomock.NewController(t)
	outbox, pub := mocks.NewMockOutbox(ctrl), mocks.NewMockPublisher(ctrl)
	down := fault.Unavailablef("broker down")
	outbox.EXPECT().Pending(gomock.Any(), 250).Return(pending(1, 3), nil)
	pub.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(1, down)
	outbox.EXPECT().Published(gomock.Any(), int64(1)).Return(nil)
	n, err := relay.New(outbox, pub, quiet, relay.Options{}).Drain(context.Background())
	if n != 1 || !errors.Is(err, down) {
		t.Fatalf("Drain = %d, %v", n, err)
	}
}

func TestDrainStopsOnStorageErrors(t *testing.T) {
	boom := errors.New("disk")
	t.Run("reading the outbox", func(t *testing.T) {
		ctrl := gomock.NewController(t)
		outbox := mocks.NewMockOutbox(ctrl)
		outbox.EXPECT().Pending(gomock.Any(), gomock.Any()).Return(nil, boom)
		if _, err := relay.New(outbox, mocks.NewMockPublisher(ctrl), quiet, relay.Options{}).Drain(context.Background()); !errors.Is(err, boom) {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("marking messages published", func(t *testing.T) {
		ctrl := gomock.NewController(t)
		outbox, pub := mocks.NewMockOutbox(ctrl), mocks.NewMockPublisher(ctrl)
		outbox.EXPECT().Pending(gomock.Any(), gomock.Any()).Return(pending(1, 1), nil)
		pub.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(1, nil)
		outbox.EXPECT().Published(gomock.Any(), gomock.Any()).Return(boom)
		if _, err := relay.New(outbox, pub, quiet, relay.Options{}).Drain(context.Background()); !errors.Is(err, boom) {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestRunPublishesAfterEachCommitAndRetriesWhileTheBrokerIsAway(t *testing.T) {
	ctrl := gomock.NewController(t)
	outbox, pub := mocks.NewMockOutbox(ctrl), mocks.NewMockPublisher(ctrl)
	committed := make(chan struct{}, 1)
	outbox.EXPECT().Committed().Return(committed).AnyTimes()
	done := make(chan int64, 1)
	down := fault.Unavailablef("broker down")
	gomock.InOrder(
		outbox.EXPECT().Pending(gomock.Any(), gomock.Any()).Return(nil, nil), // start-up drain: nothing yet
		outbox.EXPECT().Pending(gomock.Any(), gomock.Any()).Return(pending(1, 1), nil),
		pub.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(0, down),
		outbox.EXPECT().Pending(gomock.Any(), gomock.Any()).Return(pending(1, 1), nil),
		pub.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(0, down),
		outbox.EXPECT().Pending(gomock.Any(), gomock.Any()).Return(pending(1, 1), nil),
		pub.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(1, nil),
		outbox.EXPECT().Published(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, through int64) error {
			done <- through
			return nil
		}),
	)
	outbox.EXPECT().Pending(gomock.Any(), gomock.Any()).Return(nil, nil).AnyTimes()

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	r := relay.New(outbox, pub, quiet, relay.Options{Poll: time.Hour, Backoff: backoff.Policy{Min: time.Millisecond, Max: 2 * time.Millisecond}})
	go func() { r.Run(ctx); close(stopped) }()
	committed <- struct{}{}
	select {
	case through := <-done:
		if through != 1 {
			t.Fatalf("published through %d, want 1", through)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the relay never published the committed message")
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
}

func TestRunStopsDuringABackoff(t *testing.T) {
	ctrl := gomock.NewController(t)
	outbox, pub := mocks.NewMockOutbox(ctrl), mocks.NewMockPublisher(ctrl)
	ctx, cancel := context.WithCancel(context.Background())
	outbox.EXPECT().Committed().Return(make(chan struct{}))
	outbox.EXPECT().Pending(gomock.Any(), gomock.Any()).Return(pending(1, 1), nil)
	failed := make(chan struct{})
	pub.EXPECT().Publish(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, []event.Message) (int, error) {
		close(failed)
		return 0, fault.Unavailablef("down")
	})
	stopped := make(chan struct{})
	go func() {
		relay.New(outbox, pub, quiet, relay.Options{Backoff: backoff.Policy{Min: time.Hour, Max: time.Hour}}).Run(ctx)
		close(stopped)
	}()
	<-failed
	cancel() // the service shuts down while the relay waits an hour for the broker
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Run kept waiting after cancellation")
	}
}

func TestRunPollsWhenNoWakeUpComes(t *testing.T) {
	ctrl := gomock.NewController(t)
	outbox, pub := mocks.NewMockOutbox(ctrl), mocks.NewMockPublisher(ctrl)
	outbox.EXPECT().Committed().Return(make(chan struct{})).AnyTimes()
	polled := make(chan struct{})
	gomock.InOrder(
		outbox.EXPECT().Pending(gomock.Any(), gomock.Any()).Return(nil, nil),
		outbox.EXPECT().Pending(gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, int) ([]ports.Pending, error) {
			close(polled)
			return nil, nil
		}),
	)
	outbox.EXPECT().Pending(gomock.Any(), gomock.Any()).Return(nil, nil).AnyTimes()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go relay.New(outbox, pub, quiet, relay.Options{Poll: time.Millisecond}).Run(ctx)
	select {
	case <-polled:
	case <-time.After(10 * time.Second):
		t.Fatal("the relay never polled")
	}
}
