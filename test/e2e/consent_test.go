package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// deliveriesOf waits until the customer's deliveries hold every
// template@channel:status in want, and returns them.
func deliveriesOf(t *testing.T, id string, want ...string) []map[string]any {
	t.Helper()
	var got []map[string]any
	eventually(t, fmt.Sprintf("deliveries %v of %s", want, id), func() (bool, string) {
		r := do(t, "GET", notifications()+"/notifications?customerId="+id, "").want(t, http.StatusOK)
		got = r.list("notifications")
		have := map[string]bool{}
		for _, n := range got {
			have[fmt.Sprint(n["template"], "@", n["channel"], ":", n["status"])] = true
		}
		for _, w := range want {
			if !have[w] {
				return false, r.Raw
			}
		}
		return true, ""
	})
	return got
}

func TestMessagesFollowTheCustomersConsentAndItsChanges(t *testing.T) {
	id := onboard(t, `,"channels":["email"],"marketingConsent":false`)
	c := do(t, "GET", customers()+"/customers/"+id, "").want(t, http.StatusOK)
	if c.get("preferences", "sms", "given") != false || c.str("preferences", "marketing", "via") != "onboarding" {
		t.Fatalf("preferences = %s", c.Raw)
	}
	post(t, customers()+"/customers/activate", `{"customerId":"`+id+`"}`)
	post(t, customers()+"/customers/first-payment", `{"customerId":"`+id+`","amount":"90.00"}`)
	ds := deliveriesOf(t, id, "welcome@email:sent", "account-activated@email:sent", "account-activated@sms:skipped",
		"first-payment-bonus@email:skipped")
	for _, d := range ds {
		if d["status"] == "skipped" && !strings.Contains(fmt.Sprint(d["error"]), "customer") {
			t.Fatalf("skipped without a reason: %v", d)
		}
	}

	r := post(t, customers()+"/customers/"+id+"/preferences", `{"channels":["email","sms"],"marketingConsent":true,"language":"en"}`)
	if r.get("customer", "preferences", "marketing", "given") != true || r.str("customer", "preferences", "marketing", "via") != "api" ||
		r.str("customer", "language") != "en" {
		t.Fatalf("preferences answered %s", r.Raw)
	}
	do(t, "POST", customers()+"/customers/"+id+"/preferences", `{"channels":["fax"]}`).want(t, http.StatusUnprocessableEntity)
	post(t, customers()+"/customers/promote", `{"customerId":"`+id+`","newTier":"premium"}`)
	for _, d := range deliveriesOf(t, id, "promotion@email:sent") {
		if d["template"] == "promotion" && !strings.Contains(fmt.Sprint(d["subject"]), "premium") {
			t.Fatalf("promotion = %v", d)
		}
	}
	h := do(t, "GET", customers()+"/customers/"+id+"/history", "").want(t, http.StatusOK)
	found := false
	for _, e := range h.list("history") {
		found = found || (e["action"] == "preferences" && e["to"] == "email+sms, marketing, en")
	}
	if !found {
		t.Fatalf("history = %s", h.Raw)
	}
}
