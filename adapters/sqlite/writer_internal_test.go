package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/clock"
)

func openForTest(t *testing.T) *DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "w.db"))
}

func openAt(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, CustomerSchema,
		Options{Clock: clock.UTC{}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

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
	before := db.groups.Load()
	release()
	wg.Wait()
	if got := db.groups.Load() - before; got != 1 {
		t.Fatalf("the %d waiting units took %d commits, want 1", n, got)
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

func TestTheLogIsCheckpointedInTheBackgroundNotOnCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	db := openAt(t, path)
	var auto int
	if err := db.sql.QueryRow("PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("a connection checkpoints every %d pages on commit (%v), want never", auto, err)
	}
	size := func() int64 {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return info.Size()
	}
	before := size()
	for i := range 300 {
		if err := db.Transact(context.Background(), claim(db, fmt.Sprintf("%04d-%s", i, strings.Repeat("x", 1000)), false)); err != nil {
			t.Fatal(err)
		}
	}
	// The rows are in the log; only a checkpoint copies them into the file.
	deadline := time.Now().Add(10 * time.Second)
	for size() < before+300*1000 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file stayed at %d bytes (from %d): nothing checkpointed the log", size(), before)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}
