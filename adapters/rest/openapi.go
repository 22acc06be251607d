package rest

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/fintechlabs/customers/adapters/typeschema"
	"github.com/fintechlabs/customers/core/idempotency"
)

// The OpenAPI document of each service is made from the same route table
// the router serves (Route below), and the schemas from the Go types the
// handlers decode and answer with: a route cannot be served without being
// described, and a field cannot change without its schema changing.

// Route is one operation: how it is served and what describes it.
type Route struct {
	Method, Pattern string
	// Scope is what a key needs (none for open routes).
	Scope   string
	Handler http.Handler
	Summary string
	// Body is a value of the request body's type; nil when there is none.
	Body         any
	BodyOptional bool
	// Query is a value of the query string's type (see DecodeQuery), or
	// the names of string parameters; nil when there is none.
	Query       any
	Status      int    // the success status (200 when 0)
	Also        []int  // other statuses answered with the same body
	Answer      any    // a value of the answer's type; nil: not JSON
	ContentType string // the answer's media type when not JSON
}

// mount serves rt on r: behind its scope, and, for a POST, keeping its
// answers to idempotency keys (keep).
func (rt Route) mount(r chi.Router, keep func(http.Handler) http.Handler) {
	var chain []func(http.Handler) http.Handler
	if rt.Scope != "" {
		chain = append(chain, need(rt.Scope))
	}
	if rt.Method == http.MethodPost {
		chain = append(chain, keep)
	}
	r.With(chain...).Method(rt.Method, rt.Pattern, rt.Handler)
}

// openAPI describes service's routes as an OpenAPI 3.1 document: those of
// api under / and under /api/v1, those of root under / only.
func openAPI(service string, api, root []Route) []byte {
	s := &schemas{typeschema.Generator{Special: special, RefPrefix: "#/components/schemas/", Name: schemaName}}
	s.Of(reflect.TypeOf(Problem{}))
	paths := map[string]map[string]any{}
	add := func(prefix string, routes []Route) {
		for _, rt := range routes {
			path := prefix + rt.Pattern
			if paths[path] == nil {
				paths[path] = map[string]any{}
			}
			paths[path][strings.ToLower(rt.Method)] = s.operation(prefix, rt)
		}
	}
	add("", api)
	add("/api/v1", api)
	add("", root)
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   service,
			"version": "1",
			"description": "Every route is served both at the root (as the original served it) and under /api/v1. " +
				"Errors are RFC 9457 problem documents (application/problem+json) whose code names the problem.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": s.Defs,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <secret>"},
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
		},
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("rest: the OpenAPI document does not encode: " + err.Error()) // maps, strings and numbers only
	}
	return out
}

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

// problemStatuses are the problems a route may answer with, by what it
// takes, and what each means.
var problemStatuses = map[int]string{
	400: "the request could not be read: malformed JSON, an unknown field, a wrong type (request.malformed, request.unreadable, request.body_required, request.ambiguous, request.id_mismatch, request.idempotency_key)",
	401: "no key, or an unknown one (auth.required)",
	403: "the key lacks the route's scope (auth.scope)",
	404: "no such resource (<resource>.not_found), or no such route (route.not_found)",
	409: "the change conflicts with the resource's state, or a request with the same Idempotency-Key is under way (idempotency.in_flight; see Retry-After)",
	413: "the body is too large (request.too_large)",
	415: "the body is not JSON (request.content_type)",
	421: "the request names a host this server does not answer for (request.host)",
	422: "the request was read but is not valid (validation, and the rule it breaks; an id no resource can have), or an Idempotency-Key was reused with another body",
	429: "too many requests from this client (rate.limited); see Retry-After",
	500: "an unexpected error, logged with the request's id",
	503: "a dependency (the database) cannot take the work now; see Retry-After",
}

