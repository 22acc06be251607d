package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"time"
)

// client calls the services' public APIs, with the operator's key when
// there is one: the console has no other way in, and no data of its own.
type client struct {
	http *http.Client
	urls URLs
}

// problem is an API's refusal: its RFC 9457 document.
type problem struct {
	Status int          `json:"status"`
	Code   string       `json:"code"`
	Detail string       `json:"detail"`
	Errors []fieldError `json:"errors"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Detail) }

// byField returns each field's message.
func (p *problem) byField() map[string]string {
	out := map[string]string{}
	for _, e := range p.Errors {
		out[e.Field] = e.Message
	}
	return out
}

// errNeedKey says the services want a key the operator has not given, or
// refused the one given.
var errNeedKey = errors.New("the services need an API key")

// call sends a request to base+path (a JSON body when in is not nil) and
// decodes a 2xx answer into out. A refusal is a *problem; 401 is
// errNeedKey.
func (c client) call(ctx context.Context, key, method, base, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return errNeedKey
	case resp.StatusCode >= 300:
		p := &problem{Status: resp.StatusCode}
		_ = json.Unmarshal(raw, p) // a refusal without a document keeps its status
		return p
	case out != nil:
		return json.Unmarshal(raw, out)
	}
	return nil
}

// The views of the APIs' answers the console reads.
type (
	customer struct {
		ID                 string     `json:"id"`
		Name               string     `json:"name"`
		Email              string     `json:"email"`
		Phone              string     `json:"phone"`
		Language           string     `json:"language"`
		Status             string     `json:"status"`
		Tier               string     `json:"tier"`
		CreatedAt          time.Time  `json:"createdAt"`
		DeactivationReason string     `json:"deactivationReason"`
		FirstPaymentAt     *time.Time `json:"firstPaymentAt"`
		Preferences        struct {
			Email, SMS, Marketing consent
		} `json:"preferences"`
		Version int64 `json:"version"`
	}
	consent struct {
		Given bool      `json:"given"`
		At    time.Time `json:"at"`
		Via   string    `json:"via"`
	}
	customerList struct {
		Customers  []customer `json:"customers"`
		NextCursor string     `json:"nextCursor"`
	}
	change struct {
		Action string    `json:"action"`
		From   string    `json:"from"`
		To     string    `json:"to"`
		Reason string    `json:"reason"`
		Source string    `json:"source"`
		At     time.Time `json:"at"`
	}
	history struct {
		History []change `json:"history"`
	}
	delivery struct {
		ID        string    `json:"id"`
		Channel   string    `json:"channel"`
		Recipient string    `json:"recipient"`
		Template  string    `json:"template"`
		Subject   string    `json:"subject"`
		Body      string    `json:"body"`
		Status    string    `json:"status"`
		Error     string    `json:"error"`
		CreatedAt time.Time `json:"createdAt"`
	}
	deliveries struct {
		Notifications []delivery `json:"notifications"`
	}
	reason struct {
		Rule   string `json:"rule"`
		Points int    `json:"points"`
		Detail string `json:"detail"`
	}
	evaluation struct {
		Eligible        bool      `json:"eligible"`
		Score           int       `json:"score"`
		Segment         string    `json:"segment"`
		CurrentTier     string    `json:"currentTier"`
		RecommendedTier string    `json:"recommendedTier"`
		Reasons         []reason  `json:"reasons"`
		EvaluatedAt     time.Time `json:"evaluatedAt"`
	}
	promotion struct {
		Code            string    `json:"code"`
		DiscountPercent int       `json:"discountPercent"`
		ActivatedAt     time.Time `json:"activatedAt"`
		ExpiresAt       time.Time `json:"expiresAt"`
		Active          bool      `json:"active"`
	}
	profile struct {
		Evaluation evaluation  `json:"evaluation"`
		Promotions []promotion `json:"promotions"`
	}
	dryRun struct {
		Evaluation evaluation `json:"evaluation"`
	}
	mail struct {
		Channel    string    `json:"channel"`
		Recipient  string    `json:"recipient"`
		Subject    string    `json:"subject"`
		Body       string    `json:"body"`
		AcceptedAt time.Time `json:"acceptedAt"`
	}
	mailbox struct {
		Mailbox []mail `json:"mailbox"`
	}
	deadLetter struct {
		Service   string    `json:"-"` // the service that gave up on it
		Topic     string    `json:"topic"`
		Partition int       `json:"partition"`
		Offset    int64     `json:"offset"`
		Group     string    `json:"group"`
		Kind      string    `json:"kind"`
		Error     string    `json:"error"`
		Attempts  int       `json:"attempts"`
		FailedAt  time.Time `json:"failedAt"`
		Key       string    `json:"key"`
		Dropped   string    `json:"dropped"`
	}
	deadLetters struct {
		DeadLetters []deadLetter `json:"deadLetters"`
		NextCursor  string       `json:"nextCursor"`
	}
	// more is where the dead letters of a service go on, past a page.
	more struct{ Service, Cursor string }
)

// services are the services' resources, each with its base URL.
func (u URLs) services() map[string]string {
	return map[string]string{"customers": u.Customers, "profiling": u.Profiling, "notifications": u.Notifications}
}

// deadLetters returns a page of dead letters of each service (of only
// the one named, from cursor on, when service is set), oldest failure
// first, and where each service's go on.
func (c client) deadLetters(ctx context.Context, key, service, cursor string) ([]deadLetter, []more, error) {
	var all []deadLetter
	var next []more
	for resource, base := range c.urls.services() {
		if service != "" && resource != service {
			continue
		}
		q := url.Values{"limit": {"100"}} // the largest page the APIs give
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var out deadLetters
		if err := c.call(ctx, key, http.MethodGet, base, "/api/v1/"+resource+"/dead-letters?"+q.Encode(), nil, &out); err != nil {
			return nil, nil, err
		}
		for _, l := range out.DeadLetters {
			l.Service = resource
			all = append(all, l)
		}
		if out.NextCursor != "" {
			next = append(next, more{resource, out.NextCursor})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].FailedAt.Before(all[j].FailedAt) })
	sort.Slice(next, func(i, j int) bool { return next[i].Service < next[j].Service })
	return all, next, nil
}

func (c client) customers(ctx context.Context, key string, q url.Values) (customerList, error) {
	var out customerList
	return out, c.call(ctx, key, http.MethodGet, c.urls.Customers, "/api/v1/customers?"+q.Encode(), nil, &out)
}

func (c client) customer(ctx context.Context, key, id string) (customer, error) {
	var out customer
	return out, c.call(ctx, key, http.MethodGet, c.urls.Customers, "/api/v1/customers/"+url.PathEscape(id), nil, &out)
}

func (c client) history(ctx context.Context, key, id string) ([]change, error) {
	var out history
	return out.History, c.call(ctx, key, http.MethodGet, c.urls.Customers, "/api/v1/customers/"+url.PathEscape(id)+"/history", nil, &out)
}

func (c client) deliveries(ctx context.Context, key, id string) ([]delivery, error) {
	var out deliveries
	q := url.Values{"customerId": {id}, "limit": {"100"}}
	return out.Notifications, c.call(ctx, key, http.MethodGet, c.urls.Notifications, "/api/v1/notifications?"+q.Encode(), nil, &out)
}

// profile returns the customer's profile; none (nil) before the profiling
// service has seen them.
func (c client) profile(ctx context.Context, key, id string) (*profile, error) {
	var out profile
	err := c.call(ctx, key, http.MethodGet, c.urls.Profiling, "/api/v1/profiling/"+url.PathEscape(id), nil, &out)
	var p *problem
	if errors.As(err, &p) && p.Status == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (c client) mailbox(ctx context.Context, key string) ([]mail, error) {
	var out mailbox
	return out.Mailbox, c.call(ctx, key, http.MethodGet, c.urls.Notifications, "/api/v1/notifications/mailbox", nil, &out)
}
