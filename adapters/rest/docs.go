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
func docRoutes(resource, readScope string, spec func() []byte) []route {
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
	return []route{
		{method: http.MethodGet, pattern: base + "/openapi.json", scope: readScope, contentType: "application/json",
			summary: "This OpenAPI 3.1 document",
			handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(spec())
			})},
		{method: http.MethodGet, pattern: base + "/docs", handler: asset("index.html", "text/html; charset=utf-8"),
			summary: "The API's docs page", contentType: "text/html"},
		{method: http.MethodGet, pattern: base + "/docs.js", handler: asset("docs.js", "text/javascript; charset=utf-8"),
			summary: "The docs page's script", contentType: "text/javascript"},
		{method: http.MethodGet, pattern: base + "/docs.css", handler: asset("docs.css", "text/css; charset=utf-8"),
			summary: "The docs page's style", contentType: "text/css"},
	}
}
