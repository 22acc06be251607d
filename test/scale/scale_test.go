// Package scale runs each service as separate processes, as replicas would
// run in production, against a real Apache Kafka and one PostgreSQL (make
// test-scale starts both): first one replica of each, then two, with one
// replica of each killed (kill -9) in the middle of the load, then two
// again, with the replica of each that relays the outbox stopped (kill
// -STOP) for a minute and then resumed. Every onboarding must reach its
// welcome email exactly once, each customer's profiling events must stay
// in commit order (the first copy of each: a resumed relay may publish
// again what it had read), and the survivors must take over the
// partitions and the relay (within 15 s of the stop). It prints the
// throughput of each run, the longest any customer waited for their
// welcome (with a fault: the time the survivors took to take over) and how
// long the relay's takeover took.
package scale

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // to read the development provider's mailbox
	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/adapters/postgres/pgtest"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/test/stacktest"
)

// What a run does to one replica of each service halfway through.
const (
	noFault = ""
	killed  = "kill -9"
	stopped = "kill -STOP 60s" // the relay's holder, then resumed
)

// relayTakeoverBound is how soon a survivor must relay after the holder
// of the relay lock stopped: the server ends a silent holder's session
// after 10 s (postgres.Options.LockSilence).
const relayTakeoverBound = 15 * time.Second

// outcome is one run's line in the report.
type outcome struct {
	replicas, offered, welcomedOnce, duplicates, outOfOrder int
	copies                                                  int // evaluations published again, dropped by id
	fault                                                   string
	rate                                                    float64       // onboardings completed per second
	longestWait                                             time.Duration // from an onboarding's answer to its welcome
	relayTakeover                                           time.Duration // from the kill to a survivor relaying, 0 if none had to
}

func TestReplicasShareTheWorkAndSurviveTheLossOfOne(t *testing.T) {
	brokers := os.Getenv("KAFKA_BROKERS")
	if brokers == "" || pgtest.BaseURL() == "" {
		t.Skip("needs a Kafka cluster (KAFKA_BROKERS) and a PostgreSQL server (POSTGRES_TEST_URL): make test-scale starts both")
	}
	bin := build(t)
	outcomes := []outcome{run(t, bin, brokers, 1, 2000, noFault), run(t, bin, brokers, 2, 2000, killed),
		run(t, bin, brokers, 2, 2000, stopped)}
	fmt.Printf("\nreplicas per service  one of each       onboardings  welcomed once  duplicates  out of order  copies  completed/s  longest wait  relay takeover\n")
	for _, o := range outcomes {
		takeover := "-"
		if o.relayTakeover > 0 {
			takeover = o.relayTakeover.Round(10 * time.Millisecond).String()
		}
		fault := o.fault
		if fault == noFault {
			fault = "-"
		}
		fmt.Printf("%20d  %-16s  %11d  %13d  %10d  %12d  %6d  %11.0f  %12s  %14s\n", o.replicas, fault, o.offered, o.welcomedOnce,
			o.duplicates, o.outOfOrder, o.copies, o.rate, o.longestWait.Round(10*time.Millisecond), takeover)
	}
}

// build compiles the three services.
func build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range config.Kinds {
		name := "customers-" + string(k)
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "../../cmd/"+name)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", name, err, out)
		}
	}
	return dir
}

