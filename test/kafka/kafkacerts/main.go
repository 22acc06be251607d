// Command kafkacerts writes the certificates broker.sh gives the test
// broker's TLS listeners (see package test/certs): ca.pem is the clients'
// KAFKA_TLS_CA_FILE and the mutual-TLS listener's truststore, server.pem the
// listeners' PEM keystore. They live only in the broker's temporary
// directory.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/fintechlabs/customers/test/certs"
)

func main() {
	dir := flag.String("dir", "", "directory to write the files into")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "kafkacerts: -dir is required")
		os.Exit(2)
	}
	if err := certs.Write(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "kafkacerts:", err)
		os.Exit(1)
	}
}
