// Package hosts decides which Host names a server answers. A server on
// loopback without API keys would otherwise answer any web page whose own
// name its attacker re-points at 127.0.0.1 (DNS rebinding): the browser
// sends that page's name as the Host, and the page reads the answers.
package hosts

import (
	"net"
	"net/http"
	"strings"
)

// Allowed lists the host names a server answers; nil allows any. An entry
// is a name ("api.example.com"), ".example.com" for the domain and every
// name under it, or "localhost": the names that only ever reach this
// machine, localhost and those under it (RFC 6761: browsers resolve them
// to loopback themselves) and the loopback addresses.
type Allowed []string

// Loopback allows only the names that reach this machine.
var Loopback = Allowed{"localhost"}

// Permit reports whether a request with this Host header (a port may
// follow) may be answered.
func (a Allowed) Permit(host string) bool {
	if a == nil {
		return true
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.ToLower(strings.Trim(name, "[]")), ".")
	if name == "" {
		return false
	}
	loopback := false
	for _, entry := range a {
		entry = strings.ToLower(entry)
		switch {
		case entry == name:
			return true
		case strings.HasPrefix(entry, ".") && (name == entry[1:] || strings.HasSuffix(name, entry)):
			return true
		}
		if entry == "localhost" {
			loopback = true
		}
	}
	ip := net.ParseIP(name)
	return loopback && (strings.HasSuffix(name, ".localhost") || ip != nil && ip.IsLoopback())
}

// Guard answers refuse for a request whose Host a does not permit, and
// passes the others to next.
func (a Allowed) Guard(refuse http.HandlerFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if a == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !a.Permit(r.Host) {
				refuse(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
