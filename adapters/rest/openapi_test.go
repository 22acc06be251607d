package rest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/fintechlabs/customers/adapters/rest"
	"github.com/fintechlabs/customers/test/golden"
	"github.com/fintechlabs/customers/test/stacktest"
)

// spec is the part of an OpenAPI document these tests read.
type spec struct {
	OpenAPI string                               `json:"openapi"`
	Paths   map[string]map[string]map[string]any `json:"paths"`
}

func TestEveryRouteIsDescribedInTheOpenAPIDocumentAndEveryDescribedRouteIsServed(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("up 1\n")) })
	a := newAPI(t, rest.Options{Metrics: metrics, AsyncAPI: []byte(`{"asyncapi":"3.0.0"}`), DeadLetters: stacktest.NoDeadLetters{}})
	for _, tt := range []struct {
		resource string
		router   http.Handler
	}{{"customers", a.Customers}, {"profiling", a.Profiling}, {"notifications", a.Notifications}} {
		t.Run(tt.resource, func(t *testing.T) {
			r := call(t, tt.router, "GET", "/api/v1/"+tt.resource+"/openapi.json", "")
			var doc spec
			if r.status != 200 || json.Unmarshal([]byte(r.raw), &doc) != nil || doc.OpenAPI != "3.1.0" {
				t.Fatalf("openapi.json: %d %.200s", r.status, r.raw)
			}
			served := map[string]bool{}
			err := chi.Walk(tt.router.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
				route = strings.TrimSuffix(strings.ReplaceAll(route, "/*/", "/"), "/")
				served[method+" "+route] = true
				if _, ok := doc.Paths[route][strings.ToLower(method)]; !ok {
					t.Errorf("%s %s is served but not described", method, route)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for path, ops := range doc.Paths {
				for method := range ops {
					if !served[strings.ToUpper(method)+" "+path] {
						t.Errorf("%s %s is described but not served", strings.ToUpper(method), path)
					}
				}
			}
			golden.JSON(t, "openapi-"+tt.resource, json.RawMessage(r.raw))
		})
	}
}

func TestTheDocsPageIsOpenAndSelfContainedWhileTheDocumentNeedsAKey(t *testing.T) {
	a := newAPI(t, rest.Options{APIKeys: []string{"ops:s3cret:customers:read"}})
	page := call(t, a.Customers, "GET", "/customers/docs", "")
	csp := page.header.Get("Content-Security-Policy")
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(page.raw, `src="docs.js"`) || !strings.Contains(csp, "script-src 'self'") || strings.Contains(page.raw, "http") {
		t.Fatalf("docs page: %d %s, CSP %q: want an open page loading its own script only", page.status, page.header.Get("Content-Type"), csp)
	}
	for _, asset := range []string{"/api/v1/customers/docs.js", "/customers/docs.css"} {
		if r := call(t, a.Customers, "GET", asset, ""); r.status != 200 || r.raw == "" {
			t.Errorf("%s: %d", asset, r.status)
		}
	}
	if r := call(t, a.Customers, "GET", "/customers/openapi.json", ""); r.status != http.StatusUnauthorized {
		t.Errorf("the document without a key: %d, want 401", r.status)
	}
	if r := call(t, a.Customers, "GET", "/customers/openapi.json", "", "Authorization", "Bearer s3cret"); r.status != 200 {
		t.Errorf("the document with a read key: %d", r.status)
	}
}
