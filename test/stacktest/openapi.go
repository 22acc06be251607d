package stacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Described checks the requests a test makes and the answers it gets
// against the OpenAPI document of the service that answers, which it reads
// from the service (GET /<resource>/openapi.json, with the headers it was
// given) the first time it meets it. A route, a status, a media type or a
// body the document does not describe fails the test.
type Described struct {
	headers []string
	mu      sync.Mutex
	docs    map[string]*document // by scheme://host
}

// Describe returns a Described that reads the documents with headers (an
// API key where the services need one), in name, value pairs.
func Describe(headers ...string) *Described {
	return &Described{headers: headers, docs: map[string]*document{}}
}

// document is one service's OpenAPI document, its path templates and its
// compiled schemas.
type document struct {
	paths map[string]map[string]operation
	// mu guards the compiler and the schemas compiled so far: tests check
	// answers from many goroutines at once.
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema // by JSON pointer
}

type operation struct {
	RequestBody *struct {
		Content map[string]json.RawMessage `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]json.RawMessage `json:"content"`
	} `json:"responses"`
}

// Check checks one exchange: the request's method, URL and JSON body (nil
// for none), and the answer's status, headers and body. The request body is
// checked when the service took it (a 2xx): tests send bad bodies on
// purpose, and the answer to those is checked.
func (d *Described) Check(t testing.TB, method, rawURL string, reqBody []byte, status int, header http.Header, body []byte) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	doc := d.document(t, u)
	if doc == nil {
		return // not one of the services (a collector, a mail server)
	}
	// The path as sent: the router matches it undecoded.
	where := fmt.Sprintf("%s %s → %d", method, u.EscapedPath(), status)
	path, ops := doc.match(u.EscapedPath())
	op, described := ops[strings.ToLower(method)]
	if !described {
		// Unknown routes and methods are answered by the router itself,
		// after authentication and rate limiting.
		switch status {
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusMisdirectedRequest:
		default:
			if method != http.MethodOptions {
				t.Errorf("OpenAPI: %s: the route is not described", where)
			}
		}
		doc.checkBody(t, where+" (no route)", "#/components/schemas/Problem", header, body)
		return
	}
	pointer := "#/paths/" + escape(path) + "/" + strings.ToLower(method)
	if status/100 == 2 && op.RequestBody != nil && len(bytes.TrimSpace(reqBody)) > 0 {
		if _, ok := op.RequestBody.Content["application/json"]; !ok {
			t.Errorf("OpenAPI: %s: the request body is not described as JSON", where)
		} else if err := doc.validate(pointer+"/requestBody/content/application~1json/schema", reqBody); err != nil {
			t.Errorf("OpenAPI: %s: the request the service took is not what the document describes: %#v\n%s", where, err, reqBody)
		}
	}
	answer, ok := op.Responses[strconv.Itoa(status)]
	if !ok {
		t.Errorf("OpenAPI: %s: the status is not described", where)
		return
	}
	if len(answer.Content) == 0 {
		return
	}
	media, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if _, ok := answer.Content[media]; !ok {
		t.Errorf("OpenAPI: %s: the answer's Content-Type %q is not described (%v)", where, media, keys(answer.Content))
		return
	}
	if strings.HasSuffix(media, "json") {
		doc.checkBody(t, where, pointer+"/responses/"+strconv.Itoa(status)+"/content/"+escape(media)+"/schema", header, body)
	}
}

// checkBody validates a JSON answer against the schema at pointer.
func (doc *document) checkBody(t testing.TB, where, pointer string, header http.Header, body []byte) {
	t.Helper()
	if len(bytes.TrimSpace(body)) == 0 || !strings.Contains(header.Get("Content-Type"), "json") {
		return
	}
	if err := doc.validate(pointer, body); err != nil {
		t.Errorf("OpenAPI: %s: the answer is not what the document describes: %#v\n%.600s", where, err, body)
	}
}

func (doc *document) validate(pointer string, raw []byte) error {
	schema, err := doc.schema(pointer)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return schema.Validate(v)
}

// schema returns the schema at pointer, compiled once.
func (doc *document) schema(pointer string) (*jsonschema.Schema, error) {
	doc.mu.Lock()
	defer doc.mu.Unlock()
	if s, ok := doc.schemas[pointer]; ok {
		return s, nil
	}
	s, err := doc.compiler.Compile("openapi.json" + pointer)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", pointer, err)
	}
	doc.schemas[pointer] = s
	return s, nil
}

// match returns the path template that path falls under, the most
// specific first (chi prefers a fixed segment to a parameter), and its
// operations.
func (doc *document) match(path string) (string, map[string]operation) {
	segments := strings.Split(path, "/")
	best, bestParams := "", -1
	for template := range doc.paths {
		parts := strings.Split(template, "/")
		if len(parts) != len(segments) {
			continue
		}
		params := 0
		for i, p := range parts {
			if strings.HasPrefix(p, "{") && segments[i] != "" {
				params++
				continue
			}
			if p != segments[i] {
				params = -1
				break
			}
		}
		if params >= 0 && (bestParams < 0 || params < bestParams) {
			best, bestParams = template, params
		}
	}
	return best, doc.paths[best]
}

// document returns the document of the service at u's host, reading it
// the first time; nil when the host serves none.
func (d *Described) document(t testing.TB, u *url.URL) *document {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	base := u.Scheme + "://" + u.Host
	if doc, ok := d.docs[base]; ok {
		return doc
	}
	var doc *document
	for _, resource := range []string{"customers", "profiling", "notifications"} {
		status, _, raw := Do(t, http.MethodGet, base+"/"+resource+"/openapi.json", "", d.headers...)
		if status != http.StatusOK {
			continue
		}
		var parsed struct {
			Paths map[string]map[string]operation `json:"paths"`
		}
		if err := json.Unmarshal(raw, &parsed); err != nil {
			t.Fatalf("the OpenAPI document of %s: %v", base, err)
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		whole, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err == nil {
			err = c.AddResource("openapi.json", whole)
		}
		if err != nil {
			t.Fatalf("the OpenAPI document of %s: %v", base, err)
		}
		doc = &document{paths: parsed.Paths, compiler: c, schemas: map[string]*jsonschema.Schema{}}
		break
	}
	d.docs[base] = doc
	return doc
}

// escape writes s as a JSON pointer token.
func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
