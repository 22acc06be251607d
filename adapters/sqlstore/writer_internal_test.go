package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mattn/go-sqlite3"
	gormsqlite "gorm.io/driver/sqlite"

	"github.com/fintechlabs/customers/adapters/clock"
)

func openForTest(t *testing.T) *DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "w.db"))
}

func openAt(t *testing.T, path string) *DB {
	t.Helper()
	// A SQLite engine as adapters/sqlite makes it, less what these tests
	// do not need (that package imports this one).
	conn := sql.OpenDB(dsnConnector("file:" + path + "?_journal_mode=WAL&_txlock=immediate"))
	engine := Engine{
		Name: "test", System: "sqlite", SQL: conn,
		Dialector:   gormsqlite.New(gormsqlite.Config{Conn: conn}),
		Unavailable: func(error) bool { return false },
		GroupCommit: true,
	}
	schema := Schema{Name: "test", Migrations: fstest.MapFS{"migrations/sqlite/00100_none.sql": {Data: []byte("-- +goose Up\nSELECT 1;\n")}}}
	db, err := Open(context.Background(), engine, schema, clock.UTC{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

type dsnConnector string

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) {
	return c.Driver().Open(string(c))
}
func (c dsnConnector) Driver() driver.Driver { return &sqlite3.SQLiteDriver{} }

// hold occupies the writer until the returned function is called.
func hold(t *testing.T, db *DB) (release func()) {
	t.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Transact(context.Background(), func(context.Context) error {
			close(entered)
			<-gate
			return nil
		})
	}()
	<-entered
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// waitQueued polls until n units wait for the writer.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(db.units) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d units queued, want %d", len(db.units), n)
		}
		time.Sleep(time.Millisecond) // polling interval
	}
}

func claim(db *DB, id string, fail bool) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := db.Inbox().Claim(ctx, id); err != nil {
			return err
		}
		if fail {
			return errors.New("refused " + id)
		}
		return nil
	}
}

func TestUnitsWaitingTogetherShareOneCommitAndFailAlone(t *testing.T) {
	db := openForTest(t)
	release := hold(t, db)
	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = db.Transact(context.Background(), claim(db, fmt.Sprint("e-", i), i%3 == 0)) })
	}
	waitQueued(t, db, n)
	before := db.Commits()
	release()
	wg.Wait()
	// One commit for the held unit, one for all those that waited.
	if got := db.Commits() - before; got != 2 {
		t.Fatalf("the held unit and the %d waiting took %d commits, want 2", n, got)
	}
	for i := range n {
		handled, err := db.Inbox().Handled(context.Background(), fmt.Sprint("e-", i))
		if err != nil {
			t.Fatal(err)
		}
		if failed := i%3 == 0; handled == failed || (errs[i] != nil) != failed {
			t.Errorf("unit %d: error %v, its write kept %v", i, errs[i], handled)
		}
	}
}

func TestAPanickingUnitPanicsInItsCallerAndSparesTheOthers(t *testing.T) {
	db := openForTest(t)
	release := hold(t, db)
	var wg sync.WaitGroup
	var recovered any
	var otherErr error
	wg.Go(func() {
		defer func() { recovered = recover() }()
		_ = db.Transact(context.Background(), func(ctx context.Context) error {
			_ = claim(db, "doomed", false)(ctx)
			panic("a bug")
		})
	})
	wg.Go(func() { otherErr = db.Transact(context.Background(), claim(db, "fine", false)) })
	waitQueued(t, db, 2)
	release()
	wg.Wait()
	if recovered != "a bug" {
		t.Fatalf("the caller recovered %v, want the unit's panic", recovered)
	}
	doomed, _ := db.Inbox().Handled(context.Background(), "doomed")
	fine, _ := db.Inbox().Handled(context.Background(), "fine")
	if otherErr != nil || !fine || doomed {
		t.Fatalf("the other unit: %v, kept %v; the panicking unit's write kept %v", otherErr, fine, doomed)
	}
}

func TestACallerThatGivesUpWhileQueuedChangesNothing(t *testing.T) {
	db := openForTest(t)
	release := hold(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- db.Transact(ctx, claim(db, "abandoned", false)) }()
	waitQueued(t, db, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a caller that gave up got %v", err)
	}
	release()
	// The writer must still work, and must not have run the abandoned unit.
	if err := db.Transact(context.Background(), claim(db, "after", false)); err != nil {
		t.Fatal(err)
	}
	if kept, _ := db.Inbox().Handled(context.Background(), "abandoned"); kept {
		t.Fatal("the abandoned unit was written")
	}
}

func TestWritesAfterCloseAreRefused(t *testing.T) {
	db := openForTest(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Transact(context.Background(), claim(db, "late", false)); !errors.Is(err, errClosed) {
		t.Fatalf("a write after Close: %v", err)
	}
}

func TestTheWriterLingersOnlyWhileUnitsArriveFasterThanCommitsAndTheLinger(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	const commit = 600 * time.Microsecond // each group's, as SQLite takes on a quiet disk
	tests := []struct {
		name string
		gaps []time.Duration // between the units queued, in order
		busy bool
	}{
		{"a first unit on a quiet database commits at once", nil, false},
		{"units a few milliseconds apart commit at once", []time.Duration{5 * time.Millisecond, 3 * time.Millisecond, 4 * time.Millisecond, 6 * time.Millisecond}, false},
		{"a caller writing alone, each unit after the last commit, commits at once", repeat(40, commit+100*time.Microsecond), false},
		{"a burst lingers within ten units", repeat(10, 0), true},
		{"units 200 µs apart linger", repeat(20, 200*time.Microsecond), true},
		{"a long pause weighs no more than twice the linger", append(repeat(20, 0), time.Minute, 0, 0, 0, 0, 0, 0), true},
		{"after a burst ends, slow units stop the lingering", append(repeat(20, 0), repeat(20, 3*time.Millisecond)...), false},
		{"a unit queued before the one taken last counts as no gap", repeat(10, -time.Millisecond), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pace{gap: 2 * linger}
			at := start
			p.queued(at)
			for _, g := range tt.gaps {
				p.committed(commit)
				at = at.Add(g)
				p.queued(at)
			}
			if got := p.busy(); got != tt.busy {
				t.Errorf("busy after gaps %v: %v (mean gap %v, commit %v), want %v", tt.gaps, got, p.gap, p.commit, tt.busy)
			}
		})
	}
}

func repeat(n int, gap time.Duration) []time.Duration {
	gaps := make([]time.Duration, n)
	for i := range gaps {
		gaps[i] = gap
	}
	return gaps
}
