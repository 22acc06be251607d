package metrics_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/metrics"
	"github.com/fintechlabs/customers/core/event"
)

func scrape(t *testing.T, s *metrics.Service) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("content type %q", ct)
	}
	return rec.Body.String()
}

type fakePublisher struct {
	n   int
	err error
}

func (f fakePublisher) Publish(_ context.Context, _ []event.Message) (int, error) { return f.n, f.err }

func TestMetricsAreExposedInThePrometheusTextFormat(t *testing.T) {
	s := metrics.NewService()
	s.Request("POST", "/customers/onboard", 201, 3*time.Millisecond)
	s.Request("POST", "/customers/onboard", 201, 30*time.Millisecond)
	s.Request("GET", `/weird"route`, 404, time.Millisecond)
	s.Handled("customer.onboarded", "handled", 1, time.Millisecond)
	s.Handled("customer.onboarded", "dead_lettered", 3, time.Second)
	s.Outbox(func(context.Context) (int64, error) { return 7, nil }, func(context.Context) (time.Duration, error) { return 90 * time.Second, nil })
	s.ConsumerGroupLag("notifications-group", func(context.Context) ([]metrics.GroupLag, error) {
		return []metrics.GroupLag{{Topic: "customer.onboarded", Partition: 2, Lag: 42}}, nil
	})
	s.Circuit("email", func() bool { return true })
	s.Circuit("sms", func() bool { return false })
	msgs := []event.Message{{Metadata: event.Metadata{Type: "customer.onboarded"}}, {Metadata: event.Metadata{Type: "customer.activated"}}}
	_, _ = s.Publisher(fakePublisher{n: 1, err: errors.New("down")}).Publish(context.Background(), msgs)

	out := scrape(t, s)
	for _, want := range []string{
		`http_requests_total{method="POST",route="/customers/onboard",status="201"} 2`,
		`http_requests_total{method="GET",route="/weird\"route",status="404"} 1`,
		`http_request_duration_seconds_bucket{method="POST",route="/customers/onboard",le="0.005"} 1`,
		`http_request_duration_seconds_bucket{method="POST",route="/customers/onboard",le="+Inf"} 2`,
		`http_request_duration_seconds_count{method="POST",route="/customers/onboard"} 2`,
		`kafka_messages_total{outcome="dead_lettered",topic="customer.onboarded"} 1`,
		`kafka_handle_attempts_total{topic="customer.onboarded"} 4`,
		`outbox_pending_events 7`,
		`events_published_total{topic="customer.onboarded"} 1`,
		`events_publish_failures_total{topic="customer.activated"} 1`,
		"# TYPE kafka_message_duration_seconds histogram",
		"go_goroutines ",
		"process_resident_memory_bytes ",
		"go_build_info{",
		`kafka_consumergroup_lag{consumergroup="notifications-group",partition="2",topic="customer.onboarded"} 42`,
		"outbox_oldest_pending_age_seconds 90",
		`kafka_dead_letters_total{topic="customer.onboarded"} 1`,
		"relay_publish_duration_seconds_count 1",
		`provider_circuit_open{provider="email"} 1`,
		`provider_circuit_open{provider="sms"} 0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestAFailingBacklogCountReadsAsMinusOne(t *testing.T) {
	s := metrics.NewService()
	s.Outbox(func(context.Context) (int64, error) { return 0, errors.New("db gone") },
		func(context.Context) (time.Duration, error) { return 0, errors.New("db gone") })
	if out := scrape(t, s); !strings.Contains(out, "outbox_pending_events -1") || !strings.Contains(out, "outbox_oldest_pending_age_seconds -1") {
		t.Fatalf("scrape = %s", out)
	}
}

func TestLabelSetsPastTheCapShareOneOverflowSeries(t *testing.T) {
	s := metrics.NewService()
	for i := range metrics.MaxSeries + 500 {
		s.Request("GET", "/route-"+strconv.Itoa(i), 200, time.Millisecond)
	}
	out := scrape(t, s)
	if n := strings.Count(out, "\nhttp_requests_total{"); n != metrics.MaxSeries+1 {
		t.Fatalf("%d series of http_requests_total, want the cap %d plus the overflow", n, metrics.MaxSeries)
	}
	if !strings.Contains(out, `http_requests_total{method="overflow",route="overflow",status="overflow"} 500`) {
		t.Fatal("the label sets past the cap were not counted in the overflow series")
	}
	if n := strings.Count(out, "\nhttp_request_duration_seconds_count{"); n != metrics.MaxSeries+1 {
		t.Fatalf("%d series of the duration histogram, want %d", n, metrics.MaxSeries+1)
	}
}

func TestTheLagIsLeftOutWhileTheBrokersCannotSayAndAskedAtMostEveryFewSeconds(t *testing.T) {
	s := metrics.NewService()
	asked := 0
	s.ConsumerGroupLag("g", func(context.Context) ([]metrics.GroupLag, error) {
		asked++
		if asked == 1 {
			return nil, errors.New("no broker answers")
		}
		return []metrics.GroupLag{{Topic: "customer.onboarded", Partition: 0, Lag: 3}}, nil
	})
	if out := scrape(t, s); strings.Contains(out, "kafka_consumergroup_lag{") {
		t.Fatalf("a lag was reported while the brokers could not say:\n%s", out)
	}
	for range 3 {
		if out := scrape(t, s); !strings.Contains(out, `kafka_consumergroup_lag{consumergroup="g",partition="0",topic="customer.onboarded"} 3`) {
			t.Fatalf("scrape = %s", out)
		}
	}
	if asked != 2 {
		t.Fatalf("the brokers were asked %d times for four scrapes in a row, want 2", asked)
	}
}
