package notification_test

import (
	"testing"

	"github.com/fintechlabs/customers/core/locale"
	"github.com/fintechlabs/customers/core/notification"
)

func BenchmarkRenderTheWelcomeEmail(b *testing.B) {
	tpl, err := notification.Templates().Get(notification.Welcome)
	if err != nil {
		b.Fatal(err)
	}
	data := map[string]string{"customerName": "Juan Pérez"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := notification.RenderTemplate(tpl, notification.Email, locale.Spanish, data); err != nil {
			b.Fatal(err)
		}
	}
}
