// Command customers-dlt lists and redrives dead letters: the records a consumer could
// not handle, kept in the <topic>.dlt topics with why they failed.
//
//	customers-dlt list   [-topic customer.onboarded]
//	customers-dlt replay -topic customer.onboarded [-at 0:12,1:7] [-since 2026-11-27T10:00:00Z] [-group notifications-group]
//
// It reads the Kafka settings of the services (KAFKA_BROKERS,
// KAFKA_TOPIC_PREFIX, TLS and SASL) from the environment. Replaying is safe:
// the consumers' inboxes skip what they handled already. Fix the cause
// first, or the records fail again.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/logging"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/core/event"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, config.Env(os.LookupEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "dlt:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, out io.Writer, env config.Env) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		return errors.New("usage: customers-dlt list [-topic T] | customers-dlt replay -topic T [-at P:O,...] [-since TIME] [-group G]")
	}
	flags := flag.NewFlagSet("customers-dlt "+args[0], flag.ContinueOnError)
	topic := flags.String("topic", "", "the event type (topic without prefix or .dlt); list: every consumed topic when empty")
	at := flags.String("at", "", "replay: the dead letters at these original partition:offset pairs, comma-separated")
	since := flags.String("since", "", "replay: the dead letters that failed at or after this RFC 3339 time")
	group := flags.String("group", "", "replay: only the dead letters of this consumer group")
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.LoadKafka(env, "dlt-admin")
	if err != nil {
		return err
	}
	dead := kafka.NewDeadLetters(cfg, logging.New(os.Stderr, logging.Options{Format: logging.Pretty, NoColor: true}))
	if args[0] == "list" {
		topics := event.Topics()
		if *topic != "" {
			topics = []string{*topic}
		}
		return list(ctx, dead, topics, out)
	}
	if *topic == "" {
		return errors.New("replay needs -topic")
	}
	choose, err := chooser(*at, *since, *group)
	if err != nil {
		return err
	}
	var chosen []kafka.DeadLetter
	seen := 0
	err = dead.Each(ctx, *topic, kafka.Position{}, func(l kafka.DeadLetter) bool {
		seen++
		if choose(l) {
			chosen = append(chosen, l)
		}
		return true
	})
	if err != nil {
		return err
	}
	n, err := dead.Replay(ctx, chosen)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "replayed %d of %d dead letters of %s\n", n, seen, *topic)
	return nil
}

// list prints the dead letters of topics, one line each.
func list(ctx context.Context, dead *kafka.DeadLetters, topics []string, out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tAT\tGROUP\tKIND\tATTEMPTS\tAGE\tERROR")
	for _, t := range topics {
		err := dead.Each(ctx, t, kafka.Position{}, func(l kafka.DeadLetter) bool {
			fmt.Fprintf(tw, "%s\t%d:%d\t%s\t%s\t%d\t%s\t%s\n", l.Topic, l.Partition, l.Offset, l.Group, l.Kind, l.Attempts,
				time.Since(l.FailedAt).Round(time.Second), l.Error)
			return true
		})
		if err != nil {
			return err
		}
	}
	return tw.Flush()
}

// chooser selects dead letters by original position, failure time and
// group; no criterion selects all.
func chooser(at, since, group string) (func(kafka.DeadLetter) bool, error) {
	positions := map[string]bool{}
	for _, p := range strings.Split(at, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		part, off, ok := strings.Cut(p, ":")
		if _, err := strconv.Atoi(part); !ok || err != nil {
			return nil, fmt.Errorf("-at %q is not partition:offset", p)
		}
		if _, err := strconv.ParseInt(off, 10, 64); err != nil {
			return nil, fmt.Errorf("-at %q is not partition:offset", p)
		}
		positions[p] = true
	}
	var from time.Time
	if since != "" {
		var err error
		if from, err = time.Parse(time.RFC3339, since); err != nil {
			return nil, fmt.Errorf("-since %q is not an RFC 3339 time", since)
		}
	}
	return func(l kafka.DeadLetter) bool {
		return (len(positions) == 0 || positions[fmt.Sprintf("%d:%d", l.Partition, l.Offset)]) &&
			!l.FailedAt.Before(from) && (group == "" || l.Group == group)
	}, nil
}
