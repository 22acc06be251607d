package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/core/event"
)

func TestAnErasedCustomerLeavesNoTraceInAnswersFilesMailboxOrLaterRecords(t *testing.T) {
	unique := fmt.Sprint(time.Now().UnixNano() % 1_000_000_000)
	name := "Erin Vasquez" + unique
	email := newEmail(t)
	phone := "+3461" + fmt.Sprintf("%08d", time.Now().UnixNano()%100_000_000)
	document := "X" + unique
	secrets := []string{email, phone, name, document}

	// Every flow: onboarding (with an idempotency key), activation, the
	// first payment and its bonus, a promotion, a message on request.
	body := fmt.Sprintf(`{"name":%q,"email":%q,"phone":%q,"documentType":"DNI","documentNumber":%q,"birthDate":"1988-02-03"}`,
		name, email, phone, document)
	id := do(t, "POST", customers()+"/customers/onboard", body, "Idempotency-Key", "erase-"+unique).want(t, http.StatusCreated).str("customerId")
	post(t, customers()+"/customers/activate", `{"customerId":"`+id+`","reason":"KYC passed"}`)
	post(t, customers()+"/customers/first-payment", `{"customerId":"`+id+`","amount":"250.00","currency":"EUR"}`)
	post(t, profiling()+"/profiling/promote", `{"customerId":"`+id+`","age":36,"income":75000,"creditScore":720,"isFirstPayment":true}`)
	do(t, "POST", notifications()+"/notifications/email", `{"to":`+fmt.Sprintf("%q", email)+`,"customerId":"`+id+`","subject":"Hola `+name+`","body":"Hola `+name+`"}`).
		want(t, http.StatusCreated)
	notificationsOf(t, id, "welcome@email", "account-activated@email", "account-activated@sms", "first-payment-bonus@email", "promotion@email")
	tierOf(t, id, "premium")

	if inFiles(t, secrets) == "" {
		t.Fatal("the search finds nothing in the files even before the erasure")
	}
	before := endOffsets(t)
	r := post(t, customers()+"/customers/"+id+"/erase", "")
	if r.str("customer", "status") != "erased" {
		t.Fatalf("erase answered %s", r.Raw)
	}
	again := post(t, customers()+"/customers/"+id+"/erase", "")
	if again.get("customer", "version") != r.get("customer", "version") {
		t.Fatalf("a second erasure changed the customer: %s then %s", r.Raw, again.Raw)
	}

	// The other services act on customer.erased.
	eventually(t, "profiling to drop the profile", func() (bool, string) {
		p := do(t, "GET", profiling()+"/profiling/"+id, "")
		return p.Status == http.StatusNotFound && p.str("code") == "profile.erased", p.Raw
	})
	eventually(t, "notifications to erase the deliveries", func() (bool, string) {
		d := do(t, "GET", notifications()+"/notifications?customerId="+id, "").want(t, http.StatusOK)
		for _, n := range d.list("notifications") {
			if n["recipient"] != "" {
				return false, d.Raw
			}
		}
		return len(d.list("notifications")) > 0, d.Raw
	})

	// Later requests and events about the customer are refused.
	do(t, "POST", customers()+"/customers/deactivate", `{"customerId":"`+id+`"}`).want(t, http.StatusConflict)
	do(t, "POST", profiling()+"/profiling/promote", `{"customerId":"`+id+`","age":40}`).want(t, http.StatusNotFound)
	do(t, "POST", notifications()+"/notifications/sms", `{"to":"+34600999888","customerId":"`+id+`","message":"hi"}`).want(t, http.StatusConflict)

	answers := func() string {
		var all strings.Builder
		for _, url := range []string{
			customers() + "/customers/" + id, customers() + "/customers/" + id + "/history",
			customers() + "/customers/" + id + "/notifications", customers() + "/customers?email=" + email,
			profiling() + "/profiling/" + id, notifications() + "/notifications?customerId=" + id,
			notifications() + "/notifications/mailbox?to=" + email, notifications() + "/notifications/mailbox?to=" + phone,
		} {
			all.WriteString(do(t, "GET", url, "").Raw)
		}
		return all.String()
	}
	eventually(t, "no trace of the customer", func() (bool, string) {
		if where := find(secrets, "the API's answers", []byte(answers())); where != "" {
			return false, where
		}
		if where := inFiles(t, secrets); where != "" {
			return false, where
		}
		return true, ""
	})
	if where := inRecords(t, before, secrets); where != "" {
		t.Fatalf("a record written after the erasure holds %s", where)
	}
}

