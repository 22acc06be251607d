// Command customers-stack runs the whole system in one process: an embedded Kafka
// broker (unless KAFKA_BROKERS is set) and the customer, profiling and
// notifications services. It is what `make run` starts.
package main

import (
	"os"

	"github.com/fintechlabs/customers/apps/stack"
)

func main() { os.Exit(stack.Main(os.Stdout)) }
