// Command customers-notifications runs the notifications service alone, against the Kafka
// cluster in KAFKA_BROKERS. customers-notifications -h lists its settings.
package main

import (
	"os"

	"github.com/fintechlabs/customers/apps/notifications"
	"github.com/fintechlabs/customers/apps/runner"
)

func main() { os.Exit(runner.Main(notifications.Assembly)) }
