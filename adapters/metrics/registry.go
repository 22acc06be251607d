// Package metrics exposes counters, gauges and histograms in the Prometheus
// text format, and records what each service does: HTTP requests, consumed
// and dead-lettered messages, published events, the outbox backlog.
package metrics

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Registry holds metrics and serves them.
type Registry struct {
	mu      sync.Mutex
	metrics []metric
}

type metric interface {
	write(w io.Writer)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

func (r *Registry) add(m metric) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.metrics = append(r.metrics, m)
}

// ServeHTTP writes every metric in the Prometheus text format.
func (r *Registry) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	r.mu.Lock()
	ms := append([]metric(nil), r.metrics...)
	r.mu.Unlock()
	for _, m := range ms {
		m.write(w)
	}
}

// series keys label values; labels are joined with a separator that label
// values cannot hold after escaping.
type series map[string][]string

func key(values []string) string { return strings.Join(values, "\xff") }

// MaxSeries caps the label sets of one metric. Labels come from bounded
// sets (route patterns, known methods, statuses, topics), but a bug or a
// client must never grow memory and scrapes without bound: past the cap,
// new label sets share one series whose every label is "overflow".
const MaxSeries = 1000

// admit returns the key and values to record values under: their own, or
// the overflow series once the metric has MaxSeries.
func (s series) admit(values []string) (string, []string) {
	k := key(values)
	if _, ok := s[k]; ok || len(s) < MaxSeries {
		s[k] = values
		return k, values
	}
	over := make([]string, len(values))
	for i := range over {
		over[i] = "overflow"
	}
	k = key(over)
	s[k] = over
	return k, over
}

func labelText(names, values []string, extra ...string) string {
	var parts []string
	for i, n := range names {
		parts = append(parts, n+`="`+escape(values[i])+`"`)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		parts = append(parts, extra[i]+`="`+extra[i+1]+`"`)
	}
	if len(parts) == 0 {
		return ""
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}

func number(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Counter is a monotonically increasing count per label set.
type Counter struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	values     map[string]float64
	keys       series
}

// Counter registers a counter.
func (r *Registry) Counter(name, help string, labels ...string) *Counter {
	c := &Counter{name: name, help: help, labels: labels, values: map[string]float64{}, keys: series{}}
	r.add(c)
	return c
}

// Add adds v to the series of values (one per label).
func (c *Counter) Add(v float64, values ...string) {
	if len(values) != len(c.labels) {
		panic(fmt.Sprintf("metric %s takes %d labels, got %d", c.name, len(c.labels), len(values)))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k, _ := c.keys.admit(values)
	c.values[k] += v
}

// Inc adds one.
func (c *Counter) Inc(values ...string) { c.Add(1, values...) }

func (c *Counter) write(w io.Writer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
	for _, k := range sortedKeys(c.values) {
		fmt.Fprintf(w, "%s%s %s\n", c.name, labelText(c.labels, c.keys[k]), number(c.values[k]))
	}
}

// GaugeFunc reports a value read when scraped.
type GaugeFunc struct {
	name, help string
	fn         func() float64
}

// GaugeFunc registers a gauge computed by fn on each scrape.
func (r *Registry) GaugeFunc(name, help string, fn func() float64) {
	r.add(&GaugeFunc{name: name, help: help, fn: fn})
}

func (g *GaugeFunc) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", g.name, g.help, g.name, g.name, number(g.fn()))
}

// Histogram counts observations into buckets per label set.
type Histogram struct {
	name, help string
	labels     []string
	bounds     []float64
	mu         sync.Mutex
	data       map[string]*histData
	keys       series
}

type histData struct {
	buckets []uint64
	sum     float64
	count   uint64
}

// Histogram registers a histogram with upper bounds (ascending).
func (r *Registry) Histogram(name, help string, bounds []float64, labels ...string) *Histogram {
	h := &Histogram{name: name, help: help, labels: labels, bounds: bounds, data: map[string]*histData{}, keys: series{}}
	r.add(h)
	return h
}

// Observe records v in the series of values.
func (h *Histogram) Observe(v float64, values ...string) {
	if len(values) != len(h.labels) {
		panic(fmt.Sprintf("metric %s takes %d labels, got %d", h.name, len(h.labels), len(values)))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	k, _ := h.keys.admit(values)
	d, ok := h.data[k]
	if !ok {
		d = &histData{buckets: make([]uint64, len(h.bounds))}
		h.data[k] = d
	}
	for i, b := range h.bounds {
		if v <= b {
			d.buckets[i]++
		}
	}
	d.sum += v
	d.count++
}

func (h *Histogram) write(w io.Writer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.name, h.help, h.name)
	for _, k := range sortedKeys(h.data) {
		d, values := h.data[k], h.keys[k]
		for i, b := range h.bounds {
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelText(h.labels, values, "le", number(b)), d.buckets[i])
		}
		fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, labelText(h.labels, values, "le", "+Inf"), d.count)
		fmt.Fprintf(w, "%s_sum%s %s\n", h.name, labelText(h.labels, values), number(d.sum))
		fmt.Fprintf(w, "%s_count%s %d\n", h.name, labelText(h.labels, values), d.count)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
