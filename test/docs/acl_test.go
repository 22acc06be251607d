package docs

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	app "github.com/fintechlabs/customers/apps/config"
	customerapp "github.com/fintechlabs/customers/core/customer/app"
	"github.com/fintechlabs/customers/core/event"
	notificationapp "github.com/fintechlabs/customers/core/notification/app"
	profilingapp "github.com/fintechlabs/customers/core/profiling/app"
)

// TestTheACLTableGrantsWhatEachServiceUses checks the Kafka ACL
// table against the topics each service writes and reads, its consumer
// group, and the owner its consumers expect of each topic.
func TestTheACLTableGrantsWhatEachServiceUses(t *testing.T) {
	text := page(t, "docs/security.md")
	i := strings.Index(text, "<!-- acl-table -->")
	if i < 0 {
		t.Fatal("docs/security.md has no ACL table")
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(text[i:], "\n")[3:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		rows[strings.TrimSpace(cells[0])] = cells[1:]
	}
	ticked := regexp.MustCompile("`([^`]+)`")
	names := func(cell string) []string {
		var out []string
		for _, m := range ticked.FindAllStringSubmatch(cell, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	for _, tt := range []struct {
		service        string
		kind           app.Kind
		source         string
		emits, consume []string
	}{
		{"customer", app.Customer, customerapp.Source, customerapp.Emits, customerapp.Consumes},
		{"profiling", app.Profiling, profilingapp.Source, profilingapp.Emits, profilingapp.Consumes},
		{"notifications", app.Notifications, notificationapp.Source, notificationapp.Emits, notificationapp.Consumes},
	} {
		row, ok := rows[tt.service]
		if !ok || len(row) != 3 {
			t.Errorf("no ACL row for %s", tt.service)
			continue
		}
		if got := names(row[0]); !slices.Equal(got, sorted(tt.emits)) {
			t.Errorf("%s writes %v, the table grants %v", tt.service, tt.emits, got)
		}
		if got := names(row[1]); !slices.Equal(got, sorted(tt.consume)) {
			t.Errorf("%s reads %v, the table grants %v", tt.service, tt.consume, got)
		}
		cfg, err := app.Load(tt.kind, app.MapEnv(nil), false)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(row[2]); len(got) != 1 || got[0] != cfg.Kafka.GroupID {
			t.Errorf("%s consumes as %s, the table says %v", tt.service, cfg.Kafka.GroupID, got)
		}
		for _, topic := range tt.emits {
			if event.Owner(topic) != tt.source {
				t.Errorf("%s writes %s, whose owner is %s", tt.service, topic, event.Owner(topic))
			}
		}
	}
}
