// Package faults runs fault scenarios against the running system (make
// test-faults): while onboardings flow, the email provider goes down, a
// database is locked, the broker stops, the process is killed, poison and
// newer-schema records arrive. Each scenario checks that every onboarding
// got its welcome email exactly once, and counts what was dead-lettered;
// the suite prints one line per scenario.
package faults

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // to lock a service's database as another process would
	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/adapters/logging"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/stack"
	"github.com/fintechlabs/customers/core/backoff"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/test/stacktest"
)

// result is one scenario's line in the report.
type result struct {
	name                                   string
	offered, welcomed, deadLettered, dupes int
}

var (
	resultsMu sync.Mutex
	results   []result
)

func report(r result) {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	results = append(results, r)
}

func TestMain(m *testing.M) {
	code := m.Run()
	fmt.Println("\nfault scenarios (offered onboardings; welcomed exactly once; dead letters; duplicate sends):")
	fmt.Printf("%-48s %8s %9s %13s %11s\n", "scenario", "offered", "welcomed", "dead-letters", "duplicates")
	for _, r := range results {
		fmt.Printf("%-48s %8d %9d %13d %11d\n", r.name, r.offered, r.welcomed, r.deadLettered, r.dupes)
	}
	os.Exit(code)
}

// system is a running system under test, in this process or as a child.
type system struct {
	customers, notifications string // base URLs
	brokers                  []string
	topicPrefix              string
	dataDir                  string
}

var client = &http.Client{Timeout: 10 * time.Second}

// onboard registers n customers with prefix in their emails, 8 at a time,
// retrying while the system does not answer (a crash, a locked database),
// and returns their emails. after, if set, runs once done have been offered.
func (s *system) onboard(t *testing.T, prefix string, n int, after func(done int)) []string {
	t.Helper()
	emails := make([]string, n)
	var next, offered atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				emails[i] = fmt.Sprintf("%s.%d.%d@example.com", prefix, i, time.Now().UnixNano()%1e6)
				body := fmt.Sprintf(`{"name":"Cliente %d","email":%q,"phone":"+34600111222"}`, i, emails[i])
				s.post(t, "/customers/onboard", body)
				if done := int(offered.Add(1)); after != nil {
					after(done)
				}
			}
		})
	}
	wg.Wait()
	return emails
}

// post sends an onboarding until it is taken: 201, or 409 for a retry of
// one taken before its answer was lost.
func (s *system) post(t *testing.T, path, body string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := client.Post(s.customers+path, "application/json", strings.NewReader(body))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusConflict {
				return
			}
			if resp.StatusCode < 500 {
				t.Errorf("onboarding refused: %d", resp.StatusCode)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("onboarding never taken: %v", err)
			return
		}
		time.Sleep(100 * time.Millisecond) // a client's retry interval, not synchronisation
	}
}

// welcomes waits until every email has its welcome in the development
// provider's mailbox, and returns how many have exactly one and how many
// got more than one (a duplicate send: another idempotency key).
func (s *system) welcomes(t *testing.T, emails []string) (once, dupes int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	pending := append([]string(nil), emails...)
	for len(pending) > 0 {
		var still []string
		for _, e := range pending {
			n, err := s.welcomesOf(e)
			switch {
			case err != nil || n == 0:
				still = append(still, e)
			case n == 1:
				once++
			default:
				dupes++
			}
		}
		pending = still
		if len(pending) > 0 {
			if time.Now().After(deadline) {
				t.Errorf("%d of %d customers never got their welcome, e.g. %s", len(pending), len(emails), pending[0])
				return once, dupes
			}
			time.Sleep(250 * time.Millisecond) // polling interval
		}
	}
	return once, dupes
}

