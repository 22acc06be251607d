package devprovider_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/devprovider"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/ports/deliveries"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var now = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return now }

// mailboxes runs a test over each mailbox, each empty.
func mailboxes(t *testing.T, test func(t *testing.T, box devprovider.Mailbox)) {
	t.Run("in memory", func(t *testing.T) { test(t, devprovider.NewMemoryMailbox()) })
	t.Run("in a file", func(t *testing.T) {
		box, err := devprovider.OpenMailbox(context.Background(), filepath.Join(t.TempDir(), "mailbox.db"), quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = box.Close() })
		test(t, box)
	})
}

func TestConcurrentAcceptsAreEachStoredAndAnsweredWithTheirOwnMessage(t *testing.T) {
	mailboxes(t, func(t *testing.T, box devprovider.Mailbox) {
		const senders, keys = 32, 8 // four senders per key
		ctx := context.Background()
		type answer struct {
			key   string
			got   devprovider.Mail
			fresh bool
			err   error
		}
		answers := make(chan answer, senders)
		var wg sync.WaitGroup
		for i := range senders {
			wg.Go(func() {
				key := "k" + strconv.Itoa(i%keys)
				got, fresh, err := box.Accept(ctx, devprovider.Mail{IdempotencyKey: key, ProviderID: "p-" + key,
					Channel: "email", Recipient: key + "@example.es", Body: "b", AcceptedAt: now})
				answers <- answer{key, got, fresh, err}
			})
		}
		wg.Wait()
		close(answers)
		freshByKey := map[string]int{}
		for a := range answers {
			if a.err != nil || a.got.IdempotencyKey != a.key || a.got.Recipient != a.key+"@example.es" {
				t.Fatalf("Accept of %s = %+v, %v", a.key, a.got, a.err)
			}
			if a.fresh {
				freshByKey[a.key]++
			}
		}
		for i := range keys {
			key := "k" + strconv.Itoa(i)
			if freshByKey[key] != 1 {
				t.Errorf("%s was new to %d of its senders, want 1", key, freshByKey[key])
			}
		}
		stored, err := box.List(ctx, "", 100)
		if err != nil || len(stored) != keys {
			t.Fatalf("List = %d messages, %v; want %d", len(stored), err, keys)
		}
		for _, m := range stored {
			if m.Attempts != senders/keys {
				t.Errorf("%s counted %d attempts, want %d", m.IdempotencyKey, m.Attempts, senders/keys)
			}
		}
	})
}

func TestTheProviderDeliversEachIdempotencyKeyOnce(t *testing.T) {
	mailboxes(t, func(t *testing.T, box devprovider.Mailbox) {
		p := devprovider.NewProvider(box, fixedClock{}, quiet, devprovider.Options{})
		ctx := context.Background()
		first, err := p.SendEmail(ctx, deliveries.Email{ID: "d1", To: "ana@example.es", Subject: "s", Body: "b"})
		if err != nil {
			t.Fatal(err)
		}
		again, err := p.SendEmail(ctx, deliveries.Email{ID: "d1", To: "ana@example.es", Subject: "s", Body: "b"})
		if err != nil || again != first {
			t.Fatalf("a resend got provider id %q, want %q (%v)", again, first, err)
		}
		sms, err := p.SendSMS(ctx, deliveries.SMS{ID: "d2", To: "+34600111222", Body: "hola"})
		if err != nil || sms == first {
			t.Fatalf("SendSMS = %q, %v", sms, err)
		}
		m, fresh, err := box.Accept(ctx, devprovider.Mail{IdempotencyKey: "d1"})
		if err != nil || fresh || m.Attempts != 3 || m.Channel != "email" || m.Subject != "s" || !m.AcceptedAt.Equal(now) {
			t.Fatalf("mailbox entry = %+v, %v", m, err)
		}
		all, err := box.List(ctx, "", 10)
		if err != nil || len(all) != 2 {
			t.Fatalf("List = %+v, %v", all, err)
		}
		mine, err := box.List(ctx, "+34600111222", 10)
		if err != nil || len(mine) != 1 || mine[0].Body != "hola" || mine[0].Channel != "sms" {
			t.Fatalf("List to a recipient = %+v, %v", mine, err)
		}
		if one, _ := box.List(ctx, "", 1); len(one) != 1 {
			t.Fatalf("the limit was not kept: %+v", one)
		}
	})
}

