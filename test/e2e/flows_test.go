package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
)

func TestOnboardingWelcomesAndProfilesTheCustomer(t *testing.T) {
	id := onboard(t, `,"birthDate":"1990-05-17","language":"en"`)
	ns := notificationsOf(t, id, "welcome@email")
	if ns[0]["subject"] != "Welcome, Ana López!" || ns[0]["status"] != "sent" {
		t.Fatalf("welcome = %v", ns[0])
	}
	eventually(t, "the profile", func() (bool, string) {
		p := do(t, "GET", profiling()+"/profiling/"+id, "")
		return p.Status == http.StatusOK && p.str("facts", "birthDate") == "1990-05-17" && p.str("facts", "status") == "onboarded", p.Raw
	})
	d := do(t, "GET", notifications()+"/notifications?customerId="+id, "").want(t, http.StatusOK)
	sent := d.list("notifications")
	if len(sent) != 1 || sent[0]["template"] != "welcome" || sent[0]["triggeredBy"].(map[string]any)["eventType"] != "customer.onboarded" {
		t.Fatalf("deliveries = %s", d.Raw)
	}
}

func TestActivationAndDeactivationAreConfirmed(t *testing.T) {
	id := onboard(t, "")
	post(t, customers()+"/customers/activate", `{"customerId":"`+id+`","reason":"KYC passed"}`)
	notificationsOf(t, id, "welcome@email", "account-activated@email", "account-activated@sms")
	post(t, customers()+"/api/v1/customers/deactivate", `{"customerId":"`+id+`","reason":"requested by the customer"}`)
	ns := notificationsOf(t, id, "account-deactivated@email")
	for _, n := range ns {
		if n["template"] == "account-deactivated" && !strings.Contains(fmt.Sprint(n["subject"]), "desactivada") {
			t.Fatalf("a Spanish customer got %v", n)
		}
	}
	eventually(t, "profiling to see the deactivation", func() (bool, string) {
		p := do(t, "GET", profiling()+"/profiling/"+id, "")
		return p.str("facts", "status") == "inactive", p.Raw
	})
	h := do(t, "GET", customers()+"/customers/"+id+"/history", "").want(t, http.StatusOK)
	var steps []string
	for _, e := range h.list("history") {
		steps = append(steps, fmt.Sprint(e["action"], ":", e["from"], "->", e["to"]))
	}
	if strings.Join(steps, " ") != "onboard:->onboarded activate:onboarded->active deactivate:active->inactive" {
		t.Fatalf("history = %v", steps)
	}
}

func TestAFirstPaymentEarnsTheBonus(t *testing.T) {
	id := onboard(t, "")
	post(t, customers()+"/customers/activate", `{"customerId":"`+id+`"}`)
	r := post(t, customers()+"/customers/first-payment", `{"customerId":"`+id+`","amount":"250.00","currency":"EUR","paymentMethod":"debit_card"}`)
	if r.str("customer", "firstPayment", "amount") != "250.00" {
		t.Fatalf("payment = %s", r.Raw)
	}
	ns := notificationsOf(t, id, "first-payment-bonus@email")
	for _, n := range ns {
		if n["template"] == "first-payment-bonus" && !strings.Contains(fmt.Sprint(n["subject"]), "60%") {
			t.Fatalf("bonus email = %v", n)
		}
	}
	p := do(t, "GET", profiling()+"/profiling/"+id, "").want(t, http.StatusOK)
	promos := p.list("promotions")
	if len(promos) != 1 || promos[0]["code"] != "FIRST_PAYMENT_BONUS" || promos[0]["discountPercent"] != float64(60) || promos[0]["active"] != true {
		t.Fatalf("promotions = %s", p.Raw)
	}
	do(t, "POST", customers()+"/customers/first-payment", `{"customerId":"`+id+`","amount":"10","currency":"EUR"}`).want(t, http.StatusConflict)
}

func TestProfilingPromotesAnEligibleCustomer(t *testing.T) {
	id := onboard(t, "")
	post(t, customers()+"/customers/activate", `{"customerId":"`+id+`"}`)
	notificationsOf(t, id, "account-activated@email") // profiling has seen the activation too, soon
	r := post(t, profiling()+"/profiling/promote", `{"customerId":"`+id+`","age":28,"income":75000,"creditScore":720,"isFirstPayment":true}`)
	if r.get("promoted") != true || r.str("profile", "evaluation", "recommendedTier") != "premium" {
		t.Fatalf("profiling = %s", r.Raw)
	}
	c := tierOf(t, id, "premium")
	if c.get("version") == nil {
		t.Fatal(c.Raw)
	}
	ns := notificationsOf(t, id, "promotion@email")
	for _, n := range ns {
		if n["template"] == "promotion" && !strings.Contains(fmt.Sprint(n["subject"]), "premium") {
			t.Fatalf("promotion email = %v", n)
		}
	}
	h := do(t, "GET", customers()+"/customers/"+id+"/history", "")
	last := h.list("history")[len(h.list("history"))-1]
	if last["action"] != "promote" || last["source"] != "profiling" || last["to"] != "premium" {
		t.Fatalf("last history entry = %v", last)
	}
}

