package fault_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/fault"
)

func TestKindOfFindsTheKindThroughWrapping(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want fault.Kind
	}{
		{"a plain error is internal", errors.New("boom"), fault.Internal},
		{"an invalid error", fault.Invalidf("bad %s", "x"), fault.Invalid},
		{"a wrapped not found", fmt.Errorf("load: %w", fault.NotFoundf("customer %s", "c1")), fault.NotFound},
		{"a conflict", fault.Conflictf("taken"), fault.Conflict},
		{"an unauthorized", fault.New(fault.Unauthorized, "auth.required", "no key"), fault.Unauthorized},
		{"an unavailable", fault.Unavailablef("smtp down"), fault.Unavailable},
		{"a wrapped cause keeps the outer kind", fault.Wrap(fault.Conflict, errors.New("unique"), "email taken"), fault.Conflict},
	}
	for _, tt := range tests {
		if got := fault.KindOf(tt.err); got != tt.want {
			t.Errorf("%s: KindOf = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestOnlyInternalErrorsAreWorthRetrying(t *testing.T) {
	for _, k := range []fault.Kind{fault.Invalid, fault.NotFound, fault.Conflict, fault.Unauthorized} {
		if !k.Permanent() {
			t.Errorf("%v should be permanent", k)
		}
	}
	for _, k := range []fault.Kind{fault.Internal, fault.Unavailable} {
		if k.Permanent() {
			t.Errorf("%v errors may succeed on retry", k)
		}
	}
}

func TestKindNamesAreStable(t *testing.T) {
	want := map[fault.Kind]string{
		fault.Internal: "internal", fault.Invalid: "invalid", fault.NotFound: "not_found",
		fault.Conflict: "conflict", fault.Unauthorized: "unauthorized", fault.Unavailable: "unavailable",
		fault.Kind(42): "kind(42)",
	}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("Kind(%d).String() = %q, want %q", k, k.String(), s)
		}
	}
}

func TestSentinelsMatchTheirCopiesWithContext(t *testing.T) {
	sentinel := fault.New(fault.Conflict, "customer.not_active", "customer is not active")
	cause := errors.New("db")
	copied := sentinel.With("status is inactive", cause)
	if !errors.Is(copied, sentinel) {
		t.Fatal("a copy with context should match its sentinel")
	}
	if !errors.Is(fmt.Errorf("wrapped: %w", copied), sentinel) {
		t.Fatal("a wrapped copy should match its sentinel")
	}
	if !errors.Is(copied, cause) {
		t.Fatal("the copy should unwrap to its cause")
	}
	if copied.Message != "customer is not active: status is inactive" || sentinel.Message != "customer is not active" {
		t.Fatalf("With must not change the sentinel: %q / %q", copied.Message, sentinel.Message)
	}
	if same := sentinel.With("", nil); same.Message != sentinel.Message {
		t.Fatalf("empty detail changed the message: %q", same.Message)
	}
	other := fault.New(fault.Conflict, "customer.already_active", "x")
	if errors.Is(copied, other) {
		t.Fatal("different codes must not match")
	}
	if errors.Is(fault.Conflictf("x"), fault.Conflictf("x")) {
		t.Fatal("uncoded errors only match themselves")
	}
}

func TestFieldsReportEveryProblemAtOnce(t *testing.T) {
	var f fault.Fields
	if f.Err("nothing wrong") != nil {
		t.Fatal("no problems should give no error")
	}
	f.Add("email", "is required")
	f.Check("phone", errors.New("must be E.164"))
	f.Check("name", nil)
	var nested fault.Fields
	nested.Add("amount", "must be positive")
	f.Merge("payment", nested)
	err := f.Err("invalid customer")
	e, ok := fault.As(err)
	if !ok || e.Kind != fault.Invalid || len(e.Fields) != 3 {
		t.Fatalf("got %#v", err)
	}
	if e.Fields[2].Field != "payment.amount" {
		t.Fatalf("nested field = %q", e.Fields[2].Field)
	}
	want := "invalid customer: email is required; phone must be E.164; payment.amount must be positive"
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestErrorTextIncludesTheCauseForLogs(t *testing.T) {
	err := fault.Wrap(fault.Internal, errors.New("disk full"), "could not save")
	if err.Error() != "could not save: disk full" {
		t.Fatalf("Error() = %q", err.Error())
	}
	if _, ok := fault.As(errors.New("plain")); ok {
		t.Fatal("As found a fault in a plain error")
	}
}

func TestRetryAfterIsFoundWhereverTheErrorTreeHoldsIt(t *testing.T) {
	open := &fault.Error{Kind: fault.Unavailable, Message: "circuit open", RetryAfter: 3 * time.Second}
	tests := []struct {
		name string
		err  error
		want time.Duration
	}{
		{"on the error itself", open, 3 * time.Second},
		{"under a fault that names none", fault.Wrap(fault.Unavailable, open, "the provider is unavailable"), 3 * time.Second},
		{"inside a join", fault.Wrap(fault.Unavailable, errors.Join(errors.New("record failed"), fmt.Errorf("send: %w", open)), "x"), 3 * time.Second},
		{"nowhere", fault.Wrap(fault.Unavailable, errors.New("down"), "x"), 0},
		{"no error", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fault.RetryAfter(tt.err); got != tt.want {
				t.Fatalf("RetryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}
