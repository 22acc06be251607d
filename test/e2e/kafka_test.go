package e2e

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/core/event"
)

func brokers() []string { return strings.Split(sys.Brokers(), ",") }

// partitionKeys returns one key per partition, as the publisher's hash
// places them.
func partitionKeys(prefix string, partitions int) []string {
	all := make([]int, partitions)
	for i := range all {
		all[i] = i
	}
	keys := make([]string, partitions)
	found := 0
	for i := 0; found < partitions; i++ {
		k := fmt.Sprintf("%s-%d", prefix, i)
		p := kafkago.Murmur2Balancer{}.Balance(kafkago.Message{Key: []byte(k)}, all...)
		if keys[p] == "" {
			keys[p] = k
			found++
		}
	}
	return keys
}

// poison builds a record of eventType that no consumer can handle, in one
// of three ways.
func poison(eventType, key string, kind int) kafkago.Message {
	headers := []kafkago.Header{
		{Key: "ce_specversion", Value: []byte("1.0")}, {Key: "ce_id", Value: []byte("poison-" + key)},
		{Key: "ce_type", Value: []byte(eventType)}, {Key: "ce_time", Value: []byte(time.Now().UTC().Format(time.RFC3339Nano))},
		{Key: "content-type", Value: []byte("application/json")},
	}
	t := topic(eventType)
	switch kind % 3 {
	case 0: // not JSON
		return kafkago.Message{Topic: t, Key: []byte(key), Value: []byte("{this is not json"), Headers: headers}
	case 1: // no CloudEvents headers
		return kafkago.Message{Topic: t, Key: []byte(key), Value: []byte(`{"customerId":"` + key + `"}`)}
	}
	// valid JSON that breaks the contract: no timestamp, no snapshot
	return kafkago.Message{Topic: t, Key: []byte(key), Value: []byte(`{"customerId":"` + key + `"}`), Headers: headers}
}

// consumers maps each consumed topic to the services that consume it.
var consumers = map[string][]config.Kind{
	"notification.sent":            {config.Customer},
	"customer.profiled":            {config.Customer},
	"customer.onboarded":           {config.Profiling, config.Notifications},
	"customer.activated":           {config.Profiling, config.Notifications},
	"customer.deactivated":         {config.Profiling, config.Notifications},
	"customer.firstPayment":        {config.Profiling},
	"customer.promoted":            {config.Profiling, config.Notifications},
	"customer.promotion.activated": {config.Notifications},
	"customer.erased":              {config.Profiling, config.Notifications},
	"customer.preferencesChanged":  {config.Notifications},
}

func TestPoisonIsDeadLetteredWhileLaterMessagesStillFlow(t *testing.T) {
	run := fmt.Sprint(time.Now().UnixNano())
	var records []kafkago.Message
	for eventType := range consumers {
		for i, key := range partitionKeys("poison-"+eventType+"-"+run, 3) {
			records = append(records, poison(eventType, key, i))
		}
	}
	kafkatest.WriteRecords(t, brokers(), records...)

	// Everything after the poison still works: the whole lifecycle.
	id := onboard(t, "")
	notificationsOf(t, id, "welcome@email")
	post(t, customers()+"/customers/activate", `{"customerId":"`+id+`"}`)
	notificationsOf(t, id, "account-activated@email", "account-activated@sms")
	post(t, profiling()+"/profiling/promote", `{"customerId":"`+id+`","age":40,"income":120000,"creditScore":700}`)
	tierOf(t, id, "premium")
	post(t, customers()+"/customers/first-payment", `{"customerId":"`+id+`","amount":"99.90","currency":"EUR"}`)
	notificationsOf(t, id, "promotion@email", "first-payment-bonus@email")
	post(t, customers()+"/customers/deactivate", `{"customerId":"`+id+`"}`)
	notificationsOf(t, id, "account-deactivated@email")

	for eventType, kinds := range consumers {
		want := map[string]bool{}
		for _, key := range partitionKeys("poison-"+eventType+"-"+run, 3) {
			for _, k := range kinds {
				want[key+"@"+sys.Services[k].GroupID()] = true
			}
		}
		dead := kafkatest.ReadRecords(t, brokers(), topic(eventType)+".dlt", len(want), func(m kafkago.Message) bool {
			return want[string(m.Key)+"@"+kafkatest.Header(m, "dlt-consumer-group")]
		})
		for _, d := range dead {
			if kafkatest.Header(d, "dlt-original-topic") != topic(eventType) || kafkatest.Header(d, "dlt-error-kind") != "invalid" ||
				kafkatest.Header(d, "dlt-attempts") != "0" || kafkatest.Header(d, "dlt-original-offset") == "" || kafkatest.Header(d, "dlt-error") == "" {
				t.Fatalf("%s: dead letter headers %v", eventType, d.Headers)
			}
		}
	}
}

