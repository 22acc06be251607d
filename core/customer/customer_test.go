package customer_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/fault"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/tier"
)

var now = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func juan() customer.Registration {
	return customer.Registration{Name: "Juan Pérez", Email: "juan@example.com", Phone: "+1234567890"}
}

// mustNew onboards a customer and moves it to status with tier.
func mustNew(t *testing.T, status customer.Status, level tier.Tier) *customer.Customer {
	t.Helper()
	c, _, err := customer.New("c1", juan(), now)
	if err != nil {
		t.Fatal(err)
	}
	if status != customer.Onboarded {
		if _, err := c.Activate(now, ""); err != nil {
			t.Fatal(err)
		}
	}
	if level != tier.Basic {
		if _, err := c.Promote(now, level, "setup", customer.Manual); err != nil {
			t.Fatal(err)
		}
	}
	if status == customer.Inactive {
		if _, err := c.Deactivate(now, "setup"); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestOnboardingCreatesAnOnboardedBasicCustomerAndTwoEvents(t *testing.T) {
	c, events, err := customer.New("c1", juan(), now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != customer.Onboarded || c.Tier != tier.Basic || c.Version != 1 || c.Language != locale.Spanish {
		t.Fatalf("unexpected new customer: %+v", c)
	}
	if len(events) != 2 || events[0] != (customer.Created{}) || events[1] != (customer.Joined{}) {
		t.Fatalf("events = %v", events)
	}
	ch := c.Changes()
	if len(ch) != 1 || ch[0].Action != customer.ActionOnboard || ch[0].To != "onboarded" || ch[0].Version != 1 {
		t.Fatalf("history = %+v", ch)
	}
}

func TestOnboardingAcceptsBothNameShapesAndOptionalFields(t *testing.T) {
	r := customer.Registration{
		FirstName: " John ", LastName: "Doe", Email: "john.doe@Example.com", Phone: "+1 234 567 890",
		DocumentType: "dni", DocumentNumber: "12345678z", BirthDate: "1990-05-17", Language: "en-GB",
	}
	c, _, err := customer.New("c2", r, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "John Doe" || c.FirstName != "John" || c.LastName != "Doe" {
		t.Fatalf("name = %q (%q %q)", c.Name, c.FirstName, c.LastName)
	}
	if c.Email != "john.doe@example.com" || c.Phone != "+1234567890" {
		t.Fatalf("contact = %q %q", c.Email, c.Phone)
	}
	if c.Document.Type != "DNI" || c.Document.Number != "12345678Z" || c.Language != locale.English {
		t.Fatalf("document/language = %+v %q", c.Document, c.Language)
	}
	if c.BirthDate.Format(time.DateOnly) != "1990-05-17" || !c.ActivatedAt.IsZero() {
		t.Fatalf("customer = %+v", c)
	}
}

func TestOnboardingRefusesInvalidInputNamingEveryField(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*customer.Registration)
		fields []string
	}{
		{"a missing name", func(r *customer.Registration) { r.Name = "" }, []string{"name"}},
		{"a name given twice", func(r *customer.Registration) { r.FirstName = "Juan" }, []string{"name"}},
		{"a first name without last name", func(r *customer.Registration) { r.Name, r.FirstName = "", "Juan" }, []string{"lastName"}},
		{"a last name without first name", func(r *customer.Registration) { r.Name, r.LastName = "", "Pérez" }, []string{"firstName"}},
		{"a name with a control character", func(r *customer.Registration) { r.Name = "Juan\x07" }, []string{"name"}},
		{"a name that is not UTF-8", func(r *customer.Registration) { r.Name = "\xff" }, []string{"name"}},
		{"a name over 100 characters", func(r *customer.Registration) { r.Name = strings.Repeat("ñ", 101) }, []string{"name"}},
		{"a missing email", func(r *customer.Registration) { r.Email = "" }, []string{"email"}},
		{"a malformed email", func(r *customer.Registration) { r.Email = "juan" }, []string{"email"}},
		{"a missing phone", func(r *customer.Registration) { r.Phone = " " }, []string{"phone"}},
		{"a phone without country code", func(r *customer.Registration) { r.Phone = "600111222" }, []string{"phone"}},
		{"a document number without type", func(r *customer.Registration) { r.DocumentNumber = "12345678Z" }, []string{"documentType"}},
		{"a document type without number", func(r *customer.Registration) { r.DocumentType = "DNI" }, []string{"documentNumber"}},
		{"a malformed document type", func(r *customer.Registration) { r.DocumentType, r.DocumentNumber = "D1", "12345678Z" }, []string{"documentType"}},
		{"a malformed document number", func(r *customer.Registration) { r.DocumentType, r.DocumentNumber = "DNI", "1 2" }, []string{"documentNumber"}},
		{"a birth date in the future", func(r *customer.Registration) { r.BirthDate = "2027-01-01" }, []string{"birthDate"}},
		{"a birth date before 1900", func(r *customer.Registration) { r.BirthDate = "1899-12-31" }, []string{"birthDate"}},
		{"a birth date in another format", func(r *customer.Registration) { r.BirthDate = "17/05/1990" }, []string{"birthDate"}},
		{"a birth date in ISO 8601's basic format", func(r *customer.Registration) { r.BirthDate = "19900517" }, []string{"birthDate"}},
		{"a birth week", func(r *customer.Registration) { r.BirthDate = "1990-W20" }, []string{"birthDate"}},
		{"a birth year alone", func(r *customer.Registration) { r.BirthDate = "1990" }, []string{"birthDate"}},
		{"an unsupported language", func(r *customer.Registration) { r.Language = "fr" }, []string{"language"}},
		{"everything wrong at once", func(r *customer.Registration) { *r = customer.Registration{Language: "xx"} },
			[]string{"name", "email", "phone", "language"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := juan()
			tt.edit(&r)
			c, events, err := customer.New("c1", r, now)
			if err == nil || c != nil || events != nil {
				t.Fatalf("New accepted %+v", r)
			}
			e, ok := fault.As(err)
			if !ok || e.Kind != fault.Invalid {
				t.Fatalf("error = %v, want invalid", err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("fields = %v, want %v (%v)", got, tt.fields, err)
			}
		})
	}
}

func TestActivation(t *testing.T) {
	tests := []struct {
		name         string
		from         customer.Status
		err          error
		reactivation bool
	}{
		{"an onboarded customer can be activated", customer.Onboarded, nil, false},
		{"an inactive customer can be reactivated", customer.Inactive, nil, true},
		{"an active customer cannot be activated again", customer.Active, customer.ErrAlreadyActive, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustNew(t, tt.from, tier.Basic)
			version := c.Version
			later := now.Add(time.Hour)
			events, err := c.Activate(later, "kyc passed")
			if !errors.Is(err, tt.err) {
				t.Fatalf("error = %v, want %v", err, tt.err)
			}
			if err != nil {
				if c.Version != version || c.Status != tt.from {
					t.Fatal("a refused transition changed the customer")
				}
				return
			}
			a := events[0].(customer.Activated)
			if c.Status != customer.Active || !c.ActivatedAt.Equal(later) || !c.DeactivatedAt.IsZero() || c.DeactivationReason != "" {
				t.Fatalf("customer after activation: %+v", c)
			}
			if a.PreviousStatus != tt.from || a.Reactivation != tt.reactivation || c.Version != version+1 {
				t.Fatalf("activated payload = %+v", a)
			}
			last := c.Changes()[len(c.Changes())-1]
			if last.From != string(tt.from) || last.To != "active" || last.Reason != "kyc passed" || !last.At.Equal(later) {
				t.Fatalf("history entry = %+v", last)
			}
		})
	}
}

func TestDeactivation(t *testing.T) {
	tests := []struct {
		name   string
		from   customer.Status
		reason string
		err    error
		kind   fault.Kind
	}{
		{"an onboarded customer can be deactivated", customer.Onboarded, "duplicate account", nil, 0},
		{"an active customer can be deactivated", customer.Active, "customer request", nil, 0},
		{"an inactive customer cannot be deactivated again", customer.Inactive, "again", customer.ErrAlreadyInactive, fault.Conflict},
		{"a deactivation needs a reason", customer.Active, "", nil, fault.Invalid},
		{"a reason over 500 characters is refused", customer.Active, strings.Repeat("x", 501), nil, fault.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustNew(t, tt.from, tier.Basic)
			version := c.Version
			events, err := c.Deactivate(now, tt.reason)
			if tt.err != nil || tt.kind != 0 {
				if err == nil || (tt.err != nil && !errors.Is(err, tt.err)) || fault.KindOf(err) != tt.kind {
					t.Fatalf("error = %v, want %v (%v)", err, tt.err, tt.kind)
				}
				if c.Version != version {
					t.Fatal("a refused transition changed the customer")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := events[0].(customer.Deactivated)
			if c.Status != customer.Inactive || c.DeactivationReason != tt.reason || d.Reason != tt.reason || d.PreviousStatus != tt.from {
				t.Fatalf("after deactivation: %+v / %+v", c, d)
			}
			if !c.DeactivatedAt.Equal(now) {
				t.Fatal("the customer lacks deactivatedAt")
			}
		})
	}
}

func payment(t *testing.T, amount string) customer.Payment {
	t.Helper()
	p, err := customer.ParsePayment(customer.PaymentRequest{Amount: amount, Currency: "EUR", Description: "first top-up"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFirstPayment(t *testing.T) {
	tests := []struct {
		name  string
		from  customer.Status
		twice bool
		err   error
	}{
		{"an active customer records a first payment", customer.Active, false, nil},
		{"an onboarded customer cannot pay yet", customer.Onboarded, false, customer.ErrNotActive},
		{"an inactive customer cannot pay", customer.Inactive, false, customer.ErrNotActive},
		{"a second first payment is refused", customer.Active, true, customer.ErrFirstPaymentTaken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustNew(t, tt.from, tier.Basic)
			if tt.twice {
				if _, err := c.RecordFirstPayment(now, payment(t, "10")); err != nil {
					t.Fatal(err)
				}
			}
			version := c.Version
			events, err := c.RecordFirstPayment(now, payment(t, "1500.50"))
			if !errors.Is(err, tt.err) {
				t.Fatalf("error = %v, want %v", err, tt.err)
			}
			if err != nil {
				if c.Version != version {
					t.Fatal("a refused transition changed the customer")
				}
				return
			}
			fp := events[0].(customer.FirstPaid)
			if fp.Payment.Amount.Minor != 150050 || fp.Payment.Amount.Decimal() != "1500.50" || fp.Payment.Amount.Currency != "EUR" ||
				fp.Payment.Method != customer.CreditCard || fp.Payment.Description != "first top-up" || !fp.Payment.PaidAt.Equal(now) {
				t.Fatalf("payment = %+v", fp.Payment)
			}
			if c.FirstPayment == nil || !c.FirstPaymentAt.Equal(now) {
				t.Fatal("customer does not remember the payment")
			}
			last := c.Changes()[len(c.Changes())-1]
			if last.Action != customer.ActionFirstPayment || last.To != "1500.50 EUR" {
				t.Fatalf("history = %+v", last)
			}
		})
	}
}

func TestPaymentsAreValidatedAsMoney(t *testing.T) {
	tests := []struct {
		name   string
		req    customer.PaymentRequest
		fields string
	}{
		{"a missing amount", customer.PaymentRequest{Currency: "EUR"}, "amount"},
		{"a zero amount", customer.PaymentRequest{Amount: "0", Currency: "EUR"}, "amount"},
		{"too many decimals", customer.PaymentRequest{Amount: "1.001", Currency: "EUR"}, "amount"},
		{"a missing currency", customer.PaymentRequest{Amount: "1"}, "currency"},
		{"a malformed currency", customer.PaymentRequest{Amount: "1", Currency: "EURO"}, "currency"},
		{"a method label that is too long", customer.PaymentRequest{Amount: "1", Currency: "EUR", Method: strings.Repeat("m", 41)}, "paymentMethod"},
		{"a method label with control characters", customer.PaymentRequest{Amount: "1", Currency: "EUR", Method: "che\x00que"}, "paymentMethod"},
		{"a description with a newline", customer.PaymentRequest{Amount: "1", Currency: "EUR", Description: "a\nb"}, "description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := customer.ParsePayment(tt.req)
			e, ok := fault.As(err)
			if !ok || e.Kind != fault.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.fields {
				t.Fatalf("error = %v, want one problem with %s", err, tt.fields)
			}
		})
	}
	p, err := customer.ParsePayment(customer.PaymentRequest{Amount: "20", Currency: "jpy", Method: "Bank_Transfer"})
	if err != nil || p.Amount.Minor != 20 || p.Amount.Currency != "JPY" || p.Method != customer.BankTransfer {
		t.Fatalf("got %+v, %v", p, err)
	}
	// The original accepted any method: one we do not name is kept as given.
	p, err = customer.ParsePayment(customer.PaymentRequest{Amount: "20", Currency: "EUR", Method: " Cheque "})
	if err != nil || p.Method != "Cheque" {
		t.Fatalf("got %+v, %v", p, err)
	}
}

func TestPromotion(t *testing.T) {
	tests := []struct {
		name   string
		status customer.Status
		level  tier.Tier
		target tier.Tier
		want   tier.Tier
		err    error
	}{
		{"a basic customer is promoted to premium by default", customer.Active, tier.Basic, "", tier.Premium, nil},
		{"a premium customer is promoted to vip by default", customer.Active, tier.Premium, "", tier.VIP, nil},
		{"a basic customer can jump to a named vip tier", customer.Active, tier.Basic, tier.VIP, tier.VIP, nil},
		{"a vip customer has no higher tier", customer.Active, tier.VIP, "", "", customer.ErrTopTier},
		{"a promotion never goes sideways", customer.Active, tier.Premium, tier.Premium, "", customer.ErrTierNotHigher},
		{"a promotion never goes down", customer.Active, tier.VIP, tier.Basic, "", customer.ErrTierNotHigher},
		{"promotion refused for an onboarded customer", customer.Onboarded, tier.Basic, "", "", customer.ErrNotActive},
		{"promotion refused for an inactive customer", customer.Inactive, tier.Premium, "", "", customer.ErrNotActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustNew(t, tt.status, tt.level)
			version := c.Version
			events, err := c.Promote(now, tt.target, "", customer.Manual)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error = %v, want %v", err, tt.err)
			}
			if err != nil {
				if c.Version != version || c.Tier != tt.level {
					t.Fatal("a refused promotion changed the customer")
				}
				return
			}
			p := events[0].(customer.Promoted)
			if c.Tier != tt.want || p.NewTier != tt.want || p.PreviousTier != tt.level || p.Source != customer.Manual ||
				p.Reason != "promoted to "+string(tt.want) || !c.PromotedAt.Equal(now) {
				t.Fatalf("after promotion: tier %s, payload %+v", c.Tier, p)
			}
		})
	}
}

func TestPromotionReasonsAreValidated(t *testing.T) {
	c := mustNew(t, customer.Active, tier.Basic)
	_, err := c.Promote(now, "", "bad\x00reason", customer.Manual)
	if fault.KindOf(err) != fault.Invalid {
		t.Fatalf("error = %v, want invalid", err)
	}
	if _, err := mustNew(t, customer.Onboarded, tier.Basic).Activate(now, "x\x01"); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("activate error = %v", err)
	}
	if err := customer.ValidateReason("fine"); err != nil {
		t.Fatal(err)
	}
}

func TestApplyingARecommendation(t *testing.T) {
	tests := []struct {
		name      string
		status    customer.Status
		level     tier.Tier
		recommend tier.Tier
		want      tier.Tier
		events    int
		err       error
	}{
		{"a higher recommendation promotes an active customer", customer.Active, tier.Basic, tier.VIP, tier.VIP, 1, nil},
		{"the same tier changes nothing", customer.Active, tier.Premium, tier.Premium, tier.Premium, 0, nil},
		{"a lower tier changes nothing", customer.Active, tier.VIP, tier.Basic, tier.VIP, 0, nil},
		{"an onboarded customer is not promoted", customer.Onboarded, tier.Basic, tier.VIP, tier.Basic, 0, customer.ErrNotActive},
		{"an inactive customer is not promoted", customer.Inactive, tier.Basic, tier.VIP, tier.Basic, 0, customer.ErrNotActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustNew(t, tt.status, tt.level)
			version := c.Version
			events, err := c.ApplyRecommendation(now, tt.recommend, "score 85")
			if !errors.Is(err, tt.err) || len(events) != tt.events || c.Tier != tt.want {
				t.Fatalf("got %d events, tier %s, error %v", len(events), c.Tier, err)
			}
			if tt.events == 0 && c.Version != version {
				t.Fatal("a recommendation without effect changed the version")
			}
			if tt.events == 1 {
				p := events[0].(customer.Promoted)
				if p.Source != customer.Profiling || p.Reason != "score 85" {
					t.Fatalf("payload = %+v", p)
				}
			}
		})
	}
}

