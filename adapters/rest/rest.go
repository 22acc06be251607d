package rest

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/fintechlabs/customers/adapters/hosts"
	"github.com/fintechlabs/customers/adapters/tracing"
	"github.com/fintechlabs/customers/core/idempotency"
)

// Clock tells the time (ports.Clock, which this package does not import: the
// API does not depend on the core's ports).
type Clock interface{ Now() time.Time }

// Options are what every service's router shares.
type Options struct {
	Log *slog.Logger
	// Clock stamps health answers and says which promotions are active; the
	// wall clock when nil.
	Clock Clock
	// APIKeys, when not empty, are required on every route but health
	// checks, each as ParseKey reads it; a route also needs its scope.
	APIKeys []string
	// CORSOrigins lists the browser origins allowed to call the API (none
	// when empty); "*" allows any (the original's default).
	CORSOrigins []string
	// AllowedHosts are the Host names the API answers (nil: any); others
	// get 421. Without API keys, only loopback names: see package hosts.
	AllowedHosts hosts.Allowed
	// RateLimit bounds each client's request rate; off when zero.
	RateLimit RateLimit
	// Checks are run by the readiness probe.
	Checks []Check
	// Metrics, when set, is served on /metrics.
	Metrics http.Handler
	// Observer, when set, is told about every request.
	Observer Observer
	// Tracer gives every request a span; one that exports nothing when
	// nil.
	Tracer *tracing.Tracer
	// AsyncAPI, when set, is served at /<resource>/asyncapi.json: the
	// description of the Kafka topics, to callers with the service's read
	// scope.
	AsyncAPI []byte
	// Idempotency keeps the answers to POSTs made with an Idempotency-Key
	// (the service's database); without it the header is ignored.
	Idempotency idempotency.Store
	// DeadLetters, when set, are served at /<resource>/dead-letters, with
	// their replay, to keys with the admin scope.
	DeadLetters DeadLetters
	// OursOnly refuses the original's names for request fields, which are
	// otherwise taken beside ours (activationReason for reason, email for
	// to, ...), and leaves its routes unserved (POST
	// /customers/promote/{id}): each API's original.go lists them.
	OursOnly bool
	// Routes are served beside the service's own, on both path styles and
	// behind the same authentication: what an adapter the composition root
	// wired brings along (the development provider's mailbox).
	Routes []Route
}

// Check probes one dependency for /readyz. A failing required check makes
// the service unready (503); any other failing check makes it "degraded"
// but still ready: with its outbox, a service keeps accepting requests
// while the broker is away, and events catch up when it returns.
type Check struct {
	Name     string
	Required bool
	Probe    func(ctx context.Context) error
}

// API is one service's HTTP API.
type API struct {
	// Service names it, e.g. "service-customer".
	Service string
	// Resource is its main resource: "customers" has its health check at
	// /customers/health, as in the original, and its documents beside it.
	Resource string
	// ReadScope lets a key read the service's documents.
	ReadScope string
	// Routes are the service's own.
	Routes []Route
}

