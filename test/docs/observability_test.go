package docs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fintechlabs/customers/adapters/metrics"
	"github.com/fintechlabs/customers/core/event"
)

// exposed returns the metric families a service exposes, every one of them
// exercised once (a labelled family shows only after its first sample).
func exposed(t *testing.T) map[string]bool {
	t.Helper()
	m := metrics.NewService()
	m.Request("GET", "/customers", 200, time.Millisecond)
	m.Handled(event.TopicOnboarded, "dead_lettered", 1, time.Millisecond)
	m.ConsumerGroupLag("customers-group", func(context.Context) ([]metrics.GroupLag, error) {
		return []metrics.GroupLag{{Topic: event.TopicOnboarded, Lag: 1}}, nil
	})
	m.HeldPartitions(func() (int, time.Duration) { return 0, 0 })
	m.Circuit("email", func() bool { return false })
	m.Outbox(func(context.Context) (int64, error) { return 0, nil }, func(context.Context) (time.Duration, error) { return 0, nil })
	msgs := []event.Message{{Metadata: event.Metadata{Type: event.TopicOnboarded}}, {Metadata: event.Metadata{Type: event.TopicOnboarded}}}
	_, _ = m.Publisher(halfway{}).Publish(context.Background(), msgs)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	names := map[string]bool{"up": true} // Prometheus's own, per target
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, kind, _ := strings.Cut(name, " ")
			names[name] = true
			if kind == "histogram" {
				names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
			}
		}
	}
	return names
}

// halfway publishes the first message and fails on the rest.
type halfway struct{}

func (halfway) Publish(context.Context, []event.Message) (int, error) { return 1, errors.New("down") }

// selector finds the metrics a PromQL expression selects: every name
// followed by a label matcher or a range (the files write them so).
var selector = regexp.MustCompile(`\b([a-z_:][a-z0-9_:]*)\s*[{\[]`)

func selected(t *testing.T, where, expr string, known map[string]bool) []string {
	t.Helper()
	var names []string
	for _, m := range selector.FindAllStringSubmatch(expr, -1) {
		if !known[m[1]] {
			t.Errorf("%s uses %s, which no service exposes: %s", where, m[1], expr)
		}
		names = append(names, m[1])
	}
	if len(names) == 0 {
		t.Errorf("%s selects no metric: %s", where, expr)
	}
	return names
}

func TestTheAlertRulesUseMetricsTheServicesExpose(t *testing.T) {
	known := exposed(t)
	raw, err := os.ReadFile("../../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatal(err)
	}
	var used []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			used = append(used, selected(t, "alert "+r.Alert, r.Expr, known)...)
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("alert %s needs a severity and a summary", r.Alert)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("alert %s: for %q", r.Alert, r.For)
				}
			}
		}
	}
	for _, want := range []string{"up", "outbox_oldest_pending_age_seconds", "kafka_consumergroup_lag",
		"kafka_held_partition_max_age_seconds", "kafka_dead_letters_total", "http_requests_total"} {
		if !slices.Contains(used, want) {
			t.Errorf("no alert watches %s", want)
		}
	}
}

func TestTheDashboardShowsTheFlowsWithMetricsTheServicesExpose(t *testing.T) {
	known := exposed(t)
	raw, err := os.ReadFile("../../deploy/grafana/dashboards/customers.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatal(err)
	}
	var used []string
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q shows nothing", p.Title)
		}
		for _, target := range p.Targets {
			used = append(used, selected(t, "panel "+p.Title, target.Expr, known)...)
		}
	}
	// Throughput, latency, lag, outbox age, dead letters, 5xx.
	for _, want := range []string{"events_published_total", "http_request_duration_seconds_bucket", "kafka_consumergroup_lag",
		"outbox_oldest_pending_age_seconds", "kafka_dead_letters_total", "http_requests_total"} {
		if !slices.Contains(used, want) {
			t.Errorf("no panel shows %s", want)
		}
	}
}

func TestPrometheusScrapesEveryServiceWhereComposeServesMetrics(t *testing.T) {
	c := load(t, "docker-compose.yml")
	raw, err := os.ReadFile("../../deploy/prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			DNS []struct {
				Names []string `yaml:"names"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	var targets []string
	// Every replica, through the name that resolves to each of them.
	for _, sc := range cfg.ScrapeConfigs {
		for _, d := range sc.DNS {
			for _, name := range d.Names {
				targets = append(targets, fmt.Sprintf("%s:%d", name, d.Port))
			}
		}
	}
	for _, name := range []string{"service-customer", "service-profiling", "service-notifications"} {
		_, port, _ := strings.Cut(c.Services[name].Environment["METRICS_ADDR"], ":")
		if port == "" || !slices.Contains(targets, name+":"+port) {
			t.Errorf("Prometheus scrapes %v; %s serves metrics on METRICS_ADDR %q", targets, name, c.Services[name].Environment["METRICS_ADDR"])
		}
	}
	for _, name := range []string{"prometheus", "grafana"} {
		s, ok := c.Services[name]
		if !ok || !slices.Contains(s.Profiles, "observability") {
			t.Errorf("%s should be in the compose profile observability", name)
		}
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %s beyond the host's loopback", name, p)
			}
		}
	}
	if !slices.Contains(cfg.RuleFiles, "/etc/prometheus/alerts.yml") ||
		!slices.Contains(c.Services["prometheus"].Volumes, "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro") {
		t.Error("Prometheus does not load the alert rules")
	}
}
