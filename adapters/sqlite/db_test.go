package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/adapters/sqlstore/customersql"
	"github.com/fintechlabs/customers/adapters/sqlstore/deliverysql"
	"github.com/fintechlabs/customers/adapters/sqlstore/profilesql"
	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/profiling"
)

var now = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func newCustomer(t testing.TB, id string) (*customer.Customer, []event.Event) {
	t.Helper()
	c, _, err := customer.New(id, customer.Registration{Name: "Ana", Email: id + "@example.es", Phone: "+34600111222"}, now)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	f := event.Factory{Source: "test", NewID: func() string { n++; return id + "-evt-" + string(rune('a'+n)) }}
	env := event.Envelope{CustomerID: id, Customer: event.Customer{ID: id, Version: 1}, Timestamp: now}
	return c, f.New(context.Background(), now, event.Registered{Envelope: env}, event.Onboarded{Envelope: env})
}

func TestReopeningKeepsDataAndPendingEventsAndMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "customer.db")
	ctx := context.Background()
	db, err := openAt(path, sqlite.Full, customersql.Open)
	if err != nil {
		t.Fatal(err)
	}
	c, events := newCustomer(t, "c1")
	if err := db.Create(ctx, c, events); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	again, err := openAt(path, sqlite.Full, customersql.Open)
	if err != nil {
		t.Fatalf("reopening an up-to-date database: %v", err)
	}
	defer again.Close()
	if _, err := again.Get(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	pending, err := again.Outbox().Pending(ctx, 10)
	if err != nil || len(pending) != 2 {
		t.Fatalf("events committed before a restart must still be pending: %d, %v", len(pending), err)
	}
	if n, err := again.Outbox().PendingCount(ctx); err != nil || n != 2 {
		t.Fatalf("PendingCount = %d, %v", n, err)
	}
	var applied int
	if err := again.SQL().QueryRow("SELECT count(*) FROM goose_db_version").Scan(&applied); err != nil || applied != 6 {
		t.Fatalf("goose_db_version holds %d rows (%v), want 6: its own, the shared tables' two, the customers' three", applied, err)
	}
	if err := again.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAWriterWaitingForTheLockGivesUpWhenItsContextEnds(t *testing.T) {
	db := mustOpen(t, customersql.Open)
	ctx := context.Background()
	c, events := newCustomer(t, "c1")
	if err := db.Create(ctx, c, events); err != nil {
		t.Fatal(err)
	}
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := db.Update(ctx, "c1", func(*customer.Customer) ([]event.Event, error) {
			close(holding)
			<-release
			return nil, nil
		})
		done <- err
	}()
	<-holding
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := db.Inbox().Claim(short, "evt-1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a queued write = %v, want the context's deadline", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := db.Inbox().Claim(ctx, "evt-1"); err != nil {
		t.Fatalf("the given-up write must have left no trace: %v", err)
	}
}

func TestOpeningFailsClearly(t *testing.T) {
	engine, err := sqlite.New(filepath.Join(t.TempDir(), "x.db"), sqlite.Full)
	if err != nil {
		t.Fatal(err)
	}
	billing := sqlstore.Schema{Name: "billing", Migrations: fstest.MapFS{"migrations/postgresql/00100_billing.sql": {Data: []byte("-- +goose Up\n")}}}
	if _, err := sqlstore.Open(context.Background(), engine, billing, clock.UTC{}, nil, quiet); err == nil {
		t.Fatal("a schema without SQLite migrations opened")
	}
	if _, err := sqlite.New("/proc/nope/x.db", sqlite.Full); err == nil {
		t.Fatal("an impossible path opened")
	}
}

func TestPruningKeepsUnpublishedEventsAndRecentHistory(t *testing.T) {
	db := mustOpen(t, customersql.Open)
	ctx := context.Background()
	c, events := newCustomer(t, "c1")
	if err := db.Create(ctx, c, events); err != nil {
		t.Fatal(err)
	}
	pending, _ := db.Outbox().Pending(ctx, 10)
	if err := db.Outbox().Published(ctx, pending[0].Seq); err != nil {
		t.Fatal(err)
	}
	if err := db.Inbox().Claim(ctx, "evt-old"); err != nil {
		t.Fatal(err)
	}
	// The events happened at now, the inbox entry was handled just now:
	// a cutoff before both prunes nothing.
	if n, err := db.Prune(ctx, now.Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("nothing is older than the cutoff: pruned %d, %v", n, err)
	}
	n, err := db.Prune(ctx, time.Now().Add(time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("pruned %d rows, %v; want the published event and the inbox entry", n, err)
	}
	left, _ := db.Outbox().Pending(ctx, 10)
	if len(left) != 1 || left[0].Seq != pending[1].Seq {
		t.Fatalf("an unpublished event was pruned: %+v", left)
	}
	if err := db.Inbox().Claim(ctx, "evt-old"); err != nil {
		t.Fatalf("the pruned inbox entry should be gone: %v", err)
	}
}

func TestEvaluationsStoredBeforeTheirDocumentTypesStillRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "profiling.db")
	ctx := context.Background()
	store := mustOpenAt(t, profilesql.Open, path)
	_, err := store.Save(ctx, "c1", func(p *profiling.Profile) ([]event.Event, error) {
		p.Touch(now)
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// The shape earlier versions wrote: the domain types' Go field names.
	old := `{"eligible":true,"score":55,"recommendations":[{"Code":"upgrade-tier","Message":"Upgrade"}],` +
		`"reasons":[{"Rule":"age","Points":15,"Detail":"age 35"}]}`
	if _, err := raw.Exec("UPDATE profiles SET evaluation = ? WHERE customer_id = 'c1'", old); err != nil {
		t.Fatal(err)
	}
	p, err := store.Get(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	ev := p.Evaluation
	if len(ev.Recommendations) != 1 || ev.Recommendations[0].Code != "upgrade-tier" || len(ev.Reasons) != 1 || ev.Reasons[0].Points != 15 {
		t.Fatalf("evaluation = %+v", ev)
	}
}

func TestPruningDeletesInBatchesThroughIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "customer.db")
	ctx := context.Background()
	db := mustOpenAt(t, customersql.Open, path)
	const n = 2500 // more than two batches
	c, _ := newCustomer(t, "c1")
	f := event.Factory{Source: "test", NewID: func() string { return fmt.Sprint("evt-", time.Now().UnixNano()) }}
	env := event.Envelope{CustomerID: "c1", Customer: event.Customer{ID: "c1", Version: 1}, Timestamp: now}
	var events []event.Event
	for i := range n {
		e := f.New(ctx, now, event.Onboarded{Envelope: env})[0]
		e.ID = fmt.Sprint("evt-", i)
		events = append(events, e)
	}
	if err := db.Create(ctx, c, events); err != nil {
		t.Fatal(err)
	}
	err := db.Transact(ctx, func(ctx context.Context) error {
		for i := range n {
			if err := db.Inbox().Claim(ctx, fmt.Sprint("in-", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := db.Outbox().Pending(ctx, n)
	if err != nil || len(pending) != n {
		t.Fatalf("pending %d, %v", len(pending), err)
	}
	seqs := make([]int64, n)
	for i, p := range pending {
		seqs[i] = p.Seq
	}
	if err := db.Outbox().Published(ctx, seqs[n-1]); err != nil {
		t.Fatal(err)
	}
	gone, err := db.Prune(ctx, time.Now().Add(time.Hour))
	if err != nil || gone != 2*n {
		t.Fatalf("Prune = %d, %v; want %d", gone, err, 2*n)
	}
	raw, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for query, index := range map[string]string{
		"SELECT event_id FROM inbox WHERE handled_at < 1 LIMIT 1": "inbox_handled",
	} {
		var plan strings.Builder
		rows, err := raw.Query("EXPLAIN QUERY PLAN " + query)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(detail)
		}
		rows.Close()
		if !strings.Contains(plan.String(), index) {
			t.Errorf("%s does not use %s: %s", query, index, plan.String())
		}
	}
}

func TestASecondOpenerOfTheSameFileIsRefusedAndSaysWhy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "customer.db")
	first, err := openAt(path, sqlite.Full, customersql.Open)
	if err != nil {
		t.Fatal(err)
	}
	_, err = openAt(path, sqlite.Full, customersql.Open)
	if err == nil || !strings.Contains(err.Error(), "in use by another process") || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("a second opener: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := openAt(path, sqlite.Normal, customersql.Open)
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	_ = again.Close()
}

func TestDurabilityIsFullUnlessSaidOtherwise(t *testing.T) {
	for in, want := range map[string]sqlite.Durability{"": sqlite.Full, "FULL": sqlite.Full, " normal ": sqlite.Normal} {
		if got, err := sqlite.ParseDurability(in); err != nil || got != want {
			t.Errorf("ParseDurability(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := sqlite.ParseDurability("off"); err == nil {
		t.Error("synchronous=off accepted")
	}
	if _, err := openAt(filepath.Join(t.TempDir(), "x.db"), "off", customersql.Open); err == nil {
		t.Error("a database opened with synchronous=off")
	}
}

func TestALockedDatabaseIsUnavailableNotBroken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "customer.db")
	ctx := context.Background()
	db := mustOpenAt(t, customersql.Open, path)
	// Another connection (a backup, a curious operator) holds the write
	// lock longer than the busy timeout.
	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK") //nolint:errcheck // the test ends
	err = db.Inbox().Claim(ctx, "evt-1")
	if fault.KindOf(err) != fault.Unavailable {
		t.Fatalf("a locked database: %v (kind %v), want unavailable", err, fault.KindOf(err))
	}
}

// TestADatabaseOfTheReleaseBeforeGooseIsTakenOverAsItIs opens the database
// files the last release before goose wrote (testdata/before-goose, each
// with one handled event): their tables are there already, so the first
// migrations record them as applied without changing them.
func TestADatabaseOfTheReleaseBeforeGooseIsTakenOverAsItIs(t *testing.T) {
	type store interface {
		Close() error
		Inbox() *sqlstore.Inbox
		SQL() *sql.DB
	}
	cases := []struct {
		service string
		open    func(t *testing.T, path string) store
	}{
		{"customer", func(t *testing.T, path string) store { return mustOpenAt(t, customersql.Open, path) }},
		{"profiling", func(t *testing.T, path string) store { return mustOpenAt(t, profilesql.Open, path) }},
		{"notifications", func(t *testing.T, path string) store { return mustOpenAt(t, deliverysql.Open, path) }},
	}
	for _, c := range cases {
		t.Run(c.service, func(t *testing.T) {
			old, err := os.ReadFile(filepath.Join("testdata", "before-goose", c.service+".db"))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), c.service+".db")
			if err := os.WriteFile(path, old, 0o600); err != nil {
				t.Fatal(err)
			}
			db := c.open(t, path)
			if handled, err := db.Inbox().Handled(context.Background(), "evt-before-goose"); err != nil || !handled {
				t.Fatalf("the event handled before the upgrade: handled %v, %v", handled, err)
			}
			var legacy, versions int
			if err := db.SQL().QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'").Scan(&legacy); err != nil || legacy != 0 {
				t.Fatalf("the old migrations table is still there (%d, %v)", legacy, err)
			}
			if err := db.SQL().QueryRow("SELECT count(*) FROM goose_db_version WHERE version_id >= 100").Scan(&versions); err != nil || versions == 0 {
				t.Fatalf("the service's migrations are not recorded (%d, %v)", versions, err)
			}
		})
	}
}

// TestEventsCarryTheTraceContextOfTheWorkThatMadeThem: the outbox stamps
// each event with the span of the unit's context, so the consumers' spans
// join the trace of the request; an event that came with a trace context
// keeps it.
func TestEventsCarryTheTraceContextOfTheWorkThatMadeThem(t *testing.T) {
	db := mustOpen(t, customersql.Open)
	ctx, span := tracing.Local("service-test").Start(context.Background(), "POST /customers/onboard", oteltrace.SpanKindServer)
	defer span.End(nil)
	c, events := newCustomer(t, "c-traced")
	const kept = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	events[1].TraceParent = kept
	if err := db.Create(ctx, c, events); err != nil {
		t.Fatal(err)
	}
	pending, err := db.Outbox().Pending(context.Background(), 10)
	if err != nil || len(pending) != 2 {
		t.Fatalf("pending: %d, %v", len(pending), err)
	}
	if want := tracing.Inject(ctx).Parent; want == "" || pending[0].Message.TraceParent != want {
		t.Fatalf("the first event's traceparent is %q, want the span's %q", pending[0].Message.TraceParent, want)
	}
	if got := pending[1].Message.TraceParent; got != kept {
		t.Fatalf("the second event's traceparent is %q, want the one it came with", got)
	}
}

// TestTheDatabaseCountsItsWork: a unit that inserts a customer, its
// history entry and two events is one unit, one commit, four rows, and
// more b-tree entries than rows (the tables' indexes).
func TestTheDatabaseCountsItsWork(t *testing.T) {
	db := mustOpen(t, customersql.Open)
	before := db.Work()
	c, events := newCustomer(t, "c-work")
	if err := db.Create(context.Background(), c, events); err != nil {
		t.Fatal(err)
	}
	w := db.Work()
	if got := w.Units - before.Units; got != 1 {
		t.Errorf("%d units, want 1", got)
	}
	if got := w.Commits - before.Commits; got != 1 {
		t.Errorf("%d commits, want 1", got)
	}
	if got := w.Inserted - before.Inserted; got != 4 {
		t.Errorf("%d rows inserted, want 4: the customer, its history entry, two events", got)
	}
	if got := w.Entries - before.Entries; got <= 4 {
		t.Errorf("%d b-tree entries for 4 rows with indexes", got)
	}
}

// TestEveryConnectionKeepsItsTemporaryDataInMemory: a group's savepoints
// journal the pages each unit changes; written to temporary files, they
// cost system calls and left copies of customers' rows on disk.
func TestEveryConnectionKeepsItsTemporaryDataInMemory(t *testing.T) {
	for _, open := range []struct {
		name string
		new  func(string, sqlite.Durability) (sqlstore.Engine, error)
	}{{"a service's database", sqlite.New}, {"a shared database", sqlite.Shared}} {
		t.Run(open.name, func(t *testing.T) {
			engine, err := open.new(filepath.Join(t.TempDir(), "x.db"), sqlite.Full)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = engine.SQL.Close()
				if engine.Release != nil {
					_ = engine.Release()
				}
			}()
			ctx := context.Background()
			var conns []*sql.Conn
			for range 3 { // several connections, held at once
				c, err := engine.SQL.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
			}
			for i, c := range conns {
				var store int
				if err := c.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&store); err != nil || store != 2 {
					t.Errorf("connection %d: temp_store = %d, %v; want 2 (memory)", i, store, err)
				}
				_ = c.Close()
			}
		})
	}
}
