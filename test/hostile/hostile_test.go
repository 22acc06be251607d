// Package hostile sends the running system, with API keys set, what an
// attacker or a careless client would: every route without a key, encoded
// paths, invented methods, reused idempotency keys, foreign origins,
// oversized and malformed bodies, and an event forged on Kafka.
package hostile

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/stack"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/test/stacktest"
)

// The suite's keys: one that may do anything, one that may only read
// customers.
const (
	key       = "hostile-suite-key"
	readerKey = "reader-secret"
	opsKey    = "ops-secret" // named "ops": the name in the events it causes
)

// system is the stack under attack, with API keys set.
type system struct {
	st     *stack.Stack
	urls   map[config.Kind]string
	kafka  kafka.Config
	prefix string // of the stack's topics
}

func start(t *testing.T) *system {
	t.Helper()
	dir := t.TempDir()
	env, prefix := stacktest.Env("hostile", dir)
	env["API_KEYS"] = key + ",reader:" + readerKey + ":customers:read,ops:" + opsKey
	env["RATE_LIMIT"] = "0" // the suite is one client sending thousands of requests; rates have their own tests
	st := stacktest.Start(t, env)
	kcfg, err := config.LoadKafka(config.MapEnv(map[string]string{"KAFKA_BROKERS": st.Brokers(), "KAFKA_TOPIC_PREFIX": prefix}), "hostile")
	if err != nil {
		t.Fatal(err)
	}
	s := &system{st: st, urls: map[config.Kind]string{}, kafka: kcfg, prefix: prefix}
	for kind, svc := range st.Services {
		s.urls[kind] = svc.URL()
	}
	return s
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) code() string {
	var p struct{ Code string }
	_ = json.Unmarshal([]byte(a.body), &p)
	return p.Code
}

// described checks every exchange against the services' OpenAPI
// documents, which it reads with the key that holds every scope.
var described = stacktest.Describe("Authorization", "Bearer "+key)

// do sends a request; headers come in name, value pairs.
func do(t *testing.T, method, url, body string, headers ...string) answer {
	t.Helper()
	status, header, raw := stacktest.Do(t, method, url, body, headers...)
	described.Check(t, method, url, []byte(body), status, header, raw)
	return answer{status, header, string(raw)}
}

// routes lists every method and path a service serves, parameters filled
// in, as its router declares them.
func routes(t *testing.T, kind config.Kind) [][2]string {
	t.Helper()
	h := stacktest.Routers(t, rest.Options{}).Of(kind)
	var out [][2]string
	err := chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		path := route
		for strings.Contains(path, "{") {
			i, j := strings.Index(path, "{"), strings.Index(path, "}")
			path = path[:i] + "x-1" + path[j+1:]
		}
		out = append(out, [2]string{method, path})
		return nil
	})
	if err != nil || len(out) < 10 {
		t.Fatalf("walking the %s router: %d routes, %v", kind, len(out), err)
	}
	return out
}

// open are the paths served without a key: the probes, and the API docs
// page with its script and style, which hold no data (the page asks for a
// key to read the OpenAPI document).
func open(path string) bool {
	if path == "/healthz" || path == "/readyz" {
		return true
	}
	for _, suffix := range []string{"/health", "/docs", "/docs.js", "/docs.css"} {
		if strings.HasSuffix(path, suffix) && strings.Count(path, "/") <= 4 {
			return true
		}
	}
	return false
}

