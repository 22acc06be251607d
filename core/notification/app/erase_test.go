package app_test

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/fintechlabs/customers/core/event"
	"github.com/fintechlabs/customers/core/notification"
	"github.com/fintechlabs/customers/ports/deliveries"
	"github.com/fintechlabs/customers/ports/mocks"
)

// forgetting is an email sender that keeps copies, like the development
// provider's mailbox, and remembers whom it forgot.
type forgetting struct {
	*mocks.MockEmailSender
	forgot *[]string
}

func (f forgetting) Forget(_ context.Context, recipients []string) error {
	*f.forgot = append(*f.forgot, recipients...)
	return nil
}

func TestAnErasureForgetsTheDeliveriesAndTheProvidersCopies(t *testing.T) {
	forgot := new([]string)
	f := setupWith(t, func(m *mocks.MockEmailSender) deliveries.EmailSender { return forgetting{m, forgot} })
	f.inbox.EXPECT().Handled(gomock.Any(), gomock.Any()).Return(false, nil).AnyTimes()
	f.deliveries.EXPECT().Erase(gomock.Any(), "c1").Return([]string{"ana@example.es", "+34600111222"}, nil)
	f.forget.EXPECT().Purge(gomock.Any()).Return(nil)
	if err := f.svc.Handle(context.Background(), consumed(event.Erased{Envelope: envelope("+34600111222")})); err != nil {
		t.Fatal(err)
	}
	if len(*forgot) != 2 {
		t.Fatalf("the provider forgot %v", *forgot)
	}
}

func TestNothingIsSentToAnErasedCustomer(t *testing.T) {
	f := setup(t)
	*f.erased = true
	// No Get, Intend, send or Record expected: only the claim.
	f.inbox.EXPECT().Handled(gomock.Any(), "evt-1").Return(false, nil)
	if err := f.svc.Handle(context.Background(), consumed(event.Onboarded{Envelope: envelope("+34600111222")})); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Send(context.Background(), notification.Request{Channel: notification.Email, To: "ana@example.es", CustomerID: "c1", Subject: "Hola", Body: "hi"})
	if !errors.Is(err, notification.ErrErased) {
		t.Fatalf("a message on request to an erased customer: %v", err)
	}
}
