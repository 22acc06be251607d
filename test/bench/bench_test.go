// Package bench measures the running system: how fast onboardings go through
// the whole pipeline (HTTP, SQLite, outbox, Kafka, the other two services and
// back), and how long the API takes to answer. Run it with `make bench`; it
// prints figures rather than asserting targets, since timings depend on the
// machine.
package bench

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/stack"
	"github.com/fintechlabs/customers/test/stacktest"
)

// startStack starts the system on the embedded broker (or KAFKA_BROKERS).
func startStack(b *testing.B) *stack.Stack {
	b.Helper()
	env, _ := stacktest.Env("bench", b.TempDir())
	env["LOG_LEVEL"] = "warn"
	return stacktest.Start(b, env)
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

// counter reads a counter from a service's /metrics.
func counter(b *testing.B, base, series string) int {
	b.Helper()
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

// BenchmarkOnboardingThroughTheWholeSystem onboards b.N customers over HTTP
// from 16 clients and waits until the customer service has seen, for each,
// the welcome email's notification.sent and profiling's customer.profiled:
// four events produced and four consumed, four SQLite write transactions
// and the relays' bookkeeping per onboarding.
func BenchmarkOnboardingThroughTheWholeSystem(b *testing.B) {
	st := startStack(b)
	customers := st.Services[config.Customer].URL()
	sent := `kafka_messages_total{topic="notification.sent",outcome="handled"}`
	profiled := `kafka_messages_total{topic="customer.profiled",outcome="handled"}`
	run := time.Now().UnixNano()

	const clients = 16
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var failures atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				body := fmt.Sprintf(`{"name":"Bench %d","email":"bench.%d.%d@example.com","phone":"+34600111222","birthDate":"1990-05-17"}`, i, run, i)
				t0 := time.Now()
				resp, err := client.Post(customers+"/customers/onboard", "application/json", strings.NewReader(body))
				latencies[i] = time.Since(t0)
				if err != nil {
					failures.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					failures.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	accepted := time.Since(start)
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d onboardings failed", n)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for counter(b, customers, sent) < b.N || counter(b, customers, profiled) < b.N {
		if time.Now().After(deadline) {
			b.Fatalf("the pipeline did not finish: %d sent, %d profiled of %d", counter(b, customers, sent), counter(b, customers, profiled), b.N)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
	done := time.Since(start)
	b.StopTimer()

	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/accepted.Seconds(), "accepted/s")
	b.ReportMetric(float64(b.N)/done.Seconds(), "completed/s")
	b.ReportMetric(pct(0.50), "http-p50-ms")
	b.ReportMetric(pct(0.99), "http-p99-ms")
	b.ReportMetric(float64((done - accepted).Milliseconds()), "drain-ms")
}
