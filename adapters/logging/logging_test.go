package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/fintechlabs/customers/adapters/logging"
	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/pii"
)

func TestJSONLinesCarryTheTraceAndNeverAFullAddress(t *testing.T) {
	var buf bytes.Buffer
	log := logging.New(&buf, logging.Options{Format: logging.JSON, Level: slog.LevelInfo}).With("service", "service-customer", "to", "ana@example.es")
	ctx, span := tracing.Local("service-customer").Start(context.Background(), "request", oteltrace.SpanKindServer)
	defer span.End(nil)
	traceID, _ := tracing.IDs(ctx)
	log.InfoContext(ctx, "event published",
		"email", "juan.perez@example.com", "phone", "+34600111222", "documentNumber", "12345678Z",
		"typed", pii.Email("maria@example.com"), "took", time.Millisecond)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %s", buf.String())
	}
	out := buf.String()
	for _, secret := range []string{"juan.perez@", "600111222", "12345678Z", "maria@", "ana@"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log line leaks %q: %s", secret, out)
		}
	}
	if traceID == "" || line["traceId"] != traceID || line["service"] != "service-customer" || line["email"] != "j***@example.com" {
		t.Fatalf("line = %v", line)
	}
	// JSON messages stay plain text, so they can be queried: the emoji
	// markers are the pretty format's.
	if line["msg"] != "event published" {
		t.Fatalf("msg = %q", line["msg"])
	}
}

func TestPrettyLinesAreReadable(t *testing.T) {
	var buf bytes.Buffer
	log := logging.New(&buf, logging.Options{Format: logging.Pretty, Level: slog.LevelDebug, NoColor: true}).With("service", "service-profiling")
	log.WithGroup("kafka").Warn("retrying", "error", "broker down", "attempt", 2)
	log.Debug("detail", slog.Group("req", "method", "GET"))
	log.Error("failed")
	log.Info("service started")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("lines = %q", lines)
	}
	if !strings.Contains(lines[0], "WARN  [service-profiling] ⚠️ retrying kafka.error=\"broker down\" kafka.attempt=2") {
		t.Fatalf("line 0 = %q", lines[0])
	}
	if !strings.Contains(lines[1], "DEBUG [service-profiling] detail req.method=GET") {
		t.Fatalf("line 1 = %q", lines[1])
	}
	if !strings.Contains(lines[2], "ERROR [service-profiling] ❌ failed") {
		t.Fatalf("line 2 = %q", lines[2])
	}
	if !strings.Contains(lines[3], "INFO  [service-profiling] 🚀 service started") {
		t.Fatalf("line 3 = %q", lines[3])
	}
}

func TestPrettyLinesAreColouredUnlessNoColor(t *testing.T) {
	var buf bytes.Buffer
	logging.New(&buf, logging.Options{Format: logging.Pretty, Level: slog.LevelInfo}).Info("hello", "error", "x")
	if !strings.Contains(buf.String(), "\x1b[") {
		t.Fatalf("no colour: %q", buf.String())
	}
}

func TestLevelsBelowTheThresholdAreDropped(t *testing.T) {
	var buf bytes.Buffer
	log := logging.New(&buf, logging.Options{Format: logging.Auto, Level: slog.LevelWarn}) // a buffer is not a terminal: JSON
	log.Info("quiet")
	log.Warn("loud")
	if strings.Contains(buf.String(), "quiet") || !strings.Contains(buf.String(), `"msg":"loud"`) {
		t.Fatalf("output = %s", buf.String())
	}
}

func TestFormatsAndLevelsParse(t *testing.T) {
	for in, want := range map[string]logging.Format{"": logging.Auto, "JSON": logging.JSON, "pretty": logging.Pretty} {
		if got, err := logging.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := logging.ParseFormat("xml"); err == nil {
		t.Error("xml accepted")
	}
	if l, err := logging.ParseLevel("debug"); err != nil || l != slog.LevelDebug {
		t.Errorf("ParseLevel(debug) = %v, %v", l, err)
	}
	if l, err := logging.ParseLevel(""); err != nil || l != slog.LevelInfo {
		t.Errorf("ParseLevel() = %v, %v", l, err)
	}
	if _, err := logging.ParseLevel("loud"); err == nil {
		t.Error("loud accepted")
	}
}

// TestNoLogMessageCarriesAnEmoji reads every log call in the source tree:
// a marker in a message would reach the JSON logs.
func TestNoLogMessageCarriesAnEmoji(t *testing.T) {
	call := regexp.MustCompile(`\.(Info|Warn|Error|Debug|Log)(Context)?\([^"\n]*"([^"]*)"`)
	n := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			n++
			for _, r := range m[3] {
				if r > unicode.MaxLatin1 {
					t.Errorf("%s: the message %q carries a marker: put it in markers.go", path, m[3])
					break
				}
			}
		}
		return nil
	})
	if err != nil || n < 30 {
		t.Fatalf("read %d log calls: %v", n, err)
	}
}
