package system_test

import (
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fintechlabs/customers/adapters/system"
)

func TestIDsAreUUIDv7AndSortByCreation(t *testing.T) {
	var ids []string
	for range 1000 {
		ids = append(ids, system.UUIDs{}.NewID())
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("UUIDv7 ids made in sequence should sort in sequence")
	}
	u, err := uuid.Parse(ids[0])
	if err != nil || u.Version() != 7 {
		t.Fatalf("id %s: version %d, %v", ids[0], u.Version(), err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
}

func TestTheClockIsUTC(t *testing.T) {
	now := system.Clock{}.Now()
	if now.Location() != time.UTC || time.Since(now) > time.Minute {
		t.Fatalf("Now() = %v", now)
	}
}