func TestTheMailboxKeepsTheFirstMessageOfEachIdempotencyKey(t *testing.T) {
	mailboxes(t, func(t *testing.T, box devprovider.Mailbox) {
		ctx := context.Background()
		m := devprovider.Mail{IdempotencyKey: "k1", ProviderID: "p1", Channel: "email", Recipient: "ana@example.es",
			Subject: "s", Body: "b", AcceptedAt: now}
		got, fresh, err := box.Accept(ctx, m)
		if err != nil || !fresh || got.Attempts != 1 || got.ProviderID != "p1" {
			t.Fatalf("first accept = %+v, %v, %v", got, fresh, err)
		}
		again := m
		again.ProviderID, again.Body = "p2", "different"
		got, fresh, err = box.Accept(ctx, again)
		if err != nil || fresh || got.Attempts != 2 || got.ProviderID != "p1" || got.Body != "b" {
			t.Fatalf("second accept = %+v, %v, %v", got, fresh, err)
		}
		other := m
		other.IdempotencyKey, other.ProviderID, other.Recipient, other.AcceptedAt = "k2", "p2", "+34600111222", now.Add(time.Second)
		if _, _, err := box.Accept(ctx, other); err != nil {
			t.Fatal(err)
		}
		all, err := box.List(ctx, "", 10)
		if err != nil || len(all) != 2 || all[0].IdempotencyKey != "k2" {
			t.Fatalf("newest first: %+v, %v", all, err)
		}
	})
}

