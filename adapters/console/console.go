// Package console is a web console for operators and demos: the customers,
// each one's journey across the three services in time order (status
// changes, evaluations with their reasons, promotions, every message as it
// was sent), forms for the flows, and the development mailbox. It reads and
// writes only through the services' public APIs, so it has no database of
// its own. Pages are rendered on the server from embedded templates; a
// little script refreshes a customer's timeline as events flow.
package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/fintechlabs/customers/adapters/hosts"
)

//go:embed templates assets
var files embed.FS

// URLs are the services' base URLs.
type URLs struct{ Customers, Profiling, Notifications string }

// Options configure the console.
type Options struct {
	URLs URLs
	Log  *slog.Logger // none when nil
	// Client calls the APIs (a client with a 10s timeout when nil).
	Client *http.Client
	// AllowedHosts are the Host names the console answers (nil: any): the
	// loopback names when the services have no keys, so that no web page
	// can drive them through it by re-pointing its own name at 127.0.0.1.
	AllowedHosts hosts.Allowed
}

// keyCookie holds the operator's API key: HttpOnly, so no script reads it,
// and never in a URL.
const keyCookie = "console_key"

// New returns the console's handler.
func New(opts Options) http.Handler {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	c := &console{api: client{http: opts.Client, urls: opts.URLs}, log: opts.Log,
		pages: template.Must(template.New("").Funcs(template.FuncMap{"when": when, "field": field, "facts": facts}).ParseFS(files, "templates/*.html"))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", c.list)
	mux.HandleFunc("POST /onboard", c.onboard)
	mux.HandleFunc("GET /customers/{$}", lookup)
	mux.HandleFunc("GET /customers/{id}", c.customer)
	mux.HandleFunc("GET /customers/{id}/timeline", c.timelineFragment)
	mux.HandleFunc("POST /customers/{id}/{action}", c.act)
	mux.HandleFunc("GET /mailbox", c.mailbox)
	mux.HandleFunc("GET /dead-letters", c.deadLetters)
	mux.HandleFunc("POST /dead-letters/replay", c.replay)
	mux.HandleFunc("GET /key", c.keyForm)
	mux.HandleFunc("POST /key", c.setKey)
	mux.Handle("GET /assets/", http.FileServerFS(files))
	return opts.AllowedHosts.Guard(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "the console does not answer for the host "+strconv.Quote(r.Host)+": open it by one of its own names", http.StatusMisdirectedRequest)
	})(secured(mux))
}

type console struct {
	api   client
	log   *slog.Logger
	pages *template.Template
}

