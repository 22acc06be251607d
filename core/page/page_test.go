package page_test

import (
	"strings"
	"testing"

	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/page"
)

func TestRequestsAreBoundedAndCursorsOpaque(t *testing.T) {
	w, err := page.Request{}.Parse()
	if err != nil || w.Limit != page.DefaultLimit || w.After != "" {
		t.Fatalf("first page = %+v, %v", w, err)
	}
	c := page.Cursor("0190-abc")
	if strings.Contains(c, "0190") {
		t.Fatalf("cursor %q exposes the key", c)
	}
	w, err = page.Request{Cursor: c, Limit: 5}.Parse()
	if err != nil || w.After != "0190-abc" || w.Limit != 5 {
		t.Fatalf("continued page = %+v, %v", w, err)
	}
	for _, bad := range []page.Request{{Limit: -1}, {Limit: 101}, {Cursor: "!!"}, {Cursor: "YWJj"}} {
		if _, err := bad.Parse(); fault.KindOf(err) != fault.Invalid {
			t.Errorf("%+v: error = %v, want invalid", bad, err)
		}
	}
}

func TestNextTrimsTheLookAheadItem(t *testing.T) {
	w := page.Window{Limit: 2}
	id := func(s string) string { return s }
	items, next := page.Next([]string{"a", "b", "c"}, w, id)
	if len(items) != 2 || next != page.Cursor("b") {
		t.Fatalf("got %v, %q", items, next)
	}
	items, next = page.Next([]string{"a", "b"}, w, id)
	if len(items) != 2 || next != "" {
		t.Fatalf("last page: got %v, %q", items, next)
	}
}

func TestNumberKeysRoundTripAndForgedOnesAreRefused(t *testing.T) {
	w, err := page.Request{Cursor: page.Cursor(page.NumberKey(42))}.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if n, ok, err := w.AfterNumber(); n != 42 || !ok || err != nil {
		t.Fatalf("AfterNumber = %d, %v, %v", n, ok, err)
	}
	if _, ok, err := (page.Window{}).AfterNumber(); ok || err != nil {
		t.Fatalf("the first page: %v, %v", ok, err)
	}
	forged, _ := page.Request{Cursor: page.Cursor("not-a-number")}.Parse()
	if _, _, err := forged.AfterNumber(); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("a forged cursor: %v", err)
	}
}