// run starts replicas of each service, onboards n customers spread over the
// customer replicas and activates each, doing fault to one replica of each
// service halfway, and checks the outcome.
func run(t *testing.T, bin, brokers string, replicas, n int, fault string) outcome {
	t.Helper()
	name := fmt.Sprintf("scale%d_%d", replicas, time.Now().UnixNano())
	dataDir := t.TempDir()
	base := map[string]string{
		"KAFKA_BROKERS": brokers, "KAFKA_TOPIC_PREFIX": name + ".", "LOG_FORMAT": "json", "LOG_LEVEL": "info",
		"KAFKA_SESSION_TIMEOUT": "6s", "KAFKA_HEARTBEAT_INTERVAL": "500ms", "KAFKA_REBALANCE_TIMEOUT": "5s",
		"KAFKA_PARTITIONS": "6", "PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"),
	}
	var procs []*proc
	byKind := map[config.Kind][]*proc{}
	for _, k := range config.Kinds {
		url, _, err := pgtest.NewSchema(context.Background(), pgtest.BaseURL(), name+"_"+string(k))
		if err != nil {
			t.Fatal(err)
		}
		for r := range replicas {
			env := map[string]string{"DATABASE_URL": url, "KAFKA_GROUP_ID": name + "-" + string(k),
				"KAFKA_CLIENT_ID": fmt.Sprintf("%s-%d", k, r), "HTTP_ADDR": "127.0.0.1:" + strconv.Itoa(stacktest.FreePort(t)),
				// The replicas of notifications share the development
				// provider's mailbox, as they would share a real provider.
				"DATA_DIR": filepath.Join(dataDir, string(k))}
			for k, v := range base {
				env[k] = v
			}
			p := start(t, filepath.Join(bin, "customers-"+string(k)), fmt.Sprintf("%s-%d", k, r), env)
			procs = append(procs, p)
			byKind[k] = append(byKind[k], p)
		}
	}
	t.Cleanup(func() {
		for _, p := range procs {
			p.stop(t)
		}
	})
	for _, p := range procs {
		p.awaitReady(t)
	}
	readers := readProfiled(t, strings.Split(brokers, ","), name+"."+event.TopicProfiled)

	var customers []string
	for _, p := range byKind[config.Customer] {
		customers = append(customers, p.url)
	}
	var faultAt time.Time
	survivors := map[config.Kind]*proc{}
	var resumed sync.WaitGroup
	began := time.Now()
	emails, answered, activated := onboard(t, customers, name, n, func(done int) {
		if fault == noFault || done != n/2 {
			return
		}
		faultAt = time.Now()
		for _, k := range config.Kinds {
			victim, survivor := byKind[k][0], byKind[k][1]
			if fault == stopped && !victim.relays(t) {
				victim, survivor = survivor, victim
			}
			survivors[k] = survivor
			if fault == killed {
				victim.kill(t)
				continue
			}
			victim.signal(t, syscall.SIGSTOP)
			resumed.Go(func() {
				time.Sleep(time.Minute) // how long the holder stays stopped: the scenario, not synchronisation
				victim.signal(t, syscall.SIGCONT)
			})
		}
	})
	defer resumed.Wait()
	mailbox := filepath.Join(dataDir, string(config.Notifications), "mailbox.db")
	o := outcome{replicas: replicas, offered: len(emails), fault: fault}
	var welcomed map[string]time.Time
	o.welcomedOnce, o.duplicates, welcomed = welcomes(t, mailbox, emails)
	var last time.Time
	for i, e := range emails {
		if at := welcomed[e]; !at.IsZero() {
			last = maxTime(last, at)
			o.longestWait = max(o.longestWait, at.Sub(answered[i]))
		}
	}
	o.rate = float64(len(emails)) / last.Sub(began).Seconds()
	for _, survivor := range survivors {
		o.relayTakeover = max(o.relayTakeover, survivor.relaying(t, faultAt))
	}
	if fault == stopped && (o.relayTakeover == 0 || o.relayTakeover > relayTakeoverBound) {
		t.Errorf("with the relay's holders stopped, a survivor relayed after %s, want within %s", o.relayTakeover, relayTakeoverBound)
	}
	if fault == stopped {
		resumed.Wait() // the stopped ones are back, and may publish what they had read
	}
	o.outOfOrder, o.copies = readers.outOfOrder(t, activated)
	if o.welcomedOnce != len(emails) || o.duplicates != 0 || o.outOfOrder != 0 {
		for _, p := range procs {
			p.tail(t)
		}
		t.Errorf("%d replicas: %+v", replicas, o)
	}
	return o
}

// proc is one service process.
type proc struct {
	name, url string
	cmd       *exec.Cmd
	logPath   string
	exited    chan struct{}
	killed    atomic.Bool
}