// NewRouter builds the router of api: its own routes, and those every
// service has (health, readiness, documents, dead letters, metrics),
// served both under /api/v1 and at the root, and described in its OpenAPI
// document.
func NewRouter(a API, opts Options) http.Handler {
	service, resource, readScope, own := a.Service, a.Resource, a.ReadScope, a.Routes
	if opts.Clock == nil {
		opts.Clock = wallClock{}
	}
	if opts.Tracer == nil {
		opts.Tracer = tracing.Local(service)
	}
	r := chi.NewRouter()
	open, keys := newOpenPaths(resource), newKeyring(opts.APIKeys)
	r.Use(withIDs, traced(opts.Tracer), identify(keys), accessLog(opts.Log, opts.Observer, open), securityHeaders,
		opts.AllowedHosts.Guard(func(w http.ResponseWriter, r *http.Request) {
			BadRequest(w, r, http.StatusMisdirectedRequest, "request.host", "this server does not answer for the host "+strconv.Quote(r.Host)+
				": call it by one of its own names (ALLOWED_HOSTS)")
		}),
		cors(opts.CORSOrigins),
		limit(opts.RateLimit, len(keys) > 0, opts.Clock.Now), authenticate(len(keys) > 0, open, opts.Log),
		// A path with a trailing slash is routed as the path without, as
		// the original's Express routes it. RFC 9110: HEAD answers as GET
		// does, without the body (which net/http leaves out), for load
		// balancers' and scripts' checks.
		middleware.StripSlashes, middleware.GetHead)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		BadRequest(w, r, http.StatusNotFound, "route.not_found", "no route "+r.Method+" "+r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		// RFC 9110: a 405 lists the methods the resource serves. chi knows
		// them, but gives a handler of our own none: ask the router.
		path := req.URL.RawPath
		if path == "" {
			path = req.URL.Path
		}
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			if r.Match(chi.NewRouteContext(), m, path) {
				allow = append(allow, m)
				if m == http.MethodGet {
					allow = append(allow, http.MethodHead)
				}
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		BadRequest(w, req, http.StatusMethodNotAllowed, "route.method_not_allowed", req.Method+" is not allowed on "+req.URL.Path)
	})
	health := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, healthBody{Status: "ok", Service: service, Timestamp: opts.Clock.Now()})
	})
	ready := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		status, code := "ready", http.StatusOK
		checks := map[string]string{}
		// Why a check fails (hosts, offsets, errors) is for operators: with
		// keys set, a caller without the admin scope learns only that it
		// fails.
		detailed := Can(r.Context(), ScopeAdmin)
		for _, c := range opts.Checks {
			checks[c.Name] = "ok"
			if err := c.Probe(ctx); err != nil {
				checks[c.Name] = "failing"
				if detailed {
					checks[c.Name] = err.Error()
				}
				if c.Required {
					status, code = "unready", http.StatusServiceUnavailable
				} else if status == "ready" {
					status = "degraded"
				}
			}
		}
		if code != http.StatusOK {
			w.Header().Set("Retry-After", "5")
		}
		WriteJSON(w, code, readyBody{Status: status, Service: service, Checks: checks})
	})
	var spec []byte // made below, from the routes that serve it too
	api := []Route{{Method: http.MethodGet, Pattern: "/" + resource + "/health", Handler: health,
		Summary: "Liveness, as the original answered it", Answer: healthBody{}}}
	if opts.AsyncAPI != nil {
		api = append(api, Route{Method: http.MethodGet, Pattern: "/" + resource + "/asyncapi.json", Scope: readScope,
			Summary: "The AsyncAPI 3.0 description of the Kafka topics", ContentType: "application/json",
			Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(opts.AsyncAPI)
			})})
	}
	api = append(api, docRoutes(resource, readScope, func() []byte { return spec })...)
	api = append(api, own...)
	if opts.DeadLetters != nil {
		api = append(api, deadLetterRoutes(resource, opts.DeadLetters, opts)...)
	}
	api = append(api, opts.Routes...)
	root := []Route{
		{Method: http.MethodGet, Pattern: "/healthz", Handler: health, Summary: "Liveness", Answer: healthBody{}},
		{Method: http.MethodGet, Pattern: "/readyz", Handler: ready, Summary: "Readiness: 503 while a required dependency fails",
			Answer: readyBody{}, Also: []int{http.StatusServiceUnavailable}},
	}
	if opts.Metrics != nil {
		root = append(root, Route{Method: http.MethodGet, Pattern: "/metrics", Scope: ScopeMetrics, Handler: opts.Metrics,
			Summary: "Prometheus metrics", ContentType: "text/plain"})
	}
	spec = openAPI(service, api, root)
	// Idempotency keys are kept for matched routes only, once the caller
	// passed authentication and the route's scope: an unknown route, a
	// method the route does not serve, or a caller without the right key
	// writes nothing.
	keep := idempotent(keeper(opts), opts.Log)
	r.Route("/api/v1", func(r chi.Router) {
		for _, rt := range api {
			rt.mount(r, keep)
		}
	})
	for _, rt := range append(api, root...) {
		rt.mount(r, keep)
	}
	return r
}

func keeper(opts Options) *idempotency.Keeper {
	if opts.Idempotency == nil {
		return nil
	}
	return idempotency.NewKeeper(opts.Idempotency, opts.Clock.Now, idempotencyLease)
}

// wallClock is the clock of routers given none.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now().UTC() }

// Now is the time by opts' clock, or the wall clock's.
func (o Options) Now() time.Time {
	if o.Clock == nil {
		return wallClock{}.Now()
	}
	return o.Clock.Now()
}

// healthBody is the original's health answer.
type healthBody struct {
	Status    string    `json:"status"`
	Service   string    `json:"service"`
	Timestamp time.Time `json:"timestamp"`
}

type readyBody struct {
	Status  string            `json:"status"`
	Service string            `json:"service"`
	Checks  map[string]string `json:"checks"`
}