func TestTheFileMailboxKeepsWhatItAcceptedAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailbox.db")
	ctx := context.Background()
	box, err := devprovider.OpenMailbox(ctx, path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	p := devprovider.NewProvider(box, fixedClock{}, quiet, devprovider.Options{})
	id, err := p.SendEmail(ctx, deliveries.Email{ID: "d1", To: "ana@example.es", Subject: "s", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	_ = box.Close()
	box, err = devprovider.OpenMailbox(ctx, path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	p = devprovider.NewProvider(box, fixedClock{}, quiet, devprovider.Options{})
	again, err := p.SendEmail(ctx, deliveries.Email{ID: "d1", To: "ana@example.es", Subject: "s", Body: "b"})
	if err != nil || again != id {
		t.Fatalf("after a restart the resend got %q, want %q (%v)", again, id, err)
	}
}

func TestBounceAddressesAreRefusedForGood(t *testing.T) {
	p := devprovider.NewProvider(devprovider.NewMemoryMailbox(), fixedClock{}, quiet, devprovider.Options{})
	_, err := p.SendEmail(context.Background(), deliveries.Email{ID: "d", To: "x@" + devprovider.BounceDomain})
	if fault.KindOf(err) != fault.Invalid {
		t.Fatalf("email: %v", err)
	}
	_, err = p.SendSMS(context.Background(), deliveries.SMS{ID: "d", To: devprovider.BouncePrefix + "1234567"})
	if fault.KindOf(err) != fault.Invalid {
		t.Fatalf("sms: %v", err)
	}
}

func TestSimulatedFailuresAreTransient(t *testing.T) {
	p := devprovider.NewProvider(devprovider.NewMemoryMailbox(), fixedClock{}, quiet,
		devprovider.Options{FailureRate: 0.5, Random: func() float64 { return 0.4 }})
	if _, err := p.SendSMS(context.Background(), deliveries.SMS{ID: "d", To: "+34600111222"}); fault.KindOf(err) != fault.Unavailable {
		t.Fatalf("error = %v", err)
	}
	lucky := devprovider.NewProvider(devprovider.NewMemoryMailbox(), fixedClock{}, quiet,
		devprovider.Options{FailureRate: 0.5, Random: func() float64 { return 0.6 }})
	if _, err := lucky.SendSMS(context.Background(), deliveries.SMS{ID: "d", To: "+34600111222"}); err != nil {
		t.Fatal(err)
	}
}

func TestLatencyRespectsCancellation(t *testing.T) {
	p := devprovider.NewProvider(devprovider.NewMemoryMailbox(), fixedClock{}, quiet, devprovider.Options{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.SendEmail(ctx, deliveries.Email{ID: "d", To: "a@example.com"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v", err)
	}
}

func TestTheHandlerShowsTheMailboxNewestFirst(t *testing.T) {
	box := devprovider.NewMemoryMailbox()
	p := devprovider.NewProvider(box, fixedClock{}, quiet, devprovider.Options{})
	for _, to := range []string{"a@example.com", "b@example.com"} {
		if _, err := p.SendEmail(context.Background(), deliveries.Email{ID: to, To: to, Subject: "s", Body: "code 1234"}); err != nil {
			t.Fatal(err)
		}
	}
	rec := httptest.NewRecorder()
	devprovider.Handler(box, quiet).ServeHTTP(rec, httptest.NewRequest("GET", "/notifications/mailbox?to=b@example.com", nil))
	var got struct {
		Mailbox []map[string]any `json:"mailbox"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK ||
		rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
	}
	if len(got.Mailbox) != 1 || got.Mailbox[0]["recipient"] != "b@example.com" || got.Mailbox[0]["body"] != "code 1234" ||
		got.Mailbox[0]["attempts"] != 1.0 {
		t.Fatalf("mailbox = %+v", got.Mailbox)
	}
}

func TestTheHandlerSaysWhenTheMailboxIsUnavailable(t *testing.T) {
	box, err := devprovider.OpenMailbox(context.Background(), filepath.Join(t.TempDir(), "mailbox.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	_ = box.Close()
	rec := httptest.NewRecorder()
	devprovider.Handler(box, quiet).ServeHTTP(rec, httptest.NewRequest("GET", "/notifications/mailbox", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Content-Type") != "application/problem+json" ||
		rec.Header().Get("Retry-After") == "" {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

func TestAnOutageLastsWhileItsFileExists(t *testing.T) {
	file := filepath.Join(t.TempDir(), "provider-down")
	p := devprovider.NewProvider(devprovider.NewMemoryMailbox(), fixedClock{}, quiet, devprovider.Options{OutageFile: file})
	if _, err := p.SendSMS(context.Background(), deliveries.SMS{ID: "d1", To: "+34600111222", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendSMS(context.Background(), deliveries.SMS{ID: "d2", To: "+34600111222", Body: "x"}); fault.KindOf(err) != fault.Unavailable {
		t.Fatalf("during the outage: %v", err)
	}
	_ = os.Remove(file)
	if _, err := p.SendSMS(context.Background(), deliveries.SMS{ID: "d2", To: "+34600111222", Body: "x"}); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
}

func TestABugLastsWhileItsFileExists(t *testing.T) {
	file := filepath.Join(t.TempDir(), "provider-bug")
	box := devprovider.NewMemoryMailbox()
	p := devprovider.NewProvider(box, fixedClock{}, quiet, devprovider.Options{BugFile: file})
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("a send while the bug file exists must panic")
			}
		}()
		_, _ = p.SendSMS(context.Background(), deliveries.SMS{ID: "d1", To: "+34600111222", Body: "x"})
	}()
	if mail, _ := box.List(context.Background(), "", 10); len(mail) != 0 {
		t.Fatalf("a panicking send must not deliver: %v", mail)
	}
	_ = os.Remove(file)
	if _, err := p.SendSMS(context.Background(), deliveries.SMS{ID: "d1", To: "+34600111222", Body: "x"}); err != nil {
		t.Fatalf("after the fix: %v", err)
	}
}

func TestACrashIsInjectedAfterTheNthAcceptedMessage(t *testing.T) {
	box := devprovider.NewMemoryMailbox()
	var code int
	p := devprovider.NewProvider(box, fixedClock{}, quiet, devprovider.Options{CrashAfter: 2, Exit: func(c int) { code = c }})
	for i, id := range []string{"d1", "d2"} {
		if _, err := p.SendSMS(context.Background(), deliveries.SMS{ID: id, To: "+34600111222", Body: "x"}); err != nil {
			t.Fatal(err)
		}
		if want := map[int]int{0: 0, 1: 137}[i]; code != want {
			t.Fatalf("after %d sends, exit code %d", i+1, code)
		}
	}
	if mail, _ := box.List(context.Background(), "", 10); len(mail) != 2 {
		t.Fatalf("the crash must come after the provider kept the message: %v", mail)
	}
}

// TestTheFileMailboxLogStaysBounded: SQLite copies the log back into the
// file every 1,000 pages, so it never holds much more than 4 MB of them,
// however many messages are accepted.
func TestTheFileMailboxLogStaysBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mailbox.db")
	ctx := context.Background()
	box, err := devprovider.OpenMailbox(ctx, path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer box.Close()
	for i := range 3000 {
		n := strconv.Itoa(i)
		if _, _, err := box.Accept(ctx, devprovider.Mail{IdempotencyKey: "k" + n, ProviderID: "p" + n, Channel: "email",
			Recipient: "ana@example.es", Subject: "s", Body: "b", AcceptedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	log, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if limit := int64(1100 * (4096 + 24)); log.Size() > limit {
		t.Errorf("after 3,000 messages the log holds %d bytes, more than 1,100 pages (%d)", log.Size(), limit)
	}
}