func TestARedeliveredEventHasNoSecondEffect(t *testing.T) {
	id := onboard(t, "")
	notificationsOf(t, id, "welcome@email")
	original := kafkatest.ReadRecords(t, brokers(), topic("customer.onboarded"), 1, func(m kafkago.Message) bool { return string(m.Key) == id })[0]
	before := handled(t, notifications(), "customer.onboarded") + handled(t, profiling(), "customer.onboarded")

	// The same event, same id, delivered again (kafka-go has no idempotent
	// producer: a retried write can land twice).
	kafkatest.WriteRecords(t, brokers(), kafkago.Message{Topic: original.Topic, Key: original.Key, Value: original.Value, Headers: original.Headers})
	eventually(t, "both consumers to take the copy", func() (bool, string) {
		after := handled(t, notifications(), "customer.onboarded") + handled(t, profiling(), "customer.onboarded")
		return after >= before+2, fmt.Sprint(before, " -> ", after)
	})
	d := do(t, "GET", notifications()+"/notifications?customerId="+id, "")
	if n := len(d.list("notifications")); n != 1 {
		t.Fatalf("the copy caused %d deliveries: %s", n, d.Raw)
	}
	box := do(t, "GET", notifications()+"/notifications/mailbox", "")
	for _, m := range box.list("mailbox") {
		if m["attempts"] != float64(1) {
			t.Fatalf("a message was handed to the provider twice: %v", m)
		}
	}
	p := do(t, "GET", profiling()+"/profiling/"+id, "")
	if p.get("version") != float64(1) {
		t.Fatalf("the copy changed the profile again: %s", p.Raw)
	}

	// The welcome's notification.sent again: the customer service keeps a
	// notification once by its id, without an inbox row.
	history := customers() + "/customers/" + id + "/notifications"
	eventually(t, "the welcome in the customer's history", func() (bool, string) {
		h := do(t, "GET", history, "")
		return len(h.list("notifications")) == 1, h.Raw
	})
	sent := kafkatest.ReadRecords(t, brokers(), topic("notification.sent"), 1, func(m kafkago.Message) bool { return string(m.Key) == id })[0]
	before = handled(t, customers(), "notification.sent")
	kafkatest.WriteRecords(t, brokers(), kafkago.Message{Topic: sent.Topic, Key: sent.Key, Value: sent.Value, Headers: sent.Headers})
	eventually(t, "the customer service to take the copy", func() (bool, string) {
		after := handled(t, customers(), "notification.sent")
		return after >= before+1, fmt.Sprint(before, " -> ", after)
	})
	if h := do(t, "GET", history, ""); len(h.list("notifications")) != 1 {
		t.Fatalf("the copy added to the customer's history: %s", h.Raw)
	}
}

