package sqlite

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/sqlstore"
)

// open opens an empty database at path for the tests of checkpoints.
func open(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	engine, err := New(path, Full)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(context.Background(), engine, sqlstore.Schema{Name: "test", Migrations: fstest.MapFS{
		"migrations/sqlite/00100_none.sql": {Data: []byte("-- +goose Up\nSELECT 1;\n")}}}, clock.UTC{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestTheLogIsCheckpointedInTheBackgroundBeforeItIsFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	db := open(t, path)
	var auto int
	if err := db.SQL().QueryRow("PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != logPages {
		t.Fatalf("a connection checkpoints on commit when the log holds %d pages (%v), want %d", auto, err, logPages)
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
		if err := db.Transact(context.Background(), func(ctx context.Context) error {
			return db.Inbox().Claim(ctx, fmt.Sprintf("%04d-%s", i, strings.Repeat("x", 1000)))
		}); err != nil {
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

func TestTheLogStaysBoundedUnderWritesThatNeverPause(t *testing.T) {
	tests := []struct {
		name    string
		callers int
	}{
		{"one caller, a commit each", 1},
		{"64 callers, commits shared", 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "w.db")
			db := open(t, path)
			const rows = 6000 // about 6 MB of log, six times the bound
			var wg sync.WaitGroup
			errs := make(chan error, tt.callers)
			for c := range tt.callers {
				wg.Go(func() {
					for i := c; i < rows; i += tt.callers {
						if err := db.Transact(context.Background(), func(ctx context.Context) error {
							return db.Inbox().Claim(ctx, fmt.Sprintf("%05d-%s", i, strings.Repeat("x", 1000)))
						}); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			info, err := os.Stat(path + "-wal")
			if err != nil {
				t.Fatal(err)
			}
			if limit := int64(2 * logPages * (4096 + 24)); info.Size() > limit {
				t.Errorf("after %d rows the log holds %d bytes, more than %d pages (%d)", rows, info.Size(), 2*logPages, limit)
			}
		})
	}
}
