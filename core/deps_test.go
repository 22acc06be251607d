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
	for _, pkg := range []string{"core/customer", "core/profiling", "core/notification", "adapters/rest",
		"adapters/rest/customerapi", "adapters/rest/profilingapi", "adapters/rest/notificationapi"} {
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

// TestEachServiceBuildsInOnlyItsOwnDomain: a service's binary depends on
// its own domain, use cases, storage, API and providers, and on the shared
// platform (the event contract, Kafka, SQL, HTTP plumbing, logging,
// metrics), never on a package of another service.
func TestEachServiceBuildsInOnlyItsOwnDomain(t *testing.T) {
	own := map[string][]string{
		"customer": {"core/customer", "ports/customers", "adapters/sqlstore/customersql", "adapters/rest/customerapi", "apps/customer"},
		"profiling": {"core/profiling", "ports/profiles", "adapters/sqlstore/profilesql", "adapters/rest/profilingapi",
			"apps/profiling"},
		"notifications": {"core/notification", "ports/deliveries", "adapters/sqlstore/deliverysql", "adapters/rest/notificationapi",
			"adapters/smtp", "adapters/devprovider", "adapters/circuit", "apps/notifications"},
	}
	touchSources(t, ".", "../ports", "../adapters", "../apps", "../cmd", "../go.mod", "../go.sum")
	const module = "github.com/fintechlabs/customers/"
	for service := range own {
		t.Run(service, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", module+"cmd/customers-"+service).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			deps := map[string]bool{}
			for _, d := range strings.Fields(string(out)) {
				deps[strings.TrimPrefix(d, module)] = true
			}
			in := func(pkg string) bool {
				for d := range deps {
					if d == pkg || strings.HasPrefix(d, pkg+"/") {
						return true
					}
				}
				return false
			}
			for other, pkgs := range own {
				for _, pkg := range pkgs {
					switch {
					case other == service && !in(pkg):
						t.Errorf("the %s binary lacks its own %s: is the list above still the tree?", service, pkg)
					case other != service && in(pkg):
						t.Errorf("the %s binary builds in %s, of the %s service", service, pkg, other)
					}
				}
			}
		})
	}
}
