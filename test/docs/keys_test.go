package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/adapters/rest"
)

// keyExampleRE finds the API keys the docs and deployment files show: a
// value of API_KEYS or of the api-keys secret, or a line written into a
// keys file.
var keyExampleRE = regexp.MustCompile(`(?:API_KEYS=|api-keys=)['"]?([^'"\s]+)|echo "([^"]+)" >> \S*api-keys`)

// placeholders stand for what a reader fills in; each becomes something
// of its kind.
var placeholders = strings.NewReplacer("<secret>", "s3cret", "9f86d0…", strings.Repeat("ab", 32))

var commandRE = regexp.MustCompile(`\$\([^)]*\)`)

func TestEveryKeyExampleParses(t *testing.T) {
	files := []string{"../../README.md", "../../docker-compose.yml", "../../docker-compose.kafka.yml", "../../Dockerfile"}
	for _, pattern := range []string{"../../docs/*.md", "../../deploy/*/*", "../../deploy/*/*/*"} {
		more, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, more...)
	}
	seen := 0
	for _, f := range files {
		if info, err := os.Stat(f); err != nil || info.IsDir() {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyExampleRE.FindAllStringSubmatch(string(raw), -1) {
			value := m[1] + m[2]
			if value == "..." || strings.HasPrefix(value, "${") {
				continue // no example: a value left to the reader
			}
			value = commandRE.ReplaceAllString(placeholders.Replace(value), strings.Repeat("cd", 32))
			for _, spec := range strings.Split(value, ",") {
				seen++
				if _, err := rest.ParseKey(spec); err != nil {
					t.Errorf("%s: the key example %q does not parse: %v", f, spec, err)
				}
			}
		}
	}
	if seen < 4 {
		t.Fatalf("found %d key examples; the pattern no longer finds them", seen)
	}
}
