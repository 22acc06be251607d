// Command profiling runs the profiling service alone, against the Kafka cluster in
// KAFKA_BROKERS. See the README's configuration table.
package main

import (
	"os"

	"github.com/fintechlabs/customers/apps/system"
)

func main() { os.Exit(system.Main(system.Profiling)) }
