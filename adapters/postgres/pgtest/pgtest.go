// Package pgtest gives tests a PostgreSQL schema of their own on the server
// named by POSTGRES_TEST_URL, which `make test-postgres` starts
// (test/postgres/server.sh). Without it, tests that need PostgreSQL skip.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BaseURL is the test server's database, "" when there is none.
func BaseURL() string { return os.Getenv("POSTGRES_TEST_URL") }

// URL returns the URL of a new, empty schema on the test server, dropped
// when the test ends; it skips the test when there is no server.
func URL(tb testing.TB) string {
	tb.Helper()
	base := BaseURL()
	if base == "" {
		tb.Skip("no PostgreSQL: set POSTGRES_TEST_URL, or run make test-postgres")
	}
	u, name, err := NewSchema(context.Background(), base, "t")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, base, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			tb.Logf("drop schema %s: %v", name, err)
		}
	})
	return u
}

// NewSchema creates a schema named after prefix on the server at base and
// returns a URL whose search_path is that schema, and its name.
func NewSchema(ctx context.Context, base, prefix string) (schemaURL, name string, err error) {
	random := make([]byte, 6)
	_, _ = rand.Read(random)
	name = prefix + "_" + hex.EncodeToString(random)
	if err := exec(ctx, base, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", "", fmt.Errorf("create schema %s: %w", name, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", "", err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), name, nil
}

func exec(ctx context.Context, base, statement string) error {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	_, err = conn.Exec(ctx, statement)
	return err
}
