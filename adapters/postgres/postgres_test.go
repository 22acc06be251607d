package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver for database/sql

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/postgres"
	"github.com/fintechlabs/customers/adapters/postgres/pgtest"
	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/adapters/sqlstore"
	"github.com/fintechlabs/customers/adapters/sqlstore/customersql"
	"github.com/fintechlabs/customers/adapters/sqlstore/deliverysql"
	"github.com/fintechlabs/customers/adapters/sqlstore/profilesql"
	"github.com/fintechlabs/customers/adapters/sqlstore/sqlstoretest"
	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/fault"
)

var quiet = sqlstoretest.Quiet

// mustOpen opens a store with open in a new schema, closed when the test
// ends.
func mustOpen[S interface{ Close() error }](tb testing.TB, open sqlstoretest.Opener[S], service string) S {
	tb.Helper()
	return sqlstoretest.Open(tb, engine(tb, service, postgres.Options{URL: pgtest.URL(tb)}), open)
}

func engine(tb testing.TB, service string, opts postgres.Options) sqlstore.Engine {
	tb.Helper()
	e, err := postgres.New(context.Background(), service, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// openCustomers opens the customer service's store on the database opts
// names.
func openCustomers(opts postgres.Options) (*customersql.Store, error) {
	e, err := postgres.New(context.Background(), customersql.Schema.Name, opts)
	if err != nil {
		return nil, err
	}
	return customersql.Open(context.Background(), e, clock.UTC{}, nil, quiet)
}

func TestContracts(t *testing.T) {
	sqlstoretest.Contracts(t, func(t testing.TB, service string) sqlstore.Engine {
		return engine(t, service, postgres.Options{URL: pgtest.URL(t)})
	})
}

func TestReplicasStartingTogetherMigrateOnce(t *testing.T) {
	url := pgtest.URL(t)
	const replicas = 4
	errs := make(chan error, replicas)
	for range replicas {
		go func() {
			db, err := openCustomers(postgres.Options{URL: url})
			if err == nil {
				t.Cleanup(func() { _ = db.Close() })
			}
			errs <- err
		}()
	}
	for range replicas {
		if err := <-errs; err != nil {
			t.Fatalf("a replica starting beside others: %v", err)
		}
	}
	var applied int
	conn := sqlOpen(t, url)
	if err := conn.QueryRow("SELECT count(*) FROM goose_db_version WHERE version_id = 1").Scan(&applied); err != nil || applied != 1 {
		t.Fatalf("the shared tables' migration recorded %d times (%v), want once", applied, err)
	}
}

func TestOneReplicaRelaysAtATimeAndAnotherTakesOverWhenItGoes(t *testing.T) {
	url := pgtest.URL(t)
	open := func() *customersql.Store {
		db, err := openCustomers(postgres.Options{URL: url, LockEvery: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	first, second := open(), open()
	defer second.Close()
	create(t, first, "c1")
	if n := len(sqlstoretest.PendingIDs(t, first.Outbox())); n != 2 {
		t.Fatalf("the first replica, which relays, sees %d pending events, want 2", n)
	}
	if n := len(sqlstoretest.PendingIDs(t, second.Outbox())); n != 0 {
		t.Fatalf("the second replica sees %d pending events while the first relays, want none", n)
	}
	// A commit on the second wakes the relay of the first (LISTEN/NOTIFY).
	drain(first.Outbox().Committed())
	create(t, second, "c2")
	waitFor(t, "the first replica's relay is woken by the second's commit", func() bool {
		select {
		case <-first.Outbox().Committed():
			return true
		default:
			return false
		}
	})

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second replica takes over the relay", func() bool { return len(sqlstoretest.PendingIDs(t, second.Outbox())) == 4 })
	ids := sqlstoretest.PendingIDs(t, second.Outbox())
	if ids[0] != "c1-registered" || ids[3] != "c2-onboarded" {
		t.Fatalf("after the takeover, pending = %v: want commit order from c1's first event", ids)
	}
}

func TestAStatementThatOutlivesItsTimeoutIsUnavailableNotBroken(t *testing.T) {
	url := pgtest.URL(t)
	db, err := openCustomers(postgres.Options{URL: url, StatementTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Another session holds the customer row lock the update waits for.
	c := sqlOpen(t, url)
	create(t, db, "c1")
	tx, err := c.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("SELECT * FROM customers WHERE id = 'c1' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	_, err = db.Update(context.Background(), "c1", func(c *customer.Customer) ([]event.Event, error) {
		_, err := c.Activate(time.Now(), "test")
		return nil, err
	})
	if fault.KindOf(err) != fault.Unavailable {
		t.Fatalf("an update stuck behind a lock past the statement timeout: %v (%v), want unavailable", err, fault.KindOf(err))
	}
}

func TestABadURLOrAnUnreachableServerIsRefusedClearly(t *testing.T) {
	for _, tc := range []struct{ name, url, want string }{
		{"not a URL", "postgres://%zz", "DATABASE_URL"},
		{"nobody listening", "postgres://u@127.0.0.1:1/db?connect_timeout=2", "connect to the PostgreSQL database db at 127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := openCustomers(postgres.Options{URL: tc.url})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func sqlOpen(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func create(t *testing.T, db *customersql.Store, id string) {
	t.Helper()
	if err := createIn(context.Background(), db, id); err != nil {
		t.Fatal(err)
	}
}

// createIn creates customer id and its events id-registered and
// id-onboarded with ctx, in its unit of work if it has one.
func createIn(ctx context.Context, db *customersql.Store, id string) error {
	now := time.Now()
	c, _, err := customer.New(id, customer.Registration{Name: "Ana", Email: id + "@example.es", Phone: "+34600111222"}, now)
	if err != nil {
		return err
	}
	n := 0
	ids := []string{id + "-registered", id + "-onboarded"}
	f := event.Factory{Source: "test", NewID: func() string { n++; return ids[n-1] }}
	env := event.Envelope{CustomerID: id, Customer: event.Customer{ID: id, Version: 1}, Timestamp: now}
	return db.Create(ctx, c, f.New(ctx, now, event.Registered{Envelope: env}, event.Onboarded{Envelope: env}))
}

// holdOpen creates customer id in a unit of work that stays open, its
// events added, until free is called (as often as wanted), and returns how
// the unit ended.
func holdOpen(t *testing.T, db *customersql.Store, id string) (free func(), ended <-chan error) {
	t.Helper()
	added, release, result := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		result <- db.Transact(context.Background(), func(ctx context.Context) error {
			if err := createIn(ctx, db, id); err != nil {
				return err
			}
			close(added)
			<-release
			return nil
		})
	}()
	select {
	case <-added:
	case err := <-result:
		t.Fatalf("the unit of work creating %s ended before it was freed: %v", id, err)
	}
	var once sync.Once
	return func() { once.Do(func() { close(release) }) }, result
}

func TestWritersOfEventsDoNotWaitForEachOtherAndTheRelayReadsNonePastOneInFlight(t *testing.T) {
	// The name marks this test's connections in pg_stat_activity.
	app := fmt.Sprintf("horizon-%d", time.Now().UnixNano())
	db, err := openCustomers(postgres.Options{URL: pgtest.URL(t) + "&application_name=" + app})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	free, first := holdOpen(t, db, "c1") // c1's events hold the lower sequence numbers, uncommitted
	defer free()                         // before the store closes, whatever fails
	second := make(chan error, 1)
	go func() { second <- createIn(ctx, db, "c2") }()
	select {
	case err := <-second:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a transaction that adds events waited for another one in flight")
	}
	type read struct {
		ids []string
		err error
	}
	pending := make(chan read, 1)
	go func() {
		p, err := db.Outbox().Pending(ctx, 10)
		r := read{err: err}
		for _, m := range p {
			r.ids = append(r.ids, m.Message.ID)
		}
		pending <- r
	}()
	watch, err := sql.Open("pgx", pgtest.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	waitFor(t, "the relay's read waits for the transaction in flight", func() bool {
		var waiting int
		err := watch.QueryRow("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", app).Scan(&waiting)
		return err == nil && waiting == 1
	})
	free()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	r := <-pending
	if want := []string{"c1-registered", "c1-onboarded", "c2-registered", "c2-onboarded"}; r.err != nil || !slices.Equal(r.ids, want) {
		t.Fatalf("the relay read %v (%v), want %v: each event in sequence order, none skipped", r.ids, r.err, want)
	}
}

func drain(c <-chan struct{}) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
}

func TestATransactionLeftIdleEndsWithItsLocksAndCommitsNothing(t *testing.T) {
	// A replica stopped in the middle of a transaction (a frozen VM): here,
	// a unit of work that stands still after adding its events.
	db, err := openCustomers(postgres.Options{URL: pgtest.URL(t), LockEvery: 50 * time.Millisecond, LockSilence: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	free, stopped := holdOpen(t, db, "c1")
	defer free()
	// The relay's read waits for the stopped transaction's lock until the
	// server ends it, well before the statement times out (5 s).
	p, err := db.Outbox().Pending(ctx, 10)
	if err != nil || len(p) != 0 {
		t.Fatalf("the relay read %d events (%v), want none and no error: the stopped transaction commits nothing", len(p), err)
	}
	create(t, db, "c2")
	if ids := sqlstoretest.PendingIDs(t, db.Outbox()); !slices.Equal(ids, []string{"c2-registered", "c2-onboarded"}) {
		t.Fatalf("pending = %v, want c2's events only", ids)
	}
	free()
	if err := <-stopped; err == nil {
		t.Fatal("the stopped transaction committed after the server ended it")
	}
}

func TestMoreConcurrentWritersThanConnectionsAllGetThrough(t *testing.T) {
	// A transaction that needed a second connection (to prepare a
	// statement, say) would wait forever for a pool its peers hold.
	db, err := openCustomers(postgres.Options{URL: pgtest.URL(t), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const writers = 16
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := db.Update(ctx, "nobody", func(*customer.Customer) ([]event.Event, error) { return nil, nil })
			if errors.Is(err, customer.ErrNotFound) {
				err = nil
			}
			if err == nil {
				err = db.Inbox().Claim(ctx, fmt.Sprint("e-", i))
			}
			errs <- err
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatalf("a writer among %d on 2 connections: %v", writers, err)
		}
	}
}

func TestTextTheDatabaseCannotHoldIsInvalidInputNotAFailure(t *testing.T) {
	// PostgreSQL's text holds no NUL character and only valid UTF-8;
	// SQLite stores either as given. Such a value is the caller's fault:
	// a 422, or a dead letter, not a failure retried for ever.
	db := mustOpen(t, customersql.Open, customersql.Schema.Name)
	ctx := context.Background()
	for _, id := range []string{"a\x00b", "bad\xff"} {
		_, err := db.Get(ctx, id)
		if fault.KindOf(err) != fault.Invalid {
			t.Errorf("Get(%q): %v (%v), want invalid", id, err, fault.KindOf(err))
		}
		err = db.Transact(ctx, func(ctx context.Context) error { return db.Inbox().Claim(ctx, id) })
		if fault.KindOf(err) != fault.Invalid {
			t.Errorf("Claim(%q): %v (%v), want invalid", id, err, fault.KindOf(err))
		}
	}
}

// freezer forwards connections to a server and can stop forwarding
// without closing them: to the server, the client behind it has frozen, as
// a process stopped with kill -STOP or a frozen VM would.
type freezer struct {
	ln     net.Listener
	to     string
	frozen atomic.Bool
}

func freeze(t *testing.T, to string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, to: to}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", to)
			if err != nil {
				_ = client.Close()
				continue
			}
			go f.pipe(client, server)
			go f.pipe(server, client)
		}
	}()
	return f
}

// pipe copies from src to dst, holding each chunk while frozen.
func (f *freezer) pipe(src, dst net.Conn) {
	defer func() { _ = dst.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for f.frozen.Load() {
			time.Sleep(10 * time.Millisecond) // frozen: nothing moves
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func TestARelayHolderThatHangsLosesTheRelayToAnotherReplica(t *testing.T) {
	direct := pgtest.URL(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	f := freeze(t, u.Host)
	proxied := *u
	proxied.Host = f.ln.Addr().String()
	open := func(at string) *customersql.Store {
		db, err := openCustomers(postgres.Options{URL: at, LockEvery: 100 * time.Millisecond,
			LockSilence: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	hung := open(proxied.String()) // first: it relays
	defer hung.Close()
	other := open(direct)
	defer other.Close()
	create(t, other, "c1")
	if n := len(sqlstoretest.PendingIDs(t, other.Outbox())); n != 0 {
		t.Fatalf("the second replica relays beside the first: %d pending", n)
	}
	// Busy notifications do not make a healthy holder look silent.
	for i := range 30 {
		create(t, other, fmt.Sprintf("busy-%d", i))
		time.Sleep(100 * time.Millisecond) // 3 s of commits, past the silence the server allows
	}
	if n := len(sqlstoretest.PendingIDs(t, other.Outbox())); n != 0 {
		t.Fatalf("a busy holder lost the relay: the second sees %d pending", n)
	}
	f.frozen.Store(true)
	froze := time.Now()
	waitFor(t, "the other replica to take over the relay", func() bool { return len(sqlstoretest.PendingIDs(t, other.Outbox())) > 0 })
	if took := time.Since(froze); took > 10*time.Second {
		t.Fatalf("the takeover took %s for a holder silent for 2s", took)
	}
	f.frozen.Store(false)
	waitFor(t, "the resumed holder to see it no longer relays", func() bool { return len(sqlstoretest.PendingIDs(t, hung.Outbox())) == 0 })
}

// TestTheTablesAreTheSameOnSQLiteAndPostgreSQL compares, for each service,
// the columns its migrations make on either database: the migrations are
// written out per dialect, and a column added to one only would break the
// other's statements.
func TestTheTablesAreTheSameOnSQLiteAndPostgreSQL(t *testing.T) {
	for _, schema := range []sqlstore.Schema{customersql.Schema, profilesql.Schema, deliverysql.Schema} {
		t.Run(schema.Name, func(t *testing.T) {
			pg := engine(t, schema.Name, postgres.Options{URL: pgtest.URL(t)})
			lite, err := sqlite.New(filepath.Join(t.TempDir(), schema.Name+".db"), sqlite.Full)
			if err != nil {
				t.Fatal(err)
			}
			var columns [2][]string
			for i, e := range []sqlstore.Engine{pg, lite} {
				db, err := sqlstore.Open(context.Background(), e, schema, clock.UTC{}, nil, quiet)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = db.Close() })
				query := `SELECT table_name || '.' || column_name FROM information_schema.columns
					WHERE table_schema = current_schema() AND table_name <> 'goose_db_version' ORDER BY 1`
				if e.System == "sqlite" {
					query = `SELECT m.name || '.' || c.name FROM sqlite_master m, pragma_table_info(m.name) c
						WHERE m.type = 'table' AND m.name NOT IN ('goose_db_version', 'sqlite_sequence') ORDER BY 1`
				}
				rows, err := db.SQL().Query(query)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var c string
					if err := rows.Scan(&c); err != nil {
						t.Fatal(err)
					}
					columns[i] = append(columns[i], c)
				}
				if err := rows.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if len(columns[0]) == 0 || !slices.Equal(columns[0], columns[1]) {
				t.Fatalf("the columns differ:\nPostgreSQL %v\nSQLite     %v", columns[0], columns[1])
			}
		})
	}
}
