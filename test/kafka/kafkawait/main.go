// Command kafkawait waits until a Kafka broker answers a metadata request
// and can coordinate a consumer group (which makes a fresh broker create its
// offsets topic), and reports the broker's API versions. broker.sh uses it
// after starting a broker.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"

	"github.com/fintechlabs/customers/adapters/tlsfiles"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "bootstrap servers")
	user := flag.String("user", "", "SASL PLAIN user (empty: no SASL)")
	password := flag.String("password", "", "SASL PLAIN password")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after")
	pid := flag.Int("pid", 0, "give up as soon as this process (the broker) exits")
	ca := flag.String("ca", "", "connect over TLS, trusting this CA (PEM)")
	cert := flag.String("cert", "", "client certificate (PEM), for mutual TLS")
	key := flag.String("key", "", "client key (PEM), for mutual TLS")
	flag.Parse()

	transport := &kafkago.Transport{DialTimeout: 2 * time.Second, MetadataTTL: time.Millisecond}
	if *user != "" {
		transport.SASL = plain.Mechanism{Username: *user, Password: *password}
	}
	if *ca != "" {
		tlsConfig, err := tlsConfig(*ca, *cert, *key)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kafkawait:", err)
			os.Exit(1)
		}
		transport.TLS = tlsConfig
	}
	client := &kafkago.Client{Addr: kafkago.TCP(strings.Split(*brokers, ",")...), Timeout: 5 * time.Second, Transport: transport}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var last error
	for {
		md, err := client.Metadata(ctx, &kafkago.MetadataRequest{})
		if err == nil && len(md.Brokers) > 0 {
			err = coordinator(ctx, client)
		}
		if err == nil {
			versions, verr := client.ApiVersions(ctx, &kafkago.ApiVersionsRequest{})
			if verr == nil {
				fmt.Printf("broker %s answers: cluster %s, %d brokers, %d APIs, group coordinator ready\n",
					*brokers, md.ClusterID, len(md.Brokers), len(versions.ApiKeys))
				return
			}
			err = verr
		}
		last = err
		if *pid > 0 && syscall.Kill(*pid, 0) != nil {
			fmt.Fprintf(os.Stderr, "kafkawait: the broker (pid %d) exited: %v\n", *pid, last)
			os.Exit(1)
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(os.Stderr, "kafkawait: %s did not answer within %s: %v\n", *brokers, *timeout, last)
			os.Exit(1)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// coordinator asks for a consumer group's coordinator; it fails until the
// broker has created and loaded its offsets topic.
func coordinator(ctx context.Context, client *kafkago.Client) error {
	resp, err := client.FindCoordinator(ctx, &kafkago.FindCoordinatorRequest{Key: "kafkawait", KeyType: kafkago.CoordinatorKeyTypeConsumer})
	if err != nil {
		return err
	}
	return resp.Error
}

func tlsConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	pool, err := tlsfiles.CertPool(caFile)
	if err != nil {
		return nil, err
	}
	c := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c, nil
}
