// Package ui drives the web console in a real browser (Debian's chromium,
// through chromedp) against the whole system: the journeys of the original's
// five flows, a refused request, and a profiling dry run. It saves a
// screenshot of each page under output/, for a reviewer to look at.
// `make test-ui` installs chromium when it is missing; without it these
// tests skip.
package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/test/stacktest"
)

// browser returns a context of a new headless chromium tab, closed when
// the test ends.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		t.Skip("no chromium: make test-ui installs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1200, 1600),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp's protocol types lag behind Debian's chromium: events it
	// cannot read are noise, anything else goes to the test's log.
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithErrorf(func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "could not unmarshal event") {
			t.Log(msg)
		}
	}))
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // waits for the browser to close, before its data directory goes
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser, which lives as long as the context
	// of that run: this one, not a run's own with its deadline.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run runs actions with a deadline, failing the test with what was being
// done.
func run(t *testing.T, ctx context.Context, what string, within time.Duration, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// screenshot saves the page as output/<name>.png.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var png []byte
	run(t, ctx, "screenshot "+name, 10*time.Second, chromedp.FullScreenshot(&png, 100))
	if err := os.MkdirAll("output", 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("output", name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: test/ui/%s", path)
}

// waitText waits until the element of sel holds each of texts. A page
// being replaced (a form's answer, the timeline's refresh) is read again.
func waitText(t *testing.T, ctx context.Context, sel string, within time.Duration, texts ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	var got string
	var err error
	for {
		read, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = chromedp.Run(read, chromedp.Text(sel, &got, chromedp.ByQuery))
		cancel()
		missing := ""
		for _, want := range texts {
			if !strings.Contains(got, want) {
				missing = want
				break
			}
		}
		if err == nil && missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not show %q within %s (%v); it shows:\n%s", sel, missing, within, err, got)
		}
		time.Sleep(100 * time.Millisecond) // polling interval
	}
}

// submit sends the form of sel and waits for the page that answers it: a
// new document, which has not the mark the old one was given, loaded.
func submit(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	run(t, ctx, "submit "+sel, 20*time.Second,
		chromedp.Evaluate(`window.answered = false`, nil),
		chromedp.Click(sel+" button", chromedp.ByQuery))
	deadline := time.Now().Add(20 * time.Second)
	for {
		var loaded bool
		read, cancel := context.WithTimeout(ctx, 5*time.Second)
		// Fails while the old document goes: asked again.
		err := chromedp.Run(read, chromedp.Evaluate(`window.answered === undefined && document.readyState === "complete"`, &loaded))
		cancel()
		if err == nil && loaded {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer to %s within 20s (%v)", sel, err)
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}
}

func TestTheConsoleRunsTheFlowsOfTheOriginal(t *testing.T) {
	ctx := browser(t)
	env, _ := stacktest.Env("ui", t.TempDir())
	st := stacktest.Start(t, env)
	console := st.ConsoleURL()
	if console == "" {
		t.Fatal("the stack started no console")
	}
	email := fmt.Sprintf("ana.%d@example.com", time.Now().UnixNano())
	var customerPage string

	t.Run("onboarding from the form shows the welcome email within 2 s", func(t *testing.T) {
		run(t, ctx, "onboard", 20*time.Second,
			chromedp.Navigate(console+"/"),
			chromedp.WaitVisible("#onboard-form", chromedp.ByQuery),
			chromedp.SendKeys("#name", "Ana Consola", chromedp.ByQuery),
			chromedp.SendKeys("#email", email, chromedp.ByQuery),
			chromedp.SendKeys("#phone", "+34600111222", chromedp.ByQuery),
			chromedp.SendKeys("#birthDate", "1990-05-17", chromedp.ByQuery))
		submit(t, ctx, "#onboard-form")
		waitText(t, ctx, "#timeline", 2*time.Second, "onboard: onboarded", "email welcome sent")
		waitText(t, ctx, "#preferences", time.Second, "email yes (default", "marketing yes (default")
		run(t, ctx, "read the page's address", 5*time.Second, chromedp.Location(&customerPage))
		screenshot(t, ctx, "customer-onboarded")
	})

	t.Run("activating shows the activation email and SMS", func(t *testing.T) {
		run(t, ctx, "activate", 20*time.Second, chromedp.SendKeys("#activate-reason", "KYC completado", chromedp.ByQuery))
		submit(t, ctx, "#activate-form")
		waitText(t, ctx, "#timeline", 5*time.Second, "activate: onboarded → active", "email account-activated sent", "sms account-activated sent")
		waitText(t, ctx, "#status", time.Second, "active")
	})

	t.Run("a first payment shows the bonus with its expiry", func(t *testing.T) {
		run(t, ctx, "first payment", 20*time.Second,
			chromedp.SendKeys("#first-payment-amount", "150.50", chromedp.ByQuery),
			chromedp.SendKeys("#first-payment-currency", "EUR", chromedp.ByQuery))
		submit(t, ctx, "#first-payment-form")
		waitText(t, ctx, "#timeline", 5*time.Second, "first-payment: unpaid → 150.50 EUR", "FIRST_PAYMENT_BONUS: 60% off, active", "expires ")
		screenshot(t, ctx, "customer-journey")
	})

	t.Run("a refused request shows the field's error and changes nothing", func(t *testing.T) {
		var before string
		run(t, ctx, "read the timeline", 5*time.Second, chromedp.Text("#timeline", &before, chromedp.ByQuery))
		run(t, ctx, "a first payment of abc", 20*time.Second, chromedp.SendKeys("#first-payment-amount", "abc", chromedp.ByQuery))
		submit(t, ctx, "#first-payment-form")
		waitText(t, ctx, "#first-payment-amount-error", time.Second, "must be")
		var invalid string
		var ok bool
		run(t, ctx, "read the field", 5*time.Second, chromedp.AttributeValue("#first-payment-amount", "aria-invalid", &invalid, &ok, chromedp.ByQuery))
		if invalid != "true" {
			t.Errorf("the amount field is not marked invalid (aria-invalid=%q)", invalid)
		}
		screenshot(t, ctx, "customer-refused")
		var after string
		run(t, ctx, "read the timeline", 5*time.Second, chromedp.Text("#timeline", &after, chromedp.ByQuery))
		if strings.Count(after, "first-payment:") != strings.Count(before, "first-payment:") {
			t.Errorf("the refused payment changed the journey:\n%s", after)
		}
	})

	t.Run("profiling with facts promotes the customer when the rules say so", func(t *testing.T) {
		run(t, ctx, "profile", 20*time.Second,
			chromedp.SendKeys("#profile-age", "40", chromedp.ByQuery),
			chromedp.SendKeys("#profile-income", "120000", chromedp.ByQuery),
			chromedp.SendKeys("#profile-creditScore", "780", chromedp.ByQuery))
		submit(t, ctx, "#profile-form")
		waitText(t, ctx, "#timeline", 5*time.Second, "promote: basic → ", "email promotion sent")
	})

	t.Run("a profiling dry run shows the score and the reasons", func(t *testing.T) {
		run(t, ctx, "dry run", 20*time.Second,
			chromedp.SendKeys("#evaluate-age", "34", chromedp.ByQuery),
			chromedp.SendKeys("#evaluate-income", "85000", chromedp.ByQuery),
			chromedp.SendKeys("#evaluate-creditScore", "760", chromedp.ByQuery))
		submit(t, ctx, "#evaluate-form")
		waitText(t, ctx, "#dry-run", time.Second, "Dry run: score", "age 15", "creditScore")
		screenshot(t, ctx, "customer-dry-run")
	})

	t.Run("the customers page lists them, and the mailbox shows what was delivered", func(t *testing.T) {
		run(t, ctx, "list", 20*time.Second, chromedp.Navigate(console+"/?status=active"), chromedp.WaitVisible("table", chromedp.ByQuery))
		waitText(t, ctx, "table", time.Second, email, "active")
		screenshot(t, ctx, "customers")
		run(t, ctx, "search by email", 20*time.Second, chromedp.Navigate(console+"/"), chromedp.WaitVisible("#find-email", chromedp.ByQuery),
			chromedp.SendKeys("#find-email", strings.ToUpper(email), chromedp.ByQuery))
		submit(t, ctx, "form.inline")
		waitText(t, ctx, "tbody", time.Second, email)
		var rows int
		run(t, ctx, "count the rows", 5*time.Second, chromedp.Evaluate(`document.querySelectorAll("tbody tr").length`, &rows))
		if rows != 1 {
			t.Errorf("searching by email found %d rows, want 1", rows)
		}
		run(t, ctx, "mailbox", 20*time.Second, chromedp.Navigate(console+"/mailbox"), chromedp.WaitVisible(".mailbox", chromedp.ByQuery))
		waitText(t, ctx, ".mailbox", time.Second, email)
		screenshot(t, ctx, "mailbox")
	})

	t.Run("a dead letter is listed with why, and replayed from its button", func(t *testing.T) {
		key := fmt.Sprint("ui-poison-", time.Now().UnixNano())
		kafkatest.WriteRecords(t, strings.Split(st.Brokers(), ","), kafkago.Message{Topic: event.TopicOnboarded, Key: []byte(key), Value: []byte("{not json")})
		deadline := time.Now().Add(20 * time.Second)
		for {
			var table string
			run(t, ctx, "dead letters", 20*time.Second, chromedp.Navigate(console+"/dead-letters"), chromedp.Text("#dead-letters", &table, chromedp.ByQuery))
			if strings.Contains(table, key) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the poison never showed among the dead letters:\n%s", table)
			}
			time.Sleep(250 * time.Millisecond) // polling interval
		}
		screenshot(t, ctx, "dead-letters")
		submit(t, ctx, fmt.Sprintf(`tr[data-key=%q] form`, key))
		waitText(t, ctx, "#replayed", 5*time.Second, "Replayed customer.onboarded")
	})

	t.Run("erasing the customer leaves a tombstone, and the mailbox forgets them", func(t *testing.T) {
		run(t, ctx, "the customer", 20*time.Second, chromedp.Navigate(customerPage), chromedp.WaitVisible("#erase-form", chromedp.ByQuery))
		submit(t, ctx, "#erase-form")
		waitText(t, ctx, "#status", 5*time.Second, "erased")
		waitText(t, ctx, "#timeline", time.Second, "erase: active → erased")
		screenshot(t, ctx, "customer-erased")
		deadline := time.Now().Add(20 * time.Second)
		for {
			var box string
			run(t, ctx, "mailbox", 20*time.Second, chromedp.Navigate(console+"/mailbox"), chromedp.Text("main", &box, chromedp.ByQuery))
			if !strings.Contains(box, email) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the mailbox still shows the erased customer's email:\n%s", box)
			}
			time.Sleep(250 * time.Millisecond) // polling interval
		}
	})
}

