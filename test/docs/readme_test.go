// Package docs checks that what people read and run tells the truth about
// the code: the README and the docs pages (their event examples,
// configuration table, API and ACL tables, links), and the Dockerfile,
// compose and Kubernetes files.
package docs

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/adapters/rest"
	app "github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/stack"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/test/stacktest"
)

// page returns a file of the repository: "README.md", "docs/api.md".
func page(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the text from heading to the next heading of the same
// level.
func section(t *testing.T, text, heading string) string {
	t.Helper()
	i := strings.Index(text, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("no %q section", heading)
	}
	rest := text[i+len(heading)+2:]
	level := strings.SplitN(heading, " ", 2)[0]
	if j := strings.Index(rest, "\n"+level+" "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

var exampleRE = regexp.MustCompile("(?s)<!-- event: ([a-zA-Z.]+) -->\\s*```json\\n(.*?)```")

func TestTheEventExamplesDecodeToExactlyTheirFields(t *testing.T) {
	matches := exampleRE.FindAllStringSubmatch(page(t, "docs/events.md"), -1)
	seen := map[string]bool{event.TopicRegistered: true} // documented as the same as onboarded
	for _, m := range matches {
		topic, payload := m[1], m[2]
		seen[topic] = true
		t.Run(topic, func(t *testing.T) {
			e, err := event.Decode(event.Message{Metadata: event.Metadata{ID: "readme", Type: topic, Version: event.SchemaVersion(topic)}, Payload: []byte(payload)})
			if err != nil {
				t.Fatalf("the example does not decode: %v", err)
			}
			again, err := json.Marshal(e.Data)
			if err != nil {
				t.Fatal(err)
			}
			var documented, encoded any
			if err := json.Unmarshal([]byte(payload), &documented); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(again, &encoded); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(documented, encoded) {
				t.Fatalf("the example has fields the code does not produce, or lacks some:\ndocs: %s\ncode:   %s", payload, again)
			}
		})
	}
	for _, topic := range event.Topics() {
		if !seen[topic] {
			t.Errorf("the event catalog has no example for %s", topic)
		}
	}
}

var variableRE = regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")

func TestTheConfigurationTableListsEveryVariableTheCodeReads(t *testing.T) {
	documented := map[string]bool{}
	for _, line := range strings.Split(section(t, page(t, "docs/operations.md"), "## Configuration"), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(line, "|")[1]
		for _, m := range variableRE.FindAllStringSubmatch(first, -1) {
			documented[m[1]] = true
		}
	}
	read := variables(t)
	var missing, stale []string
	for k := range read {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !read[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 || len(stale) > 0 {
		t.Fatalf("configuration table out of date: undocumented %v; documented but never read %v", missing, stale)
	}
}

var routeRE = regexp.MustCompile("^\\| `(GET|POST) (/[^`?]*)")

// routers returns each service's router by the heading of its API in
// docs/api.md.
func routers(t *testing.T) map[string]http.Handler {
	r := stacktest.Routers(t, rest.Options{})
	return map[string]http.Handler{
		"## customer, port 3001":      r.Customers,
		"## profiling, port 3002":     r.Profiling,
		"## notifications, port 3003": r.Notifications,
	}
}

// serve sends method and path to h.
func serve(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader("{}")))
	return rec
}

// serves reports whether h has a route for method and path.
func serves(h http.Handler, method, path string) bool {
	var p struct{ Code string }
	_ = json.Unmarshal(serve(h, method, path).Body.Bytes(), &p)
	return p.Code != "route.not_found" && p.Code != "route.method_not_allowed"
}

func TestEveryDocumentedRouteExists(t *testing.T) {
	text := page(t, "docs/api.md")
	for heading, h := range routers(t) {
		n := 0
		for _, line := range strings.Split(section(t, text, heading), "\n") {
			m := routeRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			n++
			path := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(m[2], "x")
			for _, prefix := range []string{"", "/api/v1"} {
				if !serves(h, m[1], prefix+path) {
					t.Errorf("%s documents %s %s%s, which the router does not serve", heading, m[1], prefix, m[2])
				}
			}
		}
		if n == 0 {
			t.Errorf("%s lists no routes", heading)
		}
	}
}

// variables returns every configuration variable the code reads.
func variables(t *testing.T) map[string]bool {
	t.Helper()
	read := map[string]bool{"KAFKA_BROKERS": true, "DATA_DIR": true, "EMBEDDED_KAFKA_PORT": true, "CONSOLE_ADDR": true} // read by the stack itself
	record := func(k string) (string, bool) {
		for _, p := range []string{"CUSTOMER_", "PROFILING_", "NOTIFICATIONS_"} {
			k = strings.TrimPrefix(k, p)
		}
		read[k] = true
		return "", false
	}
	for _, kind := range app.Kinds {
		for _, shared := range []bool{false, true} {
			if _, err := app.Load(kind, record, shared, stack.Wiring[kind].Settings); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := app.LogOptions(record); err != nil {
		t.Fatal(err)
	}
	return read
}