// secured sets what every answer carries, and refuses a form posted from
// another origin.
func secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: with no-referrer a browser sends
		// "Origin: null" with the console's own forms.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost {
			if origin := r.Header.Get("Origin"); origin != "" && origin != "http://"+r.Host && origin != "https://"+r.Host {
				http.Error(w, "a form from another origin", http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func key(r *http.Request) string {
	if c, err := r.Cookie(keyCookie); err == nil {
		return c.Value
	}
	return ""
}

// page is what every page's template gets.
type page struct {
	Title   string
	Problem string            // a refusal's detail
	Fields  map[string]string // a refusal's messages by field
	Form    url.Values        // what was submitted, shown again after a refusal
	Data    any
}

// render answers status with the page the template name makes of p.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	var buf bytes.Buffer
	if err := c.pages.ExecuteTemplate(&buf, name, p); err != nil {
		c.log.ErrorContext(r.Context(), "console page failed", "page", name, "error", err)
		http.Error(w, "the page could not be made", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// failed answers a page whose data could not be read.
func (c *console) failed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNeedKey) {
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = "/" // a form is sent again by hand, with the key
		}
		http.Redirect(w, r, "/key?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	status := http.StatusBadGateway
	var p *problem
	if errors.As(err, &p) {
		status = p.Status
	} else {
		c.log.WarnContext(r.Context(), "a service did not answer the console", "error", err)
	}
	c.render(w, r, status, "error.html", page{Title: "Not available", Problem: err.Error()})
}

// list shows the customers, filtered by status and tier, a page at a time.
func (c *console) list(w http.ResponseWriter, r *http.Request) {
	c.listWith(w, r, http.StatusOK, page{})
}

func (c *console) listWith(w http.ResponseWriter, r *http.Request, status int, p page) {
	if p.Form == nil {
		p.Form = r.URL.Query() // the filters, shown as chosen
		p.Form.Set("action", "find")
	}
	q := url.Values{"limit": {"25"}}
	for _, name := range []string{"status", "tier", "email", "cursor"} {
		if v := r.URL.Query().Get(name); v != "" {
			q.Set(name, v)
		}
	}
	found, err := c.api.customers(r.Context(), key(r), q)
	if err != nil {
		c.failed(w, r, err)
		return
	}
	next := ""
	if found.NextCursor != "" {
		nq := r.URL.Query()
		nq.Set("cursor", found.NextCursor)
		next = "/?" + nq.Encode()
	}
	p.Title, p.Data = "Customers", map[string]any{"Customers": found.Customers, "Next": next,
		"Filtered": r.URL.Query().Get("status") != "" || r.URL.Query().Get("tier") != "" || r.URL.Query().Get("email") != ""}
	c.render(w, r, status, "list.html", p)
}

// onboard onboards a customer from the form, and shows them.
func (c *console) onboard(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "an unreadable form", http.StatusBadRequest)
		return
	}
	body := map[string]string{}
	for _, name := range []string{"name", "email", "phone", "birthDate", "language"} {
		if v := strings.TrimSpace(r.PostForm.Get(name)); v != "" {
			body[name] = v
		}
	}
	var out struct {
		CustomerID string `json:"customerId"`
	}
	err := c.api.call(r.Context(), key(r), http.MethodPost, c.api.urls.Customers, "/api/v1/customers/onboard", body, &out)
	refused, done := c.refusal(w, r, err)
	if done {
		return
	}
	if refused != nil {
		refused.Form = r.PostForm
		c.listWith(w, r, http.StatusUnprocessableEntity, *refused)
		return
	}
	http.Redirect(w, r, "/customers/"+url.PathEscape(out.CustomerID), http.StatusSeeOther)
}

// lookup opens the customer a form without script names (?id=).
func lookup(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/customers/"+url.PathEscape(strings.TrimSpace(r.URL.Query().Get("id"))), http.StatusSeeOther)
}

// input is a form field as the "input" template draws it: labelled, with
// what was submitted and the API's message about it.
type input struct {
	ID, Name, Label, Type, Value, Error string
	Options                             []string
	Blank                               string // the label of an empty option
}

// field makes the input name of the form of action on page p ("" for the
// onboarding form, "find" for the filters); a select when options are
// given.
func field(p page, action, name, label, kind string, options ...string) input {
	in := input{ID: strings.TrimPrefix(action+"-"+name, "-"), Name: name, Label: label, Type: kind, Options: options, Blank: "(not given)"}
	if action == "find" {
		in.Blank = "(any)" // the customers page's filters
	}
	if p.Form.Get("action") == action {
		in.Value, in.Error = p.Form.Get(name), p.Fields[name]
	}
	return in
}

// facts are the fields of a form of action that states profiling facts.
func facts(p page, action string) []input {
	return []input{field(p, action, "age", "Age", "text"), field(p, action, "income", "Yearly income", "text"),
		field(p, action, "creditScore", "Credit score", "text"),
		field(p, action, "isFirstPayment", "First payment made", "select", "", "true", "false")}
}

// refusal returns the page that shows an API's refusal of a form (nil
// when err is nil); any other error it answers itself (done).
func (c *console) refusal(w http.ResponseWriter, r *http.Request, err error) (refused *page, done bool) {
	if err == nil {
		return nil, false
	}
	var p *problem
	if errors.As(err, &p) && p.Status < 500 {
		return &page{Problem: p.Detail, Fields: p.byField()}, false
	}
	c.failed(w, r, err)
	return nil, true
}

// journey is a customer's page.
type journey struct {
	Customer customer
	Timeline timeline
	DryRun   *evaluation
}

// customer shows a customer's journey and the forms of the flows.
func (c *console) customer(w http.ResponseWriter, r *http.Request) {
	c.customerWith(w, r, http.StatusOK, page{}, nil)
}

func (c *console) customerWith(w http.ResponseWriter, r *http.Request, status int, p page, dry *evaluation) {
	id := r.PathValue("id")
	cust, err := c.api.customer(r.Context(), key(r), id)
	if err != nil {
		c.failed(w, r, err)
		return
	}
	tl, err := c.timeline(r.Context(), key(r), id)
	if err != nil {
		c.failed(w, r, err)
		return
	}
	p.Title, p.Data = cust.Name, journey{Customer: cust, Timeline: tl, DryRun: dry}
	c.render(w, r, status, "customer.html", p)
}

// timelineFragment answers the timeline alone, for the page's script; an
// unchanged one is 304 by its ETag.
func (c *console) timelineFragment(w http.ResponseWriter, r *http.Request) {
	tl, err := c.timeline(r.Context(), key(r), r.PathValue("id"))
	if err != nil {
		c.failed(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := c.pages.ExecuteTemplate(&buf, "timeline", tl); err != nil {
		http.Error(w, "the timeline could not be made", http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256(buf.Bytes())
	tag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", tag)
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// actions are the flows a customer's page offers: the API each calls, and
// the form fields it sends.
var actions = map[string]struct {
	service func(URLs) string
	path    string
	fields  []string
}{
	"activate":      {func(u URLs) string { return u.Customers }, "/api/v1/customers/activate", []string{"reason"}},
	"deactivate":    {func(u URLs) string { return u.Customers }, "/api/v1/customers/deactivate", []string{"reason"}},
	"first-payment": {func(u URLs) string { return u.Customers }, "/api/v1/customers/first-payment", []string{"amount", "currency", "paymentMethod", "description"}},
	"promote":       {func(u URLs) string { return u.Customers }, "/api/v1/customers/promote", []string{"newTier", "reason"}},
	"evaluate":      {func(u URLs) string { return u.Profiling }, "/api/v1/profiling/evaluate", []string{"age", "income", "creditScore", "isFirstPayment"}},
	"profile":       {func(u URLs) string { return u.Profiling }, "/api/v1/profiling/promote", []string{"age", "income", "creditScore", "isFirstPayment"}},
	// The customer is in the path, and the request has no body.
	"erase": {func(u URLs) string { return u.Customers }, "/api/v1/customers/{id}/erase", nil},
}

// numeric are the fields the APIs take as JSON numbers or booleans: sent
// as such when they read as one, else as given, for the API to refuse by
// name.
var numeric = map[string]bool{"age": true, "creditScore": true, "isFirstPayment": true}

// act runs one of a customer's flows from its form. A dry run shows its
// evaluation; a change goes back to the page, whose timeline shows what it
// caused; a refusal shows the API's problem by field and changes nothing.
func (c *console) act(w http.ResponseWriter, r *http.Request) {
	a, ok := actions[r.PathValue("action")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "an unreadable form", http.StatusBadRequest)
		return
	}
	id := r.PathValue("id")
	path := a.path
	var body map[string]any
	if strings.Contains(path, "{id}") {
		path = strings.ReplaceAll(path, "{id}", url.PathEscape(id))
	} else {
		body = map[string]any{"customerId": id}
	}
	for _, name := range a.fields {
		v := strings.TrimSpace(r.PostForm.Get(name))
		switch {
		case v == "":
		case numeric[name] && json.Valid([]byte(v)):
			body[name] = json.RawMessage(v)
		default:
			body[name] = v
		}
	}
	var dry dryRun
	var out any
	if r.PathValue("action") == "evaluate" {
		out = &dry
	}
	var in any
	if body != nil {
		in = body
	}
	err := c.api.call(r.Context(), key(r), http.MethodPost, a.service(c.api.urls), path, in, out)
	refused, done := c.refusal(w, r, err)
	if done {
		return
	}
	if refused != nil {
		refused.Form = r.PostForm
		refused.Form.Set("action", r.PathValue("action"))
		c.customerWith(w, r, http.StatusUnprocessableEntity, *refused, nil)
		return
	}
	if out != nil {
		c.customerWith(w, r, http.StatusOK, page{}, &dry.Evaluation)
		return
	}
	http.Redirect(w, r, "/customers/"+url.PathEscape(id), http.StatusSeeOther)
}

// mailbox shows what the development provider delivered.
func (c *console) mailbox(w http.ResponseWriter, r *http.Request) {
	mail, err := c.api.mailbox(r.Context(), key(r))
	var p *problem
	if errors.As(err, &p) && (p.Status == http.StatusNotFound || p.Status == http.StatusForbidden) {
		c.render(w, r, http.StatusOK, "mailbox.html", page{Title: "Mailbox",
			Problem: "The notifications service does not serve a mailbox to this key: email goes through SMTP there, or the key lacks the admin scope."})
		return
	}
	if err != nil {
		c.failed(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "mailbox.html", page{Title: "Mailbox", Data: mail})
}

// deadLetters shows what the consumers gave up on, with why, and a replay
// button each.
func (c *console) deadLetters(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	letters, next, err := c.api.deadLetters(r.Context(), key(r), q.Get("service"), q.Get("cursor"))
	if err != nil {
		c.failed(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "deadletters.html", page{Title: "Dead letters",
		Data: map[string]any{"Letters": letters, "More": next, "Replayed": q.Get("replayed")}})
}

// replay replays one dead letter through the service that gave up on it.
func (c *console) replay(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "an unreadable form", http.StatusBadRequest)
		return
	}
	resource := r.PostForm.Get("service")
	base, ok := c.api.urls.services()[resource]
	partition, perr := strconv.Atoi(r.PostForm.Get("partition"))
	offset, oerr := strconv.ParseInt(r.PostForm.Get("offset"), 10, 64)
	if !ok || perr != nil || oerr != nil {
		http.Error(w, "name the service, topic, partition and offset of a dead letter", http.StatusBadRequest)
		return
	}
	topic := r.PostForm.Get("topic")
	body := map[string]any{"topic": topic, "partition": partition, "offset": offset}
	if err := c.api.call(r.Context(), key(r), http.MethodPost, base, "/api/v1/"+resource+"/dead-letters/replay", body, nil); err != nil {
		c.failed(w, r, err)
		return
	}
	done := url.Values{"replayed": {topic + " " + strconv.Itoa(partition) + ":" + strconv.FormatInt(offset, 10)}}
	http.Redirect(w, r, "/dead-letters?"+done.Encode(), http.StatusSeeOther)
}

func (c *console) keyForm(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "key.html", page{Title: "API key", Form: url.Values{"next": {safeNext(r.URL.Query().Get("next"))}}})
}

// setKey keeps the operator's key in a cookie for this browser session.
func (c *console) setKey(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "an unreadable form", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: keyCookie, Value: strings.TrimSpace(r.PostForm.Get("key")), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

// safeNext keeps a redirect on this site: a path of it, with no control
// character, space or backslash anywhere (browsers drop tabs and line
// breaks and read a backslash as a slash, so "/\t/evil.example" and
// "/\\evil.example" would leave it), and no scheme or host.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || u.Scheme != "" || u.Host != "" ||
		strings.ContainsFunc(next, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' || !unicode.IsPrint(r) }) {
		return "/"
	}
	return next
}

// entry is one thing that happened to a customer.
type entry struct {
	At      time.Time
	Kind    string // status, evaluation, promotion, notification
	Title   string
	Detail  string
	Lines   []string // reasons of an evaluation
	Subject string   // of a message, as sent
	Body    string
}

type timeline []entry

// timeline merges what the three services know of a customer, oldest
// first.
func (c *console) timeline(ctx context.Context, key, id string) (timeline, error) {
	changes, err := c.api.history(ctx, key, id)
	if err != nil {
		return nil, err
	}
	sent, err := c.api.deliveries(ctx, key, id)
	if err != nil {
		return nil, err
	}
	prof, err := c.api.profile(ctx, key, id)
	if err != nil {
		return nil, err
	}
	var tl timeline
	for _, ch := range changes {
		title := ch.Action + ": " + ch.To
		if ch.From != "" && ch.From != ch.To {
			title = ch.Action + ": " + ch.From + " → " + ch.To
		}
		detail := "by " + ch.Source
		if ch.Reason != "" {
			detail = ch.Reason + ", " + detail
		}
		tl = append(tl, entry{At: ch.At, Kind: "status", Title: title, Detail: detail})
	}
	for _, d := range sent {
		e := entry{At: d.CreatedAt, Kind: "notification", Title: d.Channel + " " + d.Template + " " + d.Status,
			Detail: "to " + d.Recipient, Subject: d.Subject, Body: d.Body}
		if d.Error != "" {
			e.Detail += ": " + d.Error
		}
		tl = append(tl, e)
	}
	if prof != nil {
		ev := prof.Evaluation
		e := entry{At: ev.EvaluatedAt, Kind: "evaluation",
			Title:  "evaluated: score " + strconv.Itoa(ev.Score) + ", " + ev.Segment + ", recommends " + ev.RecommendedTier,
			Detail: "current tier " + ev.CurrentTier}
		for _, rs := range ev.Reasons {
			e.Lines = append(e.Lines, rs.Rule+" "+strconv.Itoa(rs.Points)+": "+rs.Detail)
		}
		tl = append(tl, e)
		for _, p := range prof.Promotions {
			state := "expired"
			if p.Active {
				state = "active"
			}
			tl = append(tl, entry{At: p.ActivatedAt, Kind: "promotion",
				Title:  p.Code + ": " + strconv.Itoa(p.DiscountPercent) + "% off, " + state,
				Detail: "expires " + when(p.ExpiresAt)})
		}
	}
	sort.SliceStable(tl, func(i, j int) bool { return tl[i].At.Before(tl[j].At) })
	return tl, nil
}

// when writes a time for people.
func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
