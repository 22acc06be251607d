package e2e

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/test/stacktest"
)

func TestEventsWaitInKafkaWhileAServiceIsDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := stacktest.Stop(ctx, sys, config.Notifications); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 3 {
		ids = append(ids, onboard(t, ""))
	}
	if err := stacktest.Resume(ctx, sys, config.Notifications, stackLog); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		notificationsOf(t, id, "welcome@email")
	}
}

func TestTheOutboxHoldsEventsThroughABrokerOutage(t *testing.T) {
	if os.Getenv("KAFKA_BROKERS") != "" {
		t.Skip("stops the embedded broker; an external cluster is not ours to stop")
	}
	stacktest.StopBroker(sys)
	restarted := false
	defer func() {
		if !restarted {
			_ = stacktest.StartBroker(sys, stackLog)
		}
	}()
	// The customer service keeps answering: the state change and its events
	// commit together in SQLite, and the relay retries the broker.
	id := onboard(t, "")
	post(t, customers()+"/customers/activate", `{"customerId":"`+id+`"}`)
	if r := do(t, "GET", customers()+"/readyz", ""); r.Status != http.StatusOK || r.str("status") != "degraded" || r.str("checks", "kafka") == "ok" {
		t.Fatalf("readiness with the broker down = %d %s", r.Status, r.Raw)
	}
	if err := stacktest.StartBroker(sys, stackLog); err != nil {
		t.Fatal(err)
	}
	restarted = true
	notificationsOf(t, id, "welcome@email", "account-activated@email", "account-activated@sms")
	eventually(t, "readiness to recover", func() (bool, string) {
		r := do(t, "GET", customers()+"/readyz", "")
		return r.str("status") == "ready", r.Raw
	})
}
