package actor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/core/actor"
)

func TestAContextCarriesOnlyAValidActor(t *testing.T) {
	tests := []struct {
		name, given, want string
	}{
		{"a key's name is carried", "ops-console", "ops-console"},
		{"no name is none", "", ""},
		{"a name with spaces is dropped", "ops console", ""},
		{"a name with a newline is dropped", "ops\nforged: yes", ""},
		{"a name past the bound is dropped", strings.Repeat("a", actor.MaxLength+1), ""},
		{"a name at the bound is carried", strings.Repeat("a", actor.MaxLength), strings.Repeat("a", actor.MaxLength)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := actor.From(actor.With(context.Background(), tt.given)); got != tt.want {
				t.Fatalf("From(With(%q)) = %q, want %q", tt.given, got, tt.want)
			}
		})
	}
	if got := actor.From(context.Background()); got != "" {
		t.Fatalf("an empty context has actor %q", got)
	}
}
