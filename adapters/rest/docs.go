package rest

import (
	"embed"
	"net/http"
)

// The docs page renders the OpenAPI document in the browser, from assets
// embedded in the binary: it works offline, and loads nothing from
// elsewhere (its Content-Security-Policy allows only this origin).
//
//go:embed docs
var docs embed.FS

// docsPolicy lets the page load its script and style and read the
// document, from this origin only.
const docsPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'"

// docRoutes serve the OpenAPI document (to keys with the read scope) and
// the page that shows it (open: it holds nothing until it has the
// document).
func docRoutes(resource, readScope string, spec func() []byte) []Route {
	asset := func(name, contentType string) http.Handler {
		body, err := docs.ReadFile("docs/" + name)
		if err != nil {
			panic("rest: missing embedded asset " + name) // the embed above holds it
		}
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Security-Policy", docsPolicy)
			w.Header().Set("Content-Type", contentType)
			_, _ = w.Write(body)
		})
	}
	base := "/" + resource
	return []Route{
		{Method: http.MethodGet, Pattern: base + "/openapi.json", Scope: readScope, ContentType: "application/json",
			Summary: "This OpenAPI 3.1 document",
			Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(spec())
			})},
		{Method: http.MethodGet, Pattern: base + "/docs", Handler: asset("index.html", "text/html; charset=utf-8"),
			Summary: "The API's docs page", ContentType: "text/html"},
		{Method: http.MethodGet, Pattern: base + "/docs.js", Handler: asset("docs.js", "text/javascript; charset=utf-8"),
			Summary: "The docs page's script", ContentType: "text/javascript"},
		{Method: http.MethodGet, Pattern: base + "/docs.css", Handler: asset("docs.css", "text/css; charset=utf-8"),
			Summary: "The docs page's style", ContentType: "text/css"},
	}
}
