package e2e

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/fintechlabs/customers/adapters/postgres/pgtest"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/test/stacktest"
)

// receiver is an OTLP/HTTP trace receiver: what a collector would get.
type receiver struct {
	mu    sync.Mutex
	spans map[string][]string // "service: span name" by trace id
	links map[string][]string // "service: span name" of the spans linking to a trace, by its id
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(raw, &req) != nil {
		http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		service := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.name" {
				service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				id := hex.EncodeToString(s.TraceId)
				rc.spans[id] = append(rc.spans[id], service+": "+s.Name)
				for _, l := range s.Links {
					linked := hex.EncodeToString(l.TraceId)
					rc.links[linked] = append(rc.links[linked], service+": "+s.Name)
				}
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(nil)
}

func (rc *receiver) linked(traceID, span string) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Contains(rc.links[traceID], span)
}

func (rc *receiver) of(traceID string) []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.spans[traceID])
}

func TestAnOnboardingIsOneTraceAcrossTheServices(t *testing.T) {
	rc := &receiver{spans: map[string][]string{}, links: map[string][]string{}}
	collector := httptest.NewServer(rc)
	t.Cleanup(collector.Close) // after the stack's shutdown, which exports the last spans
	env, _ := stacktest.Env("tracing", t.TempDir())
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.URL
	st := stacktest.Start(t, env)

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	do(t, "POST", st.Services[config.Customer].URL()+"/customers/onboard",
		`{"name":"Tracy Trace","email":"tracy.trace@example.com","phone":"+34600111222"}`,
		"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01").want(t, http.StatusCreated)
	database := "sqlite"
	if pgtest.BaseURL() != "" {
		database = "postgresql"
	}
	want := []string{
		"service-customer: POST /customers/onboard",
		"service-customer: " + database + " transaction",
		"service-notifications: handle customer.onboarded",
		"service-notifications: " + database + " transaction",
		"service-profiling: handle customer.onboarded",
		"service-profiling: " + database + " transaction",
		"service-customer: handle notification.sent",
	}
	eventually(t, "the relay's publish, linked to the onboarding", func() (bool, string) {
		return rc.linked(traceID, "service-customer: publish"), ""
	})
	eventually(t, "the spans of the onboarding in one trace", func() (bool, string) {
		got := rc.of(traceID)
		for _, w := range want {
			if !slices.Contains(got, w) {
				return false, strings.Join(got, "; ")
			}
		}
		return true, ""
	})
}