// find returns which secret data holds, and where, or "".
func find(secrets []string, where string, data []byte) string {
	lower := bytes.ToLower(data)
	for _, s := range secrets {
		if bytes.Contains(lower, bytes.ToLower([]byte(s))) {
			return fmt.Sprintf("%q in %s", s, where)
		}
	}
	return ""
}

// inFiles searches every file of the data directory but the broker's log
// (Kafka keeps records until their retention passes: inRecords reads
// those written since) and the services' own log.
func inFiles(t *testing.T, secrets []string) string {
	t.Helper()
	var found string
	err := filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "kafka":
			return filepath.SkipDir
		case d.IsDir() || path == logFile:
			return nil
		}
		data, err := os.ReadFile(path)
		if os.IsNotExist(err) { // a log removed meanwhile
			return nil
		}
		if err != nil {
			return err
		}
		if where := find(secrets, path, data); where != "" {
			found = where
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// endOffsets returns where every partition of every topic of the catalog
// and its dead-letter topic ends now.
func endOffsets(t *testing.T) map[string]map[int]int64 {
	t.Helper()
	client := &kafkago.Client{Addr: kafkago.TCP(brokers()...), Timeout: 10 * time.Second}
	var topics []string
	for _, tp := range event.Topics() {
		topics = append(topics, topic(tp), topic(tp)+event.DeadLetterSuffix)
	}
	meta, err := client.Metadata(context.Background(), &kafkago.MetadataRequest{Topics: topics})
	if err != nil {
		t.Fatal(err)
	}
	req := &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{}}
	for _, tp := range meta.Topics {
		if tp.Error != nil {
			continue // a dead-letter topic nobody created
		}
		for _, p := range tp.Partitions {
			req.Topics[tp.Name] = append(req.Topics[tp.Name], kafkago.LastOffsetOf(p.ID))
		}
	}
	var out map[string]map[int]int64
	eventually(t, "the topics' end offsets", func() (bool, string) {
		res, err := client.ListOffsets(context.Background(), req)
		if err != nil {
			return false, err.Error()
		}
		out = map[string]map[int]int64{}
		for name, parts := range res.Topics {
			out[name] = map[int]int64{}
			for _, p := range parts {
				if p.Error != nil { // a leader not serving yet, on a topic just created
					return false, fmt.Sprintf("offsets of %s/%d: %v", name, p.Partition, p.Error)
				}
				out[name][p.Partition] = p.LastOffset
			}
		}
		return true, ""
	})
	return out
}

// inRecords reads every record written since from, to the end of each
// partition now, and returns which secret one holds, or "".
func inRecords(t *testing.T, from map[string]map[int]int64, secrets []string) string {
	t.Helper()
	to := endOffsets(t)
	for name, parts := range from {
		for p, start := range parts {
			end := to[name][p]
			if end <= start {
				continue
			}
			r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: brokers(), Topic: name, Partition: p, MaxWait: 100 * time.Millisecond})
			if err := r.SetOffset(start); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			for offset := start; offset < end; offset++ {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					cancel()
					r.Close()
					t.Fatalf("read %s/%d at %d: %v", name, p, offset, err)
				}
				data := append(append([]byte{}, m.Key...), m.Value...)
				for _, h := range m.Headers {
					data = append(append(data, h.Key...), h.Value...)
				}
				if where := find(secrets, fmt.Sprintf("%s/%d at %d", name, p, m.Offset), data); where != "" {
					cancel()
					r.Close()
					return where
				}
			}
			cancel()
			r.Close()
		}
	}
	return ""
}
