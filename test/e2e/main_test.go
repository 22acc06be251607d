// Package e2e drives the whole system over HTTP, with Kafka in between: the
// embedded broker by default, or the cluster in KAFKA_BROKERS (real Apache
// Kafka in CI). Nothing here calls the services' Go code; effects are
// observed over HTTP only, polling with a deadline.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/logging"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/stack"
	"github.com/fintechlabs/customers/test/stacktest"
)

// stack is the system under test, shared by the tests of this package.
var sys *stack.Stack

// stackLog receives the services' logs.
var stackLog *slog.Logger

// logFile receives the services' logs; printed when a test fails.
var logFile string

// dataDir holds the services' databases, the mailbox, the embedded
// broker's log (kafka/) and the services' logs (stack.log).
var dataDir string

// topicPrefix is put before topic names when the tests share an external
// cluster.
var topicPrefix string

// topic returns the Kafka topic of an event type.
func topic(eventType string) string { return topicPrefix + eventType }

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	dataDir, logFile = dir, dir+"/stack.log"
	logs, err := os.Create(logFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer logs.Close()
	var env map[string]string
	env, topicPrefix = stacktest.Env("e2e", dir)
	env["LOG_FORMAT"], env["LOG_LEVEL"] = "json", "debug"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stackLog = logging.New(logs, logging.Options{Format: logging.JSON, Level: -4})
	sys, err = stack.Start(ctx, config.MapEnv(env), stackLog)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the stack:", err)
		dumpLogs()
		return 1
	}
	code := m.Run()
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), time.Minute)
	defer cancelShutdown()
	if err := sys.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
		code = 1
	}
	if code != 0 {
		dumpLogs()
	}
	return code
}

// dumpLogs prints the last lines of the services' logs.
func dumpLogs() {
	b, err := os.ReadFile(logFile)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 200 {
		lines = lines[len(lines)-200:]
	}
	fmt.Fprintf(os.Stderr, "--- last %d log lines of the stack ---\n%s\n", len(lines), strings.Join(lines, "\n"))
}

func customers() string     { return sys.Services[config.Customer].URL() }
func profiling() string     { return sys.Services[config.Profiling].URL() }
func notifications() string { return sys.Services[config.Notifications].URL() }

// reply is a decoded HTTP response.
type reply struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

// described checks every exchange against the services' OpenAPI
// documents.
var described = stacktest.Describe()

// do sends a request with a JSON body (none when body is ""), and checks
// it and its answer against the service's OpenAPI document.
func do(t *testing.T, method, url, body string, headers ...string) reply {
	t.Helper()
	status, header, raw := stacktest.Do(t, method, url, body, headers...)
	described.Check(t, method, url, []byte(body), status, header, raw)
	r := reply{Status: status, Header: header, Raw: string(raw)}
	if len(bytes.TrimSpace(raw)) > 0 && strings.Contains(header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s %s: not a JSON object: %s", method, url, raw)
		}
	}
	return r
}

// want fails unless the reply has status.
func (r reply) want(t *testing.T, status int) reply {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

// get walks the body: get("customer", "tier").
func (r reply) get(path ...string) any {
	var v any = r.Body
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func (r reply) str(path ...string) string {
	s, _ := r.get(path...).(string)
	return s
}

func (r reply) list(path ...string) []map[string]any {
	items, _ := r.get(path...).([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// eventually polls check until it reports true or the deadline passes; the
// last explanation it gave is in the failure.
func eventually(t *testing.T, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	var last string
	for {
		ok, why := check()
		if ok {
			return
		}
		last = why
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last seen: %s", what, last)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
}

var emails = map[string]int{}

// newEmail returns an address no other test has used in this run.
func newEmail(t *testing.T) string {
	t.Helper()
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r == '/':
			return '.'
		}
		return -1
	}, strings.ToLower(t.Name()))
	emails[name]++
	return fmt.Sprintf("%s.%d.%d@example.com", name, emails[name], time.Now().UnixNano()%1_000_000)
}

// onboard registers a customer and returns its id.
func onboard(t *testing.T, extra string) string {
	t.Helper()
	body := fmt.Sprintf(`{"name":"Ana López","email":%q,"phone":"+34600111222"%s}`, newEmail(t), extra)
	r := do(t, "POST", customers()+"/customers/onboard", body).want(t, http.StatusCreated)
	return r.str("customerId")
}

func post(t *testing.T, url, body string) reply {
	t.Helper()
	return do(t, "POST", url, body).want(t, http.StatusOK)
}

// notificationsOf waits until the customer's notification history holds
// every template@channel in want, and returns the history.
func notificationsOf(t *testing.T, id string, want ...string) []map[string]any {
	t.Helper()
	var got []map[string]any
	eventually(t, fmt.Sprintf("notifications %v of %s", want, id), func() (bool, string) {
		r := do(t, "GET", customers()+"/customers/"+id+"/notifications", "")
		got = r.list("notifications")
		have := map[string]int{}
		for _, n := range got {
			have[fmt.Sprint(n["template"], "@", n["channel"])]++
		}
		for _, w := range want {
			if have[w] == 0 {
				return false, fmt.Sprint(have)
			}
		}
		return true, ""
	})
	return got
}

// tierOf waits until the customer has tier.
func tierOf(t *testing.T, id, tier string) reply {
	t.Helper()
	var r reply
	eventually(t, id+" becoming "+tier, func() (bool, string) {
		r = do(t, "GET", customers()+"/customers/"+id, "")
		return r.str("tier") == tier, r.str("tier")
	})
	return r
}
