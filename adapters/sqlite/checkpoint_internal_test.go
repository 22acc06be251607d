package sqlite

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fintechlabs/customers/adapters/clock"
	"github.com/fintechlabs/customers/adapters/sqlstore"
)

func TestTheLogIsCheckpointedInTheBackgroundNotOnCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	engine, err := New(path, Full)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(context.Background(), engine, sqlstore.Schema{Name: "test", Migrations: fstest.MapFS{
		"migrations/sqlite/00100_none.sql": {Data: []byte("-- +goose Up\nSELECT 1;\n")}}}, clock.UTC{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var auto int
	if err := db.SQL().QueryRow("PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
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
