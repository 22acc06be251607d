package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/fintechlabs/customers/adapters/sqlite"
	"github.com/fintechlabs/customers/adapters/sqlstore/customersql"
	"github.com/fintechlabs/customers/adapters/sqlstore/deliverysql"
	"github.com/fintechlabs/customers/adapters/sqlstore/profilesql"
	"github.com/fintechlabs/customers/core/customer"
	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/core/profiling"
	"github.com/fintechlabs/customers/core/tier"
	"github.com/fintechlabs/customers/test/golden"
)

type stoppedClock struct{}

func (stoppedClock) Now() time.Time { return now }

// TestTheStoredRowsArePinned pins the rows each store writes, column by
// column as they sit in the tables: a renamed column or a changed encoding
// would orphan the data already stored, so it must fail here first.
func TestTheStoredRowsArePinned(t *testing.T) {
	ctx := context.Background()
	n := 0
	f := event.Factory{Source: "test", NewID: func() string { n++; return fmt.Sprintf("evt-%d", n) }}
	onboarded := func(id string) []event.Event {
		env := event.Envelope{CustomerID: id, Customer: event.Customer{ID: id, Name: "Ana", Version: 1}, Timestamp: now}
		return f.New(ctx, now, event.Onboarded{Envelope: env})
	}

	t.Run("customer", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "customer.db")
		engine, err := sqlite.New(path, sqlite.Full)
		mustDo(t, err)
		store, err := customersql.Open(ctx, engine, stoppedClock{}, nil, quiet)
		mustDo(t, err)
		defer store.Close()
		c, _, err := customer.New("c1", customer.Registration{FirstName: "Ana", LastName: "López", Email: "ana@example.es",
			Phone: "+34600111222", DocumentType: "DNI", DocumentNumber: "12345678Z", BirthDate: "1990-05-17"}, now)
		mustDo(t, err)
		mustDo(t, store.Create(ctx, c, onboarded("c1")))
		_, err = store.Update(ctx, "c1", func(c *customer.Customer) ([]event.Event, error) {
			if _, err := c.Activate(now, "kyc"); err != nil {
				return nil, err
			}
			payment, err := customer.ParsePayment(customer.PaymentRequest{Amount: "100.50", Currency: "EUR", Description: "top-up"})
			if err != nil {
				return nil, err
			}
			_, err = c.RecordFirstPayment(now, payment)
			return nil, err
		})
		mustDo(t, err)
		mustDo(t, store.AddNotification(ctx, "c1", customer.Notification{ID: "n1", EventID: "evt-9", Channel: "email",
			Template: "welcome", Recipient: "ana@example.es", Subject: "Hola", Status: "sent", SentAt: now}))
		mustDo(t, store.Inbox().Claim(ctx, "evt-9"))
		pinTables(t, "customer", path, "customers", "customer_history", "customer_notifications", "outbox", "inbox")
	})

	t.Run("profiling", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "profiling.db")
		engine, err := sqlite.New(path, sqlite.Full)
		mustDo(t, err)
		store, err := profilesql.Open(ctx, engine, stoppedClock{}, nil, quiet)
		mustDo(t, err)
		defer store.Close()
		rules := profiling.DefaultRules()
		_, err = store.Save(ctx, "c1", func(p *profiling.Profile) ([]event.Event, error) {
			p.Touch(now)
			p.ApplySnapshot(profiling.Snapshot{ID: "c1", Name: "Ana", Email: "ana@example.es", Phone: "+34600111222",
				Language: "es", Status: string(customer.Active), Tier: tier.Basic, BirthDate: time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC),
				CreatedAt: now, ActivatedAt: now, Version: 2})
			age, score := 36, 720
			p.State(profiling.Update{Age: &age, CreditScore: &score})
			p.GrantFirstPaymentBonus("promo-1", rules, now)
			p.Evaluate(rules, now)
			return onboarded("c1"), nil
		})
		mustDo(t, err)
		pinTables(t, "profiling", path, "profiles", "promotions", "outbox")
	})

	t.Run("notifications", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notifications.db")
		engine, err := sqlite.New(path, sqlite.Full)
		mustDo(t, err)
		store, err := deliverysql.Open(ctx, engine, stoppedClock{}, nil, quiet)
		mustDo(t, err)
		defer store.Close()
		mustDo(t, store.Record(ctx, notification.Delivery{ID: "d1", CustomerID: "c1", Channel: notification.Email,
			Recipient: "ana@example.es", Template: "welcome", Language: locale.Spanish,
			Content: notification.Content{Subject: "Hola", Body: "Bienvenida"}, Status: notification.Sent, ProviderID: "p1",
			Cause: &notification.Cause{EventID: "evt-1", EventType: event.TopicOnboarded}, CreatedAt: now}, onboarded("c1")))
		pinTables(t, "notifications", path, "deliveries", "outbox")
	})
}

// pinTables reads every row of each table of service's database at path,
// ordered by its first column, and compares them with the table's golden
// file.
func pinTables(t *testing.T, service, path string, tables ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	mustDo(t, err)
	defer db.Close()
	for _, table := range tables {
		rows, err := db.Query("SELECT * FROM " + table + " ORDER BY 1")
		mustDo(t, err)
		cols, err := rows.Columns()
		mustDo(t, err)
		var out []map[string]any
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			mustDo(t, rows.Scan(ptrs...))
			row := map[string]any{}
			for i, c := range cols {
				if b, ok := vals[i].([]byte); ok {
					if json.Valid(b) {
						vals[i] = json.RawMessage(b)
					} else {
						vals[i] = string(b)
					}
				}
				row[c] = vals[i]
			}
			out = append(out, row)
		}
		mustDo(t, rows.Err())
		rows.Close()
		golden.JSON(t, service+"-"+table, out)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
