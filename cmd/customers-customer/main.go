// Command customers-customer runs the customer service alone, against the Kafka
// cluster in KAFKA_BROKERS. customers-customer -h lists its settings.
package main

import (
	"os"

	"github.com/fintechlabs/customers/apps/customer"
	"github.com/fintechlabs/customers/apps/runner"
)

func main() { os.Exit(runner.Main(customer.Assembly)) }