func (s *schemas) operation(prefix string, rt Route) map[string]any {
	op := map[string]any{
		"operationId": operationID(prefix, rt),
		"summary":     rt.Summary,
	}
	if prefix == "" {
		op["tags"] = []string{"root paths"}
	} else {
		op["tags"] = []string{"/api/v1"}
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.Pattern, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	switch q := rt.Query.(type) {
	case nil:
	case []string:
		for _, name := range q {
			params = append(params, map[string]any{"name": name, "in": "query", "schema": map[string]any{"type": "string"}})
		}
	default:
		for _, f := range queryFields(reflect.TypeOf(q)) {
			schema, required := s.Param(f)
			param := map[string]any{"name": fieldName(f), "in": "query", "schema": schema, "required": required}
			if doc, ok := schema["description"]; ok {
				param["description"] = doc
				delete(schema, "description")
			}
			params = append(params, param)
		}
	}
	if rt.Method == http.MethodPost {
		// As core/idempotency takes it: visible characters, a space only
		// inside; a quoted key (the draft's structured-field string) fits
		// in the same length with its quotes.
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "schema": map[string]any{"type": "string",
			"minLength": 1, "maxLength": idempotency.MaxKeyLength, "pattern": `^[!-~]([ -~]*[!-~])?$`},
			"description": "repeats of the request with this key get the first answer"})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.Body != nil {
		op["requestBody"] = map[string]any{
			"required": !rt.BodyOptional,
			"content":  map[string]any{"application/json": map[string]any{"schema": s.Input(reflect.TypeOf(rt.Body))}},
		}
	}
	status := rt.Status
	if status == 0 {
		status = http.StatusOK
	}
	answer := map[string]any{"description": http.StatusText(status)}
	switch {
	case rt.Answer != nil:
		answer["content"] = map[string]any{"application/json": map[string]any{"schema": s.Of(reflect.TypeOf(rt.Answer))}}
	case strings.HasSuffix(rt.ContentType, "json"): // a document of its own kind (OpenAPI, AsyncAPI)
		answer["content"] = map[string]any{rt.ContentType: map[string]any{"schema": map[string]any{"type": "object"}}}
	case rt.ContentType != "":
		answer["content"] = map[string]any{rt.ContentType: map[string]any{"schema": map[string]any{"type": "string"}}}
	}
	responses := map[string]any{strconv.Itoa(status): answer}
	for _, also := range rt.Also {
		responses[strconv.Itoa(also)] = answer
	}
	for code, why := range problemStatuses {
		if mayAnswer(rt, code) {
			responses[strconv.Itoa(code)] = map[string]any{"description": why,
				"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
		}
	}
	op["responses"] = responses
	if rt.Scope != "" {
		op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"apiKey": []string{}}}
		op["x-scope"] = rt.Scope
		op["description"] = "Needs a key with the " + rt.Scope + " scope when the service has keys."
	} else {
		op["security"] = []any{}
	}
	return op
}

// mayAnswer reports whether rt may answer with the problem status.
func mayAnswer(rt Route, status int) bool {
	switch status {
	case 401, 403:
		return rt.Scope != ""
	case 413, 415:
		return rt.Body != nil
	case 409:
		return rt.Method == http.MethodPost
	case 400:
		return rt.Body != nil || rt.Query != nil || rt.Method == http.MethodPost
	case 422:
		return rt.Body != nil || rt.Query != nil || rt.Method == http.MethodPost || strings.Contains(rt.Pattern, "{")
	case 404:
		return strings.Contains(rt.Pattern, "{") || rt.Method == http.MethodPost
	case 503:
		return rt.Scope != "" // a route with a key reads or writes the database
	}
	return true
}

func operationID(prefix string, rt Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, part := range strings.FieldsFunc(prefix+rt.Pattern, func(r rune) bool { return r == '/' || r == '-' || r == '{' || r == '}' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// schemas makes the schemas of the document's bodies.
type schemas struct{ typeschema.Generator }

// Schemer is implemented by a request's own types that read themselves
// (their UnmarshalJSON): their schema is what they take.
type Schemer interface{ Schema() map[string]any }

// special gives the schemas of the types that read themselves.
func special(t reflect.Type) (map[string]any, bool) {
	if t == reflect.TypeFor[Whole]() {
		return map[string]any{"type": "integer"}, true
	}
	if t.Implements(reflect.TypeFor[Schemer]()) {
		return reflect.Zero(t).Interface().(Schemer).Schema(), true
	}
	return nil, false
}

// Named is implemented by a body whose schema is named otherwise than its
// Go type: a body with the original's names keeps the name of ours.
type Named interface{ SchemaName() string }

// schemaName names a schema after its Go type: onboardRequest is
// OnboardRequest, customerBody is Customer.
func schemaName(t reflect.Type) string {
	if t.Implements(reflect.TypeFor[Named]()) {
		return reflect.Zero(t).Interface().(Named).SchemaName()
	}
	name := strings.TrimSuffix(t.Name(), "Body")
	if name == "" {
		name = "Object"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}