func TestHostileRequests(t *testing.T) {
	s := start(t)

	t.Run("every route on both path styles wants a key and its scope", func(t *testing.T) {
		for kind, base := range s.urls {
			for _, r := range routes(t, kind) {
				method, path := r[0], r[1]
				if open(path) {
					continue
				}
				for _, creds := range [][]string{nil, {"X-API-Key", "wrong"}, {"Authorization", "Bearer " + key + "x"}, {"Authorization", "Basic " + key}} {
					a := do(t, method, base+path, "{}", creds...)
					if a.status != 401 || a.code() != "auth.required" || a.header.Get("WWW-Authenticate") == "" {
						t.Errorf("%s %s %s with %v = %d %s", kind, method, path, creds, a.status, a.body)
					}
				}
				// A key that may only read customers reaches nothing else.
				if kind == config.Customer && method == "GET" && strings.Contains(path, "/customers") {
					continue
				}
				if a := do(t, method, base+path, "{}", "X-API-Key", readerKey); a.status != 403 || a.code() != "auth.scope" {
					t.Errorf("%s %s %s with the reader's key = %d %s", kind, method, path, a.status, a.body)
				}
			}
		}
	})

	t.Run("encoded paths open nothing", func(t *testing.T) {
		base := s.urls[config.Customer]
		for _, path := range []string{
			"/customers/abc%2Fhealth", "/customers/promote/abc%2Fhealth", "/api/v1/customers/x%2F..%2Fhealth",
			"/customers/health/", "/customers/x/health", "/CUSTOMERS/health", "/customers/%68ealth", "/readyz/../customers",
			"/healthz%2F..%2Fcustomers", "/api/v1/api/v1/customers/health",
		} {
			for _, method := range []string{"GET", "POST"} {
				a := do(t, method, base+path, "{}")
				if a.status != 401 && a.status != 404 && a.status != 405 {
					t.Errorf("%s %s reached further than a refusal without a key: %d %s", method, path, a.status, a.body)
				}
			}
		}
	})

	t.Run("text a database cannot hold is refused, not a failure", func(t *testing.T) {
		// A NUL character or bytes that are not UTF-8, in a path, a query
		// or a body: PostgreSQL's text refuses them where SQLite stores
		// them; either way the answer is a refusal, never a 5xx.
		auth := []string{"Authorization", "Bearer " + key}
		for _, id := range []string{"a%00b", "%ff%fe"} {
			for _, target := range []struct {
				kind config.Kind
				path string
			}{
				{config.Customer, "/customers/" + id}, {config.Customer, "/customers/" + id + "/history"},
				{config.Customer, "/customers/" + id + "/notifications"}, {config.Customer, "/customers?cursor=" + id},
				{config.Profiling, "/profiling/" + id}, {config.Notifications, "/notifications/" + id},
				{config.Notifications, "/notifications?customerId=" + id},
			} {
				if a := do(t, "GET", s.urls[target.kind]+target.path, "", auth...); a.status >= 500 {
					t.Errorf("GET %s: %d %s", target.path, a.status, a.body)
				}
			}
		}
		for _, target := range []struct {
			kind       config.Kind
			path, body string
		}{
			{config.Customer, "/customers/activate", `{"customerId":"a\u0000b"}`},
			{config.Customer, "/customers/first-payment", `{"customerId":"a\u0000b","amount":"10"}`},
			{config.Profiling, "/profiling/promote", `{"customerId":"a\u0000b","age":30}`},
			{config.Profiling, "/profiling/evaluate", `{"customerId":"a\u0000b","age":30}`},
		} {
			if a := do(t, "POST", s.urls[target.kind]+target.path, target.body, auth...); a.status >= 500 {
				t.Errorf("POST %s %s: %d %s", target.path, target.body, a.status, a.body)
			}
		}
	})

	t.Run("a thousand invented methods add at most one series", func(t *testing.T) {
		base := s.urls[config.Customer]
		series(t, base) // so that the scrape's own series is there before counting
		before := series(t, base)
		for i := range 1000 {
			do(t, fmt.Sprintf("M%d", i), base+"/customers", "")
		}
		if after := series(t, base); after-before > 1 {
			t.Errorf("%d new series", after-before)
		}
	})

	t.Run("an idempotency key is bound to its request", func(t *testing.T) {
		base := s.urls[config.Notifications]
		headers := []string{"X-API-Key", key, "Idempotency-Key", "hostile-1"}
		first := do(t, "POST", base+"/notifications/sms", `{"to":"+34600111222","message":"code 4711"}`, headers...)
		replay := do(t, "POST", base+"/notifications/sms", `{"to":"+34600111222","message":"code 4711"}`, headers...)
		other := do(t, "POST", base+"/notifications/sms", `{"to":"+34600999888","message":"hi"}`, headers...)
		if first.status != 201 || replay.status != 201 || replay.header.Get("Idempotent-Replayed") != "true" || replay.body != first.body {
			t.Errorf("first %d, replay %d %v", first.status, replay.status, replay.header)
		}
		if other.status != 422 || other.code() != "idempotency.key_reused" || strings.Contains(other.body, "4711") {
			t.Errorf("the key with another message = %d %s", other.status, other.body)
		}
	})

	t.Run("every POST with an idempotency key acts once, on either path style", func(t *testing.T) {
		base := s.urls[config.Customer]
		headers := []string{"X-API-Key", key, "Idempotency-Key", `"onboard-1"`}
		body := `{"name":"Ida Once","email":"ida.once@example.com","phone":"+34600222333"}`
		first := do(t, "POST", base+"/customers/onboard", body, headers...)
		replay := do(t, "POST", base+"/api/v1/customers/onboard", body, headers...)
		if first.status != 201 || replay.status != 201 || replay.header.Get("Idempotent-Replayed") != "true" || replay.body != first.body ||
			replay.header.Get("Location") != first.header.Get("Location") {
			t.Fatalf("first %d %s\nreplay %d %v %s", first.status, first.body, replay.status, replay.header, replay.body)
		}
		var c struct {
			ID string `json:"customerId"`
		}
		_ = json.Unmarshal([]byte(first.body), &c)
		activate := []string{"X-API-Key", key, "Idempotency-Key", "activate-1"}
		a1 := do(t, "POST", base+"/customers/activate", `{"customerId":"`+c.ID+`"}`, activate...)
		a2 := do(t, "POST", base+"/customers/activate", `{"customerId":"`+c.ID+`"}`, activate...)
		if a1.status != 200 || a2.status != 200 || a2.header.Get("Idempotent-Replayed") != "true" || a2.body != a1.body {
			t.Fatalf("activate %d %s, again %d %s", a1.status, a1.body, a2.status, a2.body)
		}
		history := do(t, "GET", base+"/customers/"+c.ID+"/history", "", "X-API-Key", key)
		if n := strings.Count(history.body, `"to":"active"`); n != 1 {
			t.Fatalf("%d activations in the history: %s", n, history.body)
		}
		if bad := do(t, "POST", base+"/customers/onboard", body, "X-API-Key", key, "Idempotency-Key", strings.Repeat("k", 201)); bad.status != 400 {
			t.Errorf("an unprintable key = %d %s", bad.status, bad.body)
		}
	})

	t.Run("concurrent repeats of one request act once", func(t *testing.T) {
		base := s.urls[config.Customer]
		headers := []string{"X-API-Key", key, "Idempotency-Key", "race-1"}
		body := `{"name":"Rae Race","email":"rae.race@example.com","phone":"+34600444555"}`
		answers := make([]answer, 8)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() { answers[i] = do(t, "POST", base+"/customers/onboard", body, headers...) })
		}
		wg.Wait()
		ran := 0
		for _, a := range answers {
			switch {
			case a.status == 201 && a.header.Get("Idempotent-Replayed") == "":
				ran++
			case a.status == 201:
			case a.status == 409 && a.code() == "idempotency.in_flight":
				if a.header.Get("Retry-After") != "1" {
					t.Errorf("a repeat of a request under way says to retry after %q", a.header.Get("Retry-After"))
				}
			default:
				t.Errorf("a repeat answered %d %s", a.status, a.body)
			}
		}
		if ran != 1 {
			t.Fatalf("%d of the repeats ran", ran)
		}
		list := do(t, "GET", base+"/customers?limit=100", "", "X-API-Key", key)
		if n := strings.Count(list.body, "rae.race@example.com"); n != 1 {
			t.Fatalf("%d customers with the email", n)
		}
	})

	t.Run("the events a request causes name its key and keep its trace", func(t *testing.T) {
		made := do(t, "POST", s.urls[config.Customer]+"/customers/onboard",
			`{"name":"Otto Ops","email":"otto.ops@example.com","phone":"+34600666777"}`, "X-API-Key", opsKey,
			"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate", "congo=t61rcWkgMzE")
		var c struct {
			ID string `json:"customerId"`
		}
		if err := json.Unmarshal([]byte(made.body), &c); err != nil || made.status != 201 {
			t.Fatalf("onboard = %d %s", made.status, made.body)
		}
		// customer.onboarded from the request, then notification.sent from
		// the welcome it caused in another service.
		for _, topic := range []string{event.TopicOnboarded, event.TopicNotificationSent} {
			recs := kafkatest.ReadRecords(t, []string{s.st.Brokers()}, s.prefix+topic, 1,
				func(m kafkago.Message) bool { return string(m.Key) == c.ID })
			if got := kafkatest.Header(recs[0], "ce_actor"); got != "ops" {
				t.Errorf("%s carries ce_actor %q, want ops", topic, got)
			}
			// The caller's trace context goes down the flow too, tracestate and all.
			if tp, ts := kafkatest.Header(recs[0], "traceparent"), kafkatest.Header(recs[0], "tracestate"); !strings.Contains(tp, "4bf92f3577b34da6a3ce929d0e0e4736") || ts != "congo=t61rcWkgMzE" {
				t.Errorf("%s carries traceparent %q and tracestate %q", topic, tp, ts)
			}
		}
	})

	t.Run("a foreign origin is not let in", func(t *testing.T) {
		a := do(t, "OPTIONS", s.urls[config.Customer]+"/customers/onboard", "", "Origin", "https://evil.example",
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "X-API-Key")
		if a.header.Get("Access-Control-Allow-Origin") != "" || a.status == 204 {
			t.Errorf("preflight = %d %v", a.status, a.header)
		}
	})

	t.Run("oversized and malformed bodies are refused precisely", func(t *testing.T) {
		base := s.urls[config.Customer]
		auth := []string{"X-API-Key", key}
		for _, tt := range []struct {
			name, body string
			status     int
		}{
			{"a body of 2 MiB", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, 413},
			{"broken JSON", `{"name":`, 400},
			{"an unknown field", `{"name":"Ana","email":"ana@example.com","phone":"+34600111222","admin":true}`, 400},
			{"a wrong type", `{"name":7,"email":"ana@example.com","phone":"+34600111222"}`, 400},
			{"two values", `{"name":"Ana"}{"name":"Eve"}`, 400},
		} {
			a := do(t, "POST", base+"/customers/onboard", tt.body, auth...)
			if a.status != tt.status || !strings.HasPrefix(a.header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%s = %d %.200s", tt.name, a.status, a.body)
			}
		}
		if list := do(t, "GET", base+"/customers", "", auth...); strings.Contains(list.body, "Eve") || strings.Contains(list.body, `"Ana"`) {
			t.Errorf("a refused onboarding left a customer: %.300s", list.body)
		}
	})

	t.Run("an event forged on Kafka promotes nobody", func(t *testing.T) {
		base := s.urls[config.Customer]
		auth := []string{"X-API-Key", key}
		made := do(t, "POST", base+"/customers/onboard", `{"name":"Mallory Target","email":"target@example.com","phone":"+34600123456"}`, auth...)
		var c struct {
			ID string `json:"customerId"`
		}
		if err := json.Unmarshal([]byte(made.body), &c); err != nil || made.status != 201 || c.ID == "" {
			t.Fatalf("onboard = %d %s", made.status, made.body)
		}
		if a := do(t, "POST", base+"/customers/activate", `{"customerId":"`+c.ID+`"}`, auth...); a.status != 200 {
			t.Fatalf("activate = %d %s", a.status, a.body)
		}
		forged := event.Factory{Source: "service-intruder", NewID: func() string { return "forged-" + c.ID }}.New(context.Background(), time.Now().UTC(), event.Profiled{
			CustomerID: c.ID, Profile: event.Profile{RecommendedTier: "vip"}, Promote: true, Timestamp: time.Now().UTC(), Trigger: "forged"})
		msgs := make([]event.Message, len(forged))
		for i, e := range forged {
			m, err := event.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			msgs[i] = m
		}
		p := kafka.NewPublisher(s.kafka, []string{event.TopicProfiled}, slog.New(slog.DiscardHandler))
		defer p.Close()
		if _, err := p.Publish(context.Background(), msgs); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			letters, _ := kafkatest.DeadLetters(context.Background(), s.kafka, event.TopicProfiled)
			found := false
			for _, l := range letters {
				found = found || string(l.Key) == c.ID && strings.Contains(l.Error, "service-intruder")
			}
			if found {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the forged event was not dead-lettered: %+v", letters)
			}
			time.Sleep(200 * time.Millisecond) // polling interval
		}
		got := do(t, "GET", base+"/customers/"+c.ID, "", auth...)
		if strings.Contains(got.body, `"tier":"vip"`) {
			t.Fatalf("a forged event promoted the customer: %s", got.body)
		}
	})
}

// series counts the http_requests_total series a service exposes.
func series(t *testing.T, base string) int {
	t.Helper()
	return strings.Count(do(t, "GET", base+"/metrics", "", "X-API-Key", key).body, "\nhttp_requests_total{")
}