func TestTiersAndStatusesParse(t *testing.T) {
	for _, s := range []string{"basic", "PREMIUM", " vip "} {
		if _, err := tier.Parse(s); err != nil {
			t.Errorf("tier.Parse(%q): %v", s, err)
		}
	}
	if _, err := tier.Parse("gold"); !errors.Is(err, tier.ErrTier) {
		t.Errorf("tier.Parse(gold) = %v", err)
	}
	for _, s := range []string{"onboarded", "Active", "inactive"} {
		if _, err := customer.ParseStatus(s); err != nil {
			t.Errorf("ParseStatus(%q): %v", s, err)
		}
	}
	if _, err := customer.ParseStatus("deleted"); !errors.Is(err, customer.ErrStatus) {
		t.Errorf("ParseStatus(deleted) = %v", err)
	}
	if _, ok := tier.Tier("gold").Next(); ok {
		t.Error("an unknown tier has no next tier")
	}
	if !tier.VIP.Above(tier.Premium) || tier.Basic.Above(tier.Basic) {
		t.Error("tier order is wrong")
	}
}

func TestBirthDatesAreCivilDates(t *testing.T) {
	d, err := customer.ParseBirthDate("2026-03-01", now)
	if err != nil || d.Year() != 2026 {
		t.Fatalf("today should be a valid birth date: %v %v", d, err)
	}
	// The original accepted any ISO 8601 date string: a date and time
	// gives its date as written, whatever its offset.
	for _, s := range []string{"1990-05-17T00:00:00.000Z", "1990-05-17T23:30:00-05:00"} {
		d, err := customer.ParseBirthDate(s, now)
		if err != nil || d.Format(time.DateOnly) != "1990-05-17" {
			t.Errorf("ParseBirthDate(%q) = %v, %v", s, d, err)
		}
	}
}

