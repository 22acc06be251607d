package e2e

import (
	"mime"
	"net/http"
	"net/mail"
	"strings"
	"testing"

	"github.com/fintechlabs/customers/adapters/smtp/smtptest"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/test/stacktest"
)

func TestWithSMTPTheWelcomeEmailReachesTheMailServer(t *testing.T) {
	srv := smtptest.Serve(t, false)
	env, _ := stacktest.Env("smtp", t.TempDir())
	env["EMAIL_PROVIDER"], env["SMTP_ADDR"], env["SMTP_FROM"] = "smtp", srv.Addr, "Fintech <no-reply@fintech.example>"
	env["SMTP_CA_FILE"], env["SMTP_USERNAME"], env["SMTP_PASSWORD"] = srv.CAFile, smtptest.User, smtptest.Password
	st := stacktest.Start(t, env)

	made := do(t, "POST", st.Services[config.Customer].URL()+"/customers/onboard",
		`{"name":"Ana López","email":"ana.smtp@example.com","phone":"+34600111222","language":"en"}`).want(t, http.StatusCreated)
	id := made.str("customerId")
	var delivery map[string]any
	eventually(t, "the welcome email's delivery", func() (bool, string) {
		d := do(t, "GET", st.Services[config.Notifications].URL()+"/notifications?customerId="+id, "")
		if list := d.list("notifications"); len(list) == 1 && list[0]["status"] == "sent" {
			delivery = list[0]
			return true, ""
		}
		return false, d.Raw
	})
	got := srv.Received()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "ana.smtp@example.com" {
		t.Fatalf("the mail server received %+v", got)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	want := "<" + delivery["id"].(string) + "@fintech.example>"
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != delivery["subject"] || msg.Header.Get("Message-ID") != want || delivery["providerId"] != want {
		t.Fatalf("Message-ID %q, provider id %v, subject %q (%v); want the delivery's id %s and subject %v",
			msg.Header.Get("Message-ID"), delivery["providerId"], subject, err, want, delivery["subject"])
	}
}

func TestWithSMTPAMessageTheServerTookIsSentOnceWhateverBecomesOfQuit(t *testing.T) {
	srv := smtptest.Serve(t, false)
	env, _ := stacktest.Env("smtpquit", t.TempDir())
	env["EMAIL_PROVIDER"], env["SMTP_ADDR"], env["SMTP_FROM"] = "smtp", srv.Addr, "Fintech <no-reply@fintech.example>"
	env["SMTP_CA_FILE"], env["SMTP_USERNAME"], env["SMTP_PASSWORD"] = srv.CAFile, smtptest.User, smtptest.Password
	st := stacktest.Start(t, env)
	url := st.Services[config.Notifications].URL() + "/notifications/email"
	body := `{"to":"hangup@example.com","subject":"Tu código","body":"Tu código es 123456"}`
	// The server answers 250 to the message, then drops the connection at
	// QUIT: the message is sent, and the retry of an uncertain client
	// gets that answer back instead of a second copy.
	first := do(t, "POST", url, body, "Idempotency-Key", "otp-42").want(t, http.StatusCreated)
	again := do(t, "POST", url, body, "Idempotency-Key", "otp-42").want(t, http.StatusCreated)
	if first.str("notificationId") != again.str("notificationId") || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("first %s, retry %s (%v)", first.Raw, again.Raw, again.Header)
	}
	if got := srv.Received(); len(got) != 1 {
		t.Fatalf("the mail server received %d messages, want 1", len(got))
	}
}
