// Package page implements cursor pagination: opaque cursors that point after
// the last item returned, and bounded page sizes.
package page

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/fintechlabs/customers/core/fault"
)

// Page sizes.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Request asks for up to Limit items after Cursor ("" for the first page).
type Request struct {
	Cursor string
	Limit  int
}

// Window is a validated Request: After is the key to start after ("" for
// the start) and Limit is within bounds.
type Window struct {
	After string
	Limit int
}

// Parse validates r. A zero limit means DefaultLimit.
func (r Request) Parse() (Window, error) {
	var bad fault.Fields
	w := Window{Limit: r.Limit}
	switch {
	case r.Limit == 0:
		w.Limit = DefaultLimit
	case r.Limit < 0 || r.Limit > MaxLimit:
		bad.Add("limit", "must be between 1 and 100")
	}
	if r.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(r.Cursor)
		if err != nil || !strings.HasPrefix(string(raw), "k:") {
			bad.Add("cursor", "is not a cursor this API returned")
		} else {
			w.After = strings.TrimPrefix(string(raw), "k:")
		}
	}
	return w, bad.Err("invalid page request")
}

// Cursor returns the opaque cursor that continues after key.
func Cursor(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("k:" + key))
}

// Next returns the cursor for the page after items when the store returned
// one more item than the window's limit (the look-ahead), trimming that
// extra item. key extracts an item's sort key.
func Next[T any](items []T, w Window, key func(T) string) ([]T, string) {
	if len(items) <= w.Limit {
		return items, ""
	}
	items = items[:w.Limit]
	return items, Cursor(key(items[len(items)-1]))
}

// NumberKey is the sort key of an item ordered by a sequence number, for
// Next.
func NumberKey(n int64) string { return strconv.FormatInt(n, 10) }

// AfterNumber reads the sequence number a cursor of NumberKey keys
// continues after; ok is false on the first page. Errors: fault.Invalid
// naming the cursor, for a key that is no number (a forged cursor).
func (w Window) AfterNumber() (n int64, ok bool, err error) {
	if w.After == "" {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(w.After, 10, 64)
	if err != nil {
		var bad fault.Fields
		bad.Add("cursor", "is not a cursor this API returned")
		return 0, false, bad.Err("invalid page request")
	}
	return n, true, nil
}
