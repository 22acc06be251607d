// Package golden pins what crosses a boundary (an HTTP answer, an event
// payload, a stored row) to a file under the test's testdata/golden, so
// that an accidental change fails loudly, in one place. Run the tests with
// -update to rewrite the files after a deliberate change, and review the
// diff.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// JSON compares v, as indented JSON, to testdata/golden/<name>.json. v may
// be a value or JSON bytes (json.RawMessage).
func JSON(t *testing.T, name string, v any) {
	t.Helper()
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	var got bytes.Buffer
	if err := json.Indent(&got, raw, "", "  "); err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", name, err, raw)
	}
	got.WriteByte('\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s changed; if that is deliberate, run the test with -update and review the diff\n--- want %s\n%s\n--- got\n%s",
			name, path, want, got.Bytes())
	}
}
