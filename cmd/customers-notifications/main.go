// Command customers-notifications runs the notifications service alone, against the Kafka cluster in
// KAFKA_BROKERS. See the README's configuration table.
package main

import (
	"os"

	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/apps/notifications"
	"github.com/fintechlabs/customers/apps/runner"
)

func main() { os.Exit(runner.Main(config.Notifications, notifications.New)) }