func (s *system) welcomesOf(email string) (int, error) {
	resp, err := client.Get(s.notifications + "/notifications/mailbox?to=" + email)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var box struct {
		Mailbox []struct {
			Subject string `json:"subject"`
		} `json:"mailbox"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&box); err != nil {
		return 0, err
	}
	n := 0
	for _, m := range box.Mailbox {
		if strings.Contains(m.Subject, "Bienvenid") {
			n++
		}
	}
	return n, nil
}

// deadLetters counts the records in every dead-letter topic.
func (s *system) deadLetters(t *testing.T) int {
	t.Helper()
	letters, _ := s.letters(t)
	return len(letters)
}

// letters returns the records in every dead-letter topic, and a client to
// redrive them.
func (s *system) letters(t *testing.T) ([]kafka.DeadLetter, *kafka.DeadLetters) {
	t.Helper()
	cfg, err := config.LoadKafka(config.MapEnv(map[string]string{"KAFKA_BROKERS": strings.Join(s.brokers, ","),
		"KAFKA_TOPIC_PREFIX": s.topicPrefix}), "faults")
	if err != nil {
		t.Fatal(err)
	}
	dead := kafka.NewDeadLetters(cfg, logging.New(io.Discard, logging.Options{}))
	var all []kafka.DeadLetter
	for _, topic := range event.Topics() {
		letters, err := kafkatest.DeadLetters(context.Background(), cfg, topic)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, letters...)
	}
	return all, dead
}

// circuit returns what the notifications service's /readyz says of a
// provider's circuit, and its provider_circuit_open gauge.
func (s *system) circuit(t *testing.T, provider string) (ready string, gauge float64) {
	t.Helper()
	resp, err := client.Get(s.notifications + "/readyz")
	if err != nil {
		t.Error(err)
		return "", -1
	}
	var body struct{ Checks map[string]string }
	check := provider + " provider"
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil {
		t.Error(err)
		return "", -1
	}
	resp, err = client.Get(s.notifications + "/metrics")
	if err != nil {
		t.Error(err)
		return "", -1
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	series := `provider_circuit_open{provider="` + provider + `"} `
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series); ok {
			gauge, _ = strconv.ParseFloat(v, 64)
			return body.Checks[check], gauge
		}
	}
	t.Errorf("/metrics has no %s series", series)
	return body.Checks[check], -1
}

// scenario runs load with a fault and reports it.
func (s *system) scenario(t *testing.T, name string, n int, fault func(done int)) {
	t.Helper()
	before := s.deadLetters(t)
	emails := s.onboard(t, slug(name), n, fault)
	once, dupes := s.welcomes(t, emails)
	r := result{name: name, offered: len(emails), welcomed: once, deadLettered: s.deadLetters(t) - before, dupes: dupes}
	report(r)
	if r.welcomed != r.offered || r.dupes != 0 {
		t.Errorf("%s: %+v", name, r)
	}
}

// slug turns a scenario's name into an email's local part.
func slug(name string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, name), "-")
}

// inProcess starts the whole system in this process.
func inProcess(t *testing.T) (*system, *stack.Stack) {
	t.Helper()
	dir := t.TempDir()
	env, prefix := stacktest.Env("faults", dir)
	env["DELIVERY_OUTAGE_FILE"] = filepath.Join(dir, "provider-down")
	env["DELIVERY_BUG_FILE"] = filepath.Join(dir, "provider-bug")
	st := stacktest.Start(t, env)
	return &system{customers: st.Services[config.Customer].URL(), notifications: st.Services[config.Notifications].URL(),
		brokers: strings.Split(st.Brokers(), ","), topicPrefix: prefix, dataDir: dir}, st
}

// once runs f the first time done reaches at.
func once(at int, f func()) func(done int) {
	var o sync.Once
	return func(done int) {
		if done >= at {
			o.Do(f)
		}
	}
}

// during returns a fault that begins once done reaches at, and ends, with
// what begin returned, length later; over waits for the end.
func during(at int, length time.Duration, begin func() (end func())) (fault func(done int), over func()) {
	var ended sync.WaitGroup
	ended.Add(1)
	return once(at, func() {
		end := begin()
		go func() {
			defer ended.Done()
			time.Sleep(length) // the fault's length
			end()
		}()
	}), ended.Wait
}

func TestFaultsInOneProcess(t *testing.T) {
	sys, st := inProcess(t)
	log := logging.New(io.Discard, logging.Options{Format: logging.JSON})

	t.Run("the provider down for 10 s", func(t *testing.T) {
		outage := filepath.Join(sys.dataDir, "provider-down")
		fault, over := during(50, 10*time.Second, func() func() {
			if err := os.WriteFile(outage, nil, 0o600); err != nil {
				t.Error(err)
			}
			return func() { _ = os.Remove(outage) }
		})
		// Every waiting welcome fails at once: the email provider's
		// circuit opens, and the service says so while the outage lasts.
		// A message sent on request meanwhile is refused at once, saying
		// when to try again.
		var sawOpen atomic.Bool
		var refusal string
		watching, stopWatching := context.WithCancel(context.Background())
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			for watching.Err() == nil && !sawOpen.Load() {
				if ready, gauge := sys.circuit(t, "email"); strings.Contains(ready, "circuit open") && gauge == 1 {
					resp, err := client.Post(sys.notifications+"/notifications/email", "application/json",
						strings.NewReader(`{"to":"ana@example.com","subject":"Hola","body":"Hola"}`))
					if err == nil {
						raw, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						refusal = fmt.Sprintf("%d %s %s", resp.StatusCode, resp.Header.Get("Retry-After"), raw)
					}
					sawOpen.Store(true)
				}
				backoff.Sleep(watching, 100*time.Millisecond) // polling interval
			}
		}()
		sys.scenario(t, "(a) the email provider down for 10 s", 200, fault)
		over()
		stopWatching()
		<-watched
		if !sawOpen.Load() {
			t.Error("during the outage, /readyz and /metrics never said the email provider's circuit was open")
		} else if status, after, _ := strings.Cut(refusal, " "); status != "503" || !strings.Contains(after, "provider.circuit_open") ||
			!slices.Contains([]string{"1", "2", "3", "4", "5"}, strings.Fields(after)[0]) {
			t.Errorf("a send on request while the circuit was open = %q, want 503 provider.circuit_open with a Retry-After of 1 to 5 s", refusal)
		}
		if ready, gauge := sys.circuit(t, "email"); ready != "ok" || gauge != 0 {
			t.Errorf("every welcome went out, but the email provider's check says %q and its gauge %v", ready, gauge)
		}
	})

	t.Run("a database locked for 15 s", func(t *testing.T) {
		fault, over := during(50, 15*time.Second, func() func() {
			db, err := sql.Open("sqlite3", "file:"+filepath.Join(sys.dataDir, "notifications.db")+"?_busy_timeout=10000")
			if err != nil {
				t.Error(err)
				return func() {}
			}
			conn, err := db.Conn(context.Background())
			if err == nil {
				_, err = conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE")
			}
			if err != nil {
				t.Error(err)
			}
			return func() {
				if conn != nil {
					_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
					_ = conn.Close()
				}
				_ = db.Close()
			}
		})
		sys.scenario(t, "(b) the notifications database locked for 15 s", 200, fault)
		over()
	})

	t.Run("the broker stopped for 10 s", func(t *testing.T) {
		if os.Getenv("KAFKA_BROKERS") != "" {
			t.Skip("stops the embedded broker; an external cluster is not ours to stop")
		}
		fault, over := during(50, 10*time.Second, func() func() {
			stacktest.StopBroker(st)
			return func() {
				if err := stacktest.StartBroker(st, log); err != nil {
					t.Error(err)
				}
			}
		})
		sys.scenario(t, "(d) the broker stopped for 10 s", 200, fault)
		over()
	})

	t.Run("poison on every consumed topic", func(t *testing.T) {
		before := sys.deadLetters(t)
		want := 0
		var records []kafkago.Message
		for topic, consumers := range map[string]int{
			event.TopicNotificationSent: 1, event.TopicProfiled: 1, event.TopicOnboarded: 2, event.TopicActivated: 2,
			event.TopicDeactivated: 2, event.TopicFirstPayment: 1, event.TopicPromoted: 2, event.TopicPromotionActivated: 1,
		} {
			for i, value := range []string{`{not json`, `{"customerId":"x"}`, `[]`} {
				records = append(records, kafkago.Message{Topic: sys.topicPrefix + topic, Key: []byte(fmt.Sprint("poison-", i)),
					Value: []byte(value)})
				want += consumers
			}
		}
		kafkatest.WriteRecords(t, sys.brokers, records...)
		sys.scenario(t, "(g) poison on every consumed topic", 20, nil)
		deadline := time.Now().Add(time.Minute)
		for sys.deadLetters(t)-before < want && time.Now().Before(deadline) {
			time.Sleep(250 * time.Millisecond) // polling interval
		}
		if got := sys.deadLetters(t) - before; got != want {
			t.Errorf("dead letters %d, want %d (one per record and consuming group)", got, want)
		}
		resultsMu.Lock()
		results[len(results)-1].deadLettered = sys.deadLetters(t) - before
		resultsMu.Unlock()
	})

	// Before (e): its held record would hold one of these partitions too.
	t.Run("dead letters redriven after the fix", func(t *testing.T) {
		bug := filepath.Join(sys.dataDir, "provider-bug")
		if err := os.WriteFile(bug, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		since := time.Now().Add(-time.Second) // the dead-letter topic's clock is the broker's
		const n = 10
		emails := sys.onboard(t, "redriven", n, nil)
		var panicked []kafka.DeadLetter
		deadline := time.Now().Add(2 * time.Minute)
		for welcomes := 0; welcomes < n; {
			letters, _ := sys.letters(t)
			panicked, welcomes = panicked[:0], 0
			for _, l := range letters {
				if l.Kind == "panic" && !l.FailedAt.Before(since) {
					panicked = append(panicked, l)
					if l.Topic == event.TopicOnboarded {
						welcomes++
					}
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d welcomes dead-lettered while the bug lasted", welcomes, n)
			}
			time.Sleep(250 * time.Millisecond) // polling interval
		}
		for _, e := range emails {
			if got, err := sys.welcomesOf(e); err != nil || got != 0 {
				t.Fatalf("%s got %d welcomes while every send panicked (%v)", e, got, err)
			}
		}
		if err := os.Remove(bug); err != nil { // the fix
			t.Fatal(err)
		}
		_, dead := sys.letters(t)
		if _, err := dead.Replay(context.Background(), panicked); err != nil {
			t.Fatal(err)
		}
		once, dupes := sys.welcomes(t, emails)
		report(result{name: "(h) a bug, then its dead letters redriven", offered: n, welcomed: once,
			deadLettered: len(panicked), dupes: dupes})
		if once != n || dupes != 0 {
			t.Errorf("after the redrive: %d welcomed once, %d twice or more, of %d", once, dupes, n)
		}
	})

	t.Run("a record of a newer schema", func(t *testing.T) {
		before := sys.deadLetters(t)
		key := "newer-schema"
		kafkatest.WriteRecords(t, sys.brokers, kafkago.Message{Topic: sys.topicPrefix + event.TopicOnboarded, Key: []byte(key),
			Value: []byte(`{"customerId":"newer-schema"}`), Headers: []kafkago.Header{
				{Key: "ce_specversion", Value: []byte("1.0")}, {Key: "ce_id", Value: []byte("evt-newer")},
				{Key: "ce_type", Value: []byte(event.TopicOnboarded)}, {Key: "ce_source", Value: []byte("service-customer")},
				{Key: "ce_time", Value: []byte(time.Now().UTC().Format(time.RFC3339Nano))},
				{Key: "ce_schemaversion", Value: []byte("99")}, {Key: "content-type", Value: []byte("application/json")}}})
		deadline := time.Now().Add(time.Minute)
		for {
			resp, err := client.Get(sys.notifications + "/readyz")
			var ready struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			if err == nil {
				_ = json.NewDecoder(resp.Body).Decode(&ready)
				resp.Body.Close()
			}
			if ready.Status == "degraded" && strings.Contains(ready.Checks["consumer"], "newer") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("readiness never said the partition waits: %+v", ready)
			}
			time.Sleep(250 * time.Millisecond) // polling interval
		}
		report(result{name: "(e) a record of a newer schema: held, not lost", deadLettered: sys.deadLetters(t) - before})
		if n := sys.deadLetters(t) - before; n != 0 {
			t.Errorf("a newer schema was dead-lettered %d times", n)
		}
	})
}

// child runs the stack binary as a process of its own, so that it can be
// killed.
type child struct {
	bin, dir string
	env      []string
	mu       sync.Mutex
	cmd      *exec.Cmd
	log      lockedBuffer
	exited   chan error
}

// lockedBuffer collects the output of the child's successive processes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs a new process and returns a channel closed when it exits.
func (c *child) start(t *testing.T, extra ...string) <-chan error {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd := exec.Command(c.bin)
	cmd.Env = append(append(os.Environ(), c.env...), extra...)
	cmd.Stdout, cmd.Stderr = &c.log, &c.log
	if err := cmd.Start(); err != nil {
		t.Error(err)
		return nil
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	c.cmd, c.exited = cmd, exited
	return exited
}

// kill sends SIGKILL to the running process (no shutdown, no flush) and
// waits for it to die.
func (c *child) kill(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	cmd, exited := c.cmd, c.exited
	c.mu.Unlock()
	_ = cmd.Process.Kill()
	<-exited
}

func TestCrashes(t *testing.T) {
	if os.Getenv("KAFKA_BROKERS") != "" {
		t.Skip("the child process runs its own embedded broker")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "stack")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/customers-stack")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the stack: %v\n%s", err, out)
	}
	ports := map[string]int{"CUSTOMER": stacktest.FreePort(t), "PROFILING": stacktest.FreePort(t), "NOTIFICATIONS": stacktest.FreePort(t)}
	env := []string{"DATA_DIR=" + filepath.Join(dir, "data"), "EMBEDDED_KAFKA_PORT=" + strconv.Itoa(stacktest.FreePort(t)),
		"LOG_FORMAT=json", "KAFKA_SESSION_TIMEOUT=6s", "KAFKA_HEARTBEAT_INTERVAL=500ms", "KAFKA_REBALANCE_TIMEOUT=5s", "CONSOLE_ADDR=off"}
	for k, p := range ports {
		env = append(env, fmt.Sprintf("%s_HTTP_ADDR=127.0.0.1:%d", k, p))
	}
	c := &child{bin: bin, dir: dir, env: env}
	t.Cleanup(func() {
		c.kill(t)
		if t.Failed() {
			lines := strings.Split(c.log.String(), "\n")
			fmt.Fprintln(os.Stderr, strings.Join(lines[max(0, len(lines)-50):], "\n"))
		}
	})
	sys := &system{customers: fmt.Sprintf("http://127.0.0.1:%d", ports["CUSTOMER"]),
		notifications: fmt.Sprintf("http://127.0.0.1:%d", ports["NOTIFICATIONS"])}

	t.Run("a crash between a send and its record", func(t *testing.T) {
		// The provider stops the process right after it took the 30th
		// message; a supervisor restarts it.
		crashed := c.start(t, "DELIVERY_CRASH_AFTER=30")
		go func() {
			<-crashed
			c.start(t)
		}()
		emails := sys.onboard(t, "crash-after-send", 100, nil)
		once, dupes := sys.welcomes(t, emails)
		report(result{name: "(f) a crash between a send and its record", offered: len(emails), welcomed: once, dupes: dupes})
		if once != len(emails) || dupes != 0 {
			t.Errorf("welcomed once %d, duplicates %d, of %d", once, dupes, len(emails))
		}
		// The crash happened where it should, and after the restart the
		// pending delivery went to the provider again under its key, which
		// kept one message.
		logs := c.log.String()
		if !strings.Contains(logs, "crashing on purpose after a send") || !strings.Contains(logs, "duplicate suppressed by idempotency key") {
			t.Errorf("the crash or the keyed resend did not happen")
		}
	})

	t.Run("kill -9 mid-load, then a restart", func(t *testing.T) {
		var restarted sync.WaitGroup
		restarted.Add(1)
		emails := sys.onboard(t, "kill-9", 200, once(60, func() {
			c.kill(t)
			c.start(t)
			restarted.Done()
		}))
		restarted.Wait()
		once, dupes := sys.welcomes(t, emails)
		report(result{name: "(c) kill -9 mid-load, then a restart", offered: len(emails), welcomed: once, dupes: dupes})
		if once != len(emails) || dupes != 0 {
			t.Errorf("welcomed once %d, duplicates %d, of %d", once, dupes, len(emails))
		}
	})
}