func TestTheConsoleAsksForAKeyWhenTheServicesNeedOne(t *testing.T) {
	env, _ := stacktest.Env("ui-keys", t.TempDir())
	env["API_KEYS"] = "ops:console-secret"
	st := stacktest.Start(t, env)
	console := st.ConsoleURL()
	browse := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	get := func(c *http.Client) *http.Response {
		t.Helper()
		resp, err := c.Get(console + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, tt := range []struct {
		name, key string
		in        bool
	}{{"the right key", "console-secret", true}, {"a wrong key", "wrong", false}} {
		t.Run(tt.name, func(t *testing.T) {
			c := browse()
			if resp := get(c); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/key?next=%2F" {
				t.Fatalf("without a key: %d %s, want the key form", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, err := c.PostForm(console+"/key", url.Values{"key": {tt.key}, "next": {"/"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			cookie := resp.Header.Get("Set-Cookie")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || strings.Contains(resp.Header.Get("Location"), tt.key) ||
				!strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
				t.Fatalf("setting the key: %d, Location %q, cookie %q", resp.StatusCode, resp.Header.Get("Location"), cookie)
			}
			if resp := get(c); (resp.StatusCode == http.StatusOK) != tt.in {
				t.Fatalf("with %s: %d %s", tt.name, resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}