func start(t *testing.T, bin, name string, env map[string]string) *proc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{name: name, url: "http://" + env["HTTP_ADDR"], logPath: logPath, exited: make(chan struct{})}
	p.cmd = exec.Command(bin)
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		_ = logFile.Close()
		close(p.exited)
	}()
	return p
}

// awaitReady polls the process's readiness probe.
func (p *proc) awaitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(p.url + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.exited:
			p.tail(t)
			t.Fatalf("%s exited before it was ready", p.name)
		default:
		}
		if time.Now().After(deadline) {
			p.tail(t)
			t.Fatalf("%s not ready within 2 minutes", p.name)
		}
		time.Sleep(100 * time.Millisecond) // polling interval
	}
}

// kill stops the process at once, as a crashed node would.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.killed.Store(true)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("kill %s: %v", p.name, err)
	}
	<-p.exited
}

// signal sends the process sig (SIGSTOP, SIGCONT).
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Errorf("%v %s: %v", sig, p.name, err)
	}
}

// relays reports whether the process relays its outbox now: it said it
// took the relay lock, and has not said it lost it since.
func (p *proc) relays(t *testing.T) bool {
	t.Helper()
	raw, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	relays := false
	for _, line := range strings.Split(string(raw), "\n") {
		var entry struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil {
			continue
		}
		switch {
		case strings.HasPrefix(entry.Msg, "this replica relays the outbox"):
			relays = true
		case strings.HasPrefix(entry.Msg, "this replica no longer relays"):
			relays = false
		}
	}
	return relays
}

// stop asks the process to shut down, and kills it if it has not within
// 30 seconds.
func (p *proc) stop(t *testing.T) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("%s did not stop within 30s of SIGTERM", p.name)
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// tail logs the end of the process's log.
func (p *proc) tail(t *testing.T) {
	raw, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	t.Logf("the last lines of %s:\n%s", p.name, strings.Join(lines[max(0, len(lines)-15):], "\n"))
}

var client = &http.Client{Timeout: 10 * time.Second}

// onboard onboards and activates n customers with 16 clients, each request
// to the next customer replica in turn, and to another when one does not
// answer; it returns their emails. after runs once each onboarding is
// taken, with how many are. It returns the emails, when each onboarding
// was answered, and how many customers were activated (not those whose
// onboarding's answer was lost).
func onboard(t *testing.T, replicas []string, run string, n int, after func(done int)) ([]string, []time.Time, int) {
	t.Helper()
	emails, answered := make([]string, n), make([]time.Time, n)
	var next, taken, activated atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				emails[i] = fmt.Sprintf("%s.%d@example.com", run, i)
				body := fmt.Sprintf(`{"name":"Cliente %d","email":%q,"phone":"+34600111222","birthDate":"1990-05-17"}`, i, emails[i])
				id := post(t, replicas, i, "/customers/onboard", body)
				answered[i] = time.Now()
				after(int(taken.Add(1)))
				if id != "" {
					post(t, replicas, i+1, "/customers/activate", fmt.Sprintf(`{"customerId":%q,"activationReason":"kyc"}`, id))
					activated.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return emails, answered, int(activated.Load())
}

// post sends body until a replica takes it, starting with replica i (mod
// their number), and returns the customerId of its answer. A conflict is a
// retry of a request a killed replica took before its answer was lost:
// taken, with no id to go on with.
func post(t *testing.T, replicas []string, i int, path, body string) string {
	deadline := time.Now().Add(2 * time.Minute)
	for try := i; ; try++ {
		resp, err := client.Post(replicas[try%len(replicas)]+path, "application/json", strings.NewReader(body))
		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK:
				var answer struct {
					ID string `json:"customerId"`
				}
				_ = json.Unmarshal(raw, &answer)
				return answer.ID
			case resp.StatusCode == http.StatusConflict:
				return ""
			case resp.StatusCode < 500:
				t.Errorf("%s refused: %d %s", path, resp.StatusCode, raw)
				return ""
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("%s never taken: %v", path, err)
			return ""
		}
		time.Sleep(50 * time.Millisecond) // a client's retry interval, not synchronisation
	}
}