// handled reads a service's count of handled messages of topic from
// /metrics.
func handled(t *testing.T, base, topic string) int {
	t.Helper()
	r := do(t, "GET", base+"/metrics", "")
	prefix := `kafka_messages_total{outcome="handled",topic="` + topic + `"} `
	for _, line := range strings.Split(r.Raw, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

func TestDeadLettersAreListedAndReplayedOverTheAPI(t *testing.T) {
	key := fmt.Sprint("dlt-api-", time.Now().UnixNano())
	kafkatest.WriteRecords(t, brokers(), poison(event.TopicOnboarded, key, 0))
	var letter map[string]any
	eventually(t, "the poison in the profiling service's dead letters", func() (bool, string) {
		for _, m := range deadLetters(t, profiling()+"/api/v1/profiling", 0) {
			if m["key"] == key {
				letter = m
				return true, ""
			}
		}
		return false, "not listed"
	})
	if letter["topic"] != event.TopicOnboarded || letter["kind"] != "invalid" || letter["error"] == "" || letter["group"] != sys.Services[config.Profiling].GroupID() {
		t.Fatalf("dead letter %v", letter)
	}
	// Each service lists its own: notifications, which consumes the topic
	// too, has one of its own; customer, which does not, has none.
	if r := do(t, "GET", customers()+"/customers/dead-letters", "").want(t, 200); strings.Contains(r.Raw, key) {
		t.Fatalf("the customer service lists another group's dead letter: %s", r.Raw)
	}

	body := fmt.Sprintf(`{"topic":%q,"partition":%v,"offset":%v}`, event.TopicOnboarded, letter["partition"], letter["offset"])
	if r := do(t, "POST", profiling()+"/profiling/dead-letters/replay", body).want(t, 200); r.get("replayed") != true {
		t.Fatalf("replay: %s", r.Raw)
	}
	// The replayed poison fails again: a second dead letter of it.
	eventually(t, "the replayed poison dead-lettered again", func() (bool, string) {
		n := 0
		for _, m := range deadLetters(t, profiling()+"/profiling", 0) {
			if m["key"] == key {
				n++
			}
		}
		return n == 2, fmt.Sprint(n, " listed")
	})
	if r := do(t, "POST", profiling()+"/profiling/dead-letters/replay", fmt.Sprintf(`{"topic":%q,"partition":0,"offset":999999999}`, event.TopicOnboarded)); r.Status != 404 ||
		r.str("code") != "dead_letter.not_found" || r.str("type") != "urn:problem-type:dead_letter.not_found" {
		t.Fatalf("replaying a dead letter that is not there: %d %s", r.Status, r.Raw)
	}
	if r := do(t, "POST", profiling()+"/profiling/dead-letters/replay", `{"topic":"customer.onboarded"}`); r.Status != 422 || !strings.Contains(r.Raw, "offset") {
		t.Fatalf("a replay naming no offset: %d %s", r.Status, r.Raw)
	}
}

// deadLetters lists every dead letter of the service at base (its
// resource's path), a page of limit at a time (the default when 0).
func deadLetters(t *testing.T, base string, limit int) []map[string]any {
	t.Helper()
	var all []map[string]any
	cursor := ""
	for {
		q := url.Values{}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		if limit > 0 {
			q.Set("limit", strconv.Itoa(limit))
		}
		r := do(t, "GET", base+"/dead-letters?"+q.Encode(), "").want(t, 200)
		page := r.list("deadLetters")
		if limit > 0 && len(page) > limit {
			t.Fatalf("a page of %d dead letters, asked for %d", len(page), limit)
		}
		all = append(all, page...)
		if cursor = r.str("nextCursor"); cursor == "" {
			return all
		}
	}
}

func TestDeadLettersAreListedAPageAtATime(t *testing.T) {
	prefix := fmt.Sprint("dlt-page-", time.Now().UnixNano())
	for i := range 5 {
		kafkatest.WriteRecords(t, brokers(), poison(event.TopicActivated, fmt.Sprint(prefix, "-", i), 0))
	}
	mine := func(letters []map[string]any) map[string]int {
		seen := map[string]int{}
		for _, l := range letters {
			if k, _ := l["key"].(string); strings.HasPrefix(k, prefix) {
				seen[k]++
			}
		}
		return seen
	}
	eventually(t, "the five poison records dead-lettered", func() (bool, string) {
		return len(mine(deadLetters(t, notifications()+"/notifications", 0))) == 5, ""
	})
	whole := deadLetters(t, notifications()+"/notifications", 0)
	paged := deadLetters(t, notifications()+"/notifications", 2)
	if len(paged) != len(whole) {
		t.Fatalf("%d dead letters by pages of 2, %d by the default page", len(paged), len(whole))
	}
	for k, n := range mine(paged) {
		if n != 1 {
			t.Fatalf("%s listed %d times across the pages", k, n)
		}
	}
	if r := do(t, "GET", notifications()+"/notifications/dead-letters?cursor=not-one-of-ours", ""); r.Status != 422 || !strings.Contains(r.Raw, "cursor") {
		t.Fatalf("a forged cursor: %d %s", r.Status, r.Raw)
	}
}
