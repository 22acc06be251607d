package uuidv7_test

import (
	"sort"
	"testing"

	"github.com/google/uuid"

	"github.com/fintechlabs/customers/adapters/uuidv7"
)

func TestIDsAreUUIDv7AndSortByCreation(t *testing.T) {
	var ids []string
	for range 1000 {
		ids = append(ids, uuidv7.Generator{}.NewID())
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
