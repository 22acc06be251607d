// Command customers-profiling runs the profiling service alone, against the Kafka
// cluster in KAFKA_BROKERS. customers-profiling -h lists its settings.
package main

import (
	"os"

	"github.com/fintechlabs/customers/apps/profiling"
	"github.com/fintechlabs/customers/apps/runner"
)

func main() { os.Exit(runner.Main(profiling.Assembly)) }
