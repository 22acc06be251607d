package core_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCoreAndPortsImportNoAdapterLibrary enforces the dependency rule:
// adapters depend on ports and core, never the other way round.
func TestCoreAndPortsImportNoAdapterLibrary(t *testing.T) {
	forbidden := []string{"github.com/segmentio/kafka-go", "gorm.io/", "github.com/go-chi/chi", "github.com/fintechlabs/customers/adapters"}
	forbiddenExact := []string{"net/http", "database/sql"}
	touchSources(t, ".", "../ports", "../go.mod", "../go.sum")
	out, err := exec.Command("go", "list", "-deps", "github.com/fintechlabs/customers/core/...", "github.com/fintechlabs/customers/ports/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list returned too little to be trusted: %v", deps)
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("core or ports depend on %s", dep)
			}
		}
		for _, f := range forbiddenExact {
			if dep == f {
				t.Errorf("core or ports depend on %s", dep)
			}
		}
	}
}

// touchSources reads every file below roots. go list runs in a child process,
// whose reads the test cache cannot see; reading the files here makes a
// change to any of them invalidate a cached pass.
func touchSources(t *testing.T, roots ...string) {
	t.Helper()
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			_, err = os.ReadFile(path)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestEachBoundaryKeepsItsOwnModel: the domain packages, and the HTTP
// adapter with everything it depends on, never see the published event
// types, so renaming a field of the Kafka contract cannot change the
// domain or the REST API, and the other way round.
func TestEachBoundaryKeepsItsOwnModel(t *testing.T) {
	const events = "github.com/fintechlabs/customers/core/event"
	touchSources(t, ".", "../ports", "../adapters/rest", "../go.mod", "../go.sum")
	for _, pkg := range []string{"core/customer", "core/profiling", "core/notification", "adapters/rest"} {
		out, err := exec.Command("go", "list", "-deps", "github.com/fintechlabs/customers/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 5 {
			t.Fatalf("go list returned too little to be trusted: %v", deps)
		}
		for _, dep := range deps {
			if dep == events || strings.HasPrefix(dep, "github.com/fintechlabs/customers/ports") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