// welcomes polls the shared mailbox until every email has its welcome, and
// returns how many have exactly one, how many more than one (a send under
// another idempotency key), and when each arrived.
func welcomes(t *testing.T, mailbox string, emails []string) (once, dupes int, at map[string]time.Time) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+mailbox+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		counts, at := map[string]int{}, map[string]time.Time{}
		rows, err := db.Query("SELECT recipient, accepted_at FROM mailbox WHERE channel = 'email' AND subject LIKE '%Bienvenid%'")
		if err == nil {
			for rows.Next() {
				var to string
				var nanos int64
				if rows.Scan(&to, &nanos) == nil {
					counts[to]++
					at[to] = time.Unix(0, nanos)
				}
			}
			_ = rows.Close()
		}
		once, dupes = 0, 0
		for _, e := range emails {
			switch c := counts[e]; {
			case c == 1:
				once++
			case c > 1:
				dupes++
			}
		}
		if once+dupes == len(emails) {
			return once, dupes, at
		}
		if time.Now().After(deadline) {
			t.Errorf("after 3 minutes %d of %d customers have their welcome", once+dupes, len(emails))
			return once, dupes, at
		}
		time.Sleep(250 * time.Millisecond) // polling interval
	}
}

// relaying returns how long after since the process logged that it
// relays the outbox, 0 if it did not (it relayed before, or another did).
func (p *proc) relaying(t *testing.T, since time.Time) time.Duration {
	t.Helper()
	raw, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		var entry struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && strings.HasPrefix(entry.Msg, "this replica relays the outbox") && entry.Time.After(since) {
			return entry.Time.Sub(since)
		}
	}
	return 0
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// profiled reads a profiling topic and checks, per customer, that the
// evaluations arrive in the order they were made. A record published
// again (a relay that died between publishing and marking a batch; its
// successor publishes it again) is a copy the consumers' inboxes drop by
// its id: the order that counts is that of each event's first copy.
type profiled struct {
	mu      sync.Mutex
	last    map[string]time.Time // customer -> the newest evaluation's time seen
	seen    map[string]bool      // event ids
	records map[string]int
	wrong   int
	copies  int // records published again
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

func readProfiled(t *testing.T, brokers []string, topic string) *profiled {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &profiled{last: map[string]time.Time{}, seen: map[string]bool{}, records: map[string]int{}, cancel: cancel}
	t.Cleanup(func() {
		cancel()
		p.done.Wait()
	})
	for partition := range 6 {
		r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: brokers, Topic: topic, Partition: partition,
			MaxWait: 50 * time.Millisecond, ReadLagInterval: -1})
		p.done.Go(func() {
			defer r.Close()
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					return
				}
				var e struct {
					Profile struct {
						LastUpdated time.Time `json:"lastUpdated"`
					} `json:"profile"`
				}
				if json.Unmarshal(m.Value, &e) != nil {
					continue
				}
				key, id := string(m.Key), kafkatest.Header(m, "ce_id")
				p.mu.Lock()
				if p.seen[id] {
					p.copies++
					p.mu.Unlock()
					continue
				}
				p.seen[id] = true
				if e.Profile.LastUpdated.Before(p.last[key]) {
					p.wrong++
				}
				p.last[key] = e.Profile.LastUpdated
				p.records[key]++
				p.mu.Unlock()
			}
		})
	}
	return p
}

// outOfOrder waits until the activated customers have both evaluations
// (onboarded, activated) and returns how many arrived after a newer one of
// theirs, and how many copies were dropped.
func (p *profiled) outOfOrder(t *testing.T, customers int) (wrong, copies int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		p.mu.Lock()
		complete := 0
		for _, n := range p.records {
			if n >= 2 {
				complete++
			}
		}
		wrong, copies = p.wrong, p.copies
		p.mu.Unlock()
		if complete >= customers {
			return wrong, copies
		}
		if time.Now().After(deadline) {
			t.Errorf("only %d of %d customers have both evaluations in Kafka", complete, customers)
			return wrong, copies
		}
		time.Sleep(100 * time.Millisecond) // polling interval
	}
}