func FuzzOnboardingNeverPanicsAndFailsOnlyAsInvalid(f *testing.F) {
	f.Add("Juan Pérez", "", "", "juan@example.com", "+1234567890", "", "", "", "")
	f.Add("", "John", "Doe", "john.doe@example.com", "+1234567890", "DNI", "12345678Z", "1990-05-17", "en")
	f.Add("\x00", "a", "", "x@y", "+0", "1", "", "2999-01-01", "zz")
	f.Fuzz(func(t *testing.T, name, first, last, email, phone, docType, docNumber, birth, lang string) {
		r := customer.Registration{Name: name, FirstName: first, LastName: last, Email: email, Phone: phone,
			DocumentType: docType, DocumentNumber: docNumber, BirthDate: birth, Language: lang}
		c, events, err := customer.New("c1", r, now)
		if err != nil {
			if fault.KindOf(err) != fault.Invalid || c != nil {
				t.Fatalf("New failed as %v: %v", fault.KindOf(err), err)
			}
			return
		}
		if len(events) != 2 || c.Name == "" || c.Email == "" || c.Phone == "" {
			t.Fatalf("accepted customer is incomplete: %+v", c)
		}
	})
}

func TestSavedCopiesShareNothingAndCarryNoPendingHistory(t *testing.T) {
	c := mustNew(t, customer.Active, tier.Basic)
	if _, err := c.RecordFirstPayment(now, payment(t, "10")); err != nil {
		t.Fatal(err)
	}
	saved := c.Saved()
	if len(saved.Changes()) != 0 || len(c.Changes()) == 0 {
		t.Fatalf("changes: saved %d, original %d", len(saved.Changes()), len(c.Changes()))
	}
	saved.FirstPayment.Description = "changed"
	if c.FirstPayment.Description == "changed" {
		t.Fatal("the saved copy shares the payment with the original")
	}
}
