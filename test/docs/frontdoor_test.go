package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestTheREADMEIsAFrontDoorToEveryPage: at most 250 lines, and a link to
// every page of docs/.
func TestTheREADMEIsAFrontDoorToEveryPage(t *testing.T) {
	readme := page(t, "README.md")
	if n := strings.Count(readme, "\n"); n > 250 {
		t.Errorf("the README has %d lines, more than 250: move the detail into docs/", n)
	}
	pages, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(pages) < 10 {
		t.Fatalf("docs pages: %v, %v", pages, err)
	}
	for _, p := range pages {
		if link := "(docs/" + filepath.Base(p); !strings.Contains(readme, link) {
			t.Errorf("the README does not link to docs/%s", filepath.Base(p))
		}
	}
}

var linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestEveryLinkOfTheDocsLeadsSomewhere: each relative link of the README
// and the docs pages names a file of the tree and, for a page, one of its
// headings.
func TestEveryLinkOfTheDocsLeadsSomewhere(t *testing.T) {
	pages, _ := filepath.Glob("../../docs/*.md")
	pages = append(pages, "../../README.md")
	for _, from := range pages {
		text, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range linkRE.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := from
			if file != "" {
				path = filepath.Join(filepath.Dir(from), file)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which is not there", filepath.Base(from), target)
				continue
			}
			if anchor != "" && !slices.Contains(anchors(t, path), anchor) {
				t.Errorf("%s links to %s, which has no heading #%s", filepath.Base(from), filepath.Base(path), anchor)
			}
		}
	}
}

var headingRE = regexp.MustCompile(`(?m)^#+ (.+)$`)

// anchors are the ids GitHub gives the headings of a Markdown file.
func anchors(t *testing.T, path string) []string {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	inFence := false
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if m := headingRE.FindStringSubmatch(line); m != nil && !inFence {
			id := strings.Map(func(r rune) rune {
				switch {
				case r == ' ':
					return '-'
				case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
					return r
				}
				return -1
			}, strings.ToLower(m[1]))
			out = append(out, id)
		}
	}
	return out
}