func TestManualPromotionOnBothRoutes(t *testing.T) {
	id := onboard(t, "")
	post(t, customers()+"/customers/activate", `{"customerId":"`+id+`"}`)
	post(t, customers()+"/customers/promote/"+id, "")
	tierOf(t, id, "premium")
	post(t, customers()+"/api/v1/customers/promote", `{"customerId":"`+id+`","reason":"ten years with us"}`)
	tierOf(t, id, "vip")
	eventually(t, "two promotion emails", func() (bool, string) {
		n := 0
		for _, x := range notificationsOf(t, id, "promotion@email") {
			if x["template"] == "promotion" {
				n++
			}
		}
		return n == 2, fmt.Sprint(n)
	})
	do(t, "POST", customers()+"/customers/promote/"+id, "").want(t, http.StatusConflict)
}

func TestCustomersAreListedAndPaged(t *testing.T) {
	ids := map[string]bool{}
	for range 3 {
		ids[onboard(t, "")] = true
	}
	seen := 0
	next := ""
	for pages := 0; pages < 100; pages++ {
		r := do(t, "GET", customers()+"/customers?status=onboarded&limit=2&cursor="+next, "").want(t, http.StatusOK)
		for _, c := range r.list("customers") {
			if ids[c["id"].(string)] {
				seen++
			}
			if c["status"] != "onboarded" {
				t.Fatalf("filter leaked %v", c)
			}
		}
		if next = r.str("nextCursor"); next == "" {
			break
		}
	}
	if seen != 3 {
		t.Fatalf("paging found %d of 3 new customers", seen)
	}
}

// TestAnActivationArrivingAfterTheDeactivationIsNotAnnounced: activated and
// deactivated are different topics, so their order is not guaranteed. An
// activation handled after the deactivation that followed it must not tell
// the customer their account is active.
func TestAnActivationArrivingAfterTheDeactivationIsNotAnnounced(t *testing.T) {
	id := onboard(t, "")
	post(t, customers()+"/customers/activate", `{"customerId":"`+id+`"}`)
	notificationsOf(t, id, "account-activated@email")
	activated := kafkatest.ReadRecords(t, brokers(), topic("customer.activated"), 1, func(m kafkago.Message) bool { return string(m.Key) == id })[0]
	post(t, customers()+"/customers/deactivate", `{"customerId":"`+id+`","reason":"fraud review"}`)
	notificationsOf(t, id, "account-deactivated@email")

	// The same activation, delivered late as a new event.
	late := kafkago.Message{Topic: activated.Topic, Key: activated.Key, Value: activated.Value}
	for _, h := range activated.Headers {
		if h.Key == "ce_id" {
			h.Value = []byte("late-" + id)
		}
		late.Headers = append(late.Headers, h)
	}
	kafkatest.WriteRecords(t, brokers(), late)
	var skipped []map[string]any
	eventually(t, "the late activation to be recorded as skipped", func() (bool, string) {
		r := do(t, "GET", notifications()+"/notifications?customerId="+id, "")
		skipped = skipped[:0]
		for _, d := range r.list("notifications") {
			if d["status"] == "skipped" {
				skipped = append(skipped, d)
			}
		}
		return len(skipped) == 2, r.Raw
	})
	for _, d := range skipped {
		if d["template"] != "account-activated" || !strings.Contains(fmt.Sprint(d["error"]), "stale") {
			t.Fatalf("skipped = %v", d)
		}
	}
	email := skipped[0]["recipient"]
	if skipped[0]["channel"] != "email" {
		email = skipped[1]["recipient"]
	}
	box := do(t, "GET", notifications()+"/notifications/mailbox?to="+fmt.Sprint(email), "")
	activations := 0
	for _, m := range box.list("mailbox") {
		if strings.Contains(fmt.Sprint(m["subject"]), "activada") {
			activations++
		}
	}
	if activations != 1 {
		t.Fatalf("the activation email went out %d times: %s", activations, box.Raw)
	}
}

func TestEachServiceDescribesTheTopicsItSendsAndReceivesInAsyncAPI(t *testing.T) {
	for base, dead := range map[string][2]string{ // the dead-letter topic it writes, and one it does not
		customers() + "/api/v1/customers":         {"customer.profiled.dlt", "customer.onboarded.dlt"},
		profiling() + "/profiling":                {"customer.onboarded.dlt", "notification.sent.dlt"},
		notifications() + "/api/v1/notifications": {"customer.promotion.activated.dlt", "customer.profiled.dlt"},
	} {
		doc := do(t, "GET", base+"/asyncapi.json", "").want(t, http.StatusOK)
		if doc.str("asyncapi") != "3.0.0" || !strings.Contains(doc.Raw, `"address": "`+dead[0]+`"`) ||
			strings.Contains(doc.Raw, `"address": "`+dead[1]+`"`) {
			t.Errorf("%s/asyncapi.json, which should describe %s and not %s = %.300s", base, dead[0], dead[1], doc.Raw)
		}
	}
}
