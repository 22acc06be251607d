package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/adapters/kafka"
	"github.com/fintechlabs/customers/adapters/kafka/kafkatest"
	"github.com/fintechlabs/customers/apps/config"
	"github.com/fintechlabs/customers/core/event"
)

func TestTheCommandListsAndReplaysChosenDeadLetters(t *testing.T) {
	brokers := kafkatest.Brokers(t)
	prefix := kafkatest.Name("dlt") + "."
	env := config.MapEnv(map[string]string{"KAFKA_BROKERS": strings.Join(brokers, ","), "KAFKA_TOPIC_PREFIX": prefix})
	cfg, err := config.LoadKafka(env, "test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topic := prefix + event.TopicOnboarded
	admin := kafka.NewAdmin(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := admin.EnsureTopics(ctx, []string{event.TopicOnboarded, event.TopicOnboarded + event.DeadLetterSuffix}, nil); err != nil {
		t.Fatal(err)
	}
	letter := func(key, offset, failedAt string) kafkago.Message {
		return kafkago.Message{Topic: topic + event.DeadLetterSuffix, Key: []byte(key), Value: []byte(`{"customerId":"` + key + `"}`),
			Headers: []kafkago.Header{{Key: "ce_id", Value: []byte("evt-" + key)},
				{Key: "dlt-original-topic", Value: []byte(topic)}, {Key: "dlt-original-partition", Value: []byte("0")},
				{Key: "dlt-original-offset", Value: []byte(offset)}, {Key: "dlt-consumer-group", Value: []byte("notifications-group")},
				{Key: "dlt-error", Value: []byte("customer.tier is not known")}, {Key: "dlt-error-kind", Value: []byte("invalid")},
				{Key: "dlt-attempts", Value: []byte("1")}, {Key: "dlt-failed-at", Value: []byte(failedAt)}}}
	}
	kafkatest.WriteRecords(t, brokers, letter("a", "7", "2026-11-27T10:00:00Z"), letter("b", "9", "2026-11-27T11:00:00Z"))

	var out bytes.Buffer
	if err := run(ctx, []string{"list", "-topic", event.TopicOnboarded}, &out, env); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"customer.onboarded  0:7", "0:9", "notifications-group", "customer.tier is not known"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("the list lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(ctx, []string{"replay", "-topic", event.TopicOnboarded, "-at", "0:9"}, &out, env); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "replayed 1 of 2") {
		t.Fatalf("replay said %q", out.String())
	}
	got := kafkatest.ReadRecords(t, brokers, topic, 1, func(kafkago.Message) bool { return true })[0]
	if string(got.Key) != "b" || kafkatest.Header(got, "ce_id") != "evt-b" || kafkatest.Header(got, "dlt-error") != "" {
		t.Fatalf("replayed %s with %v", got.Key, got.Headers)
	}
	for _, bad := range [][]string{{"replay"}, {"replay", "-topic", "x", "-at", "nope"}, {"replay", "-topic", "x", "-since", "today"}, {"purge"}} {
		if err := run(ctx, bad, io.Discard, env); err == nil {
			t.Errorf("dlt %v was accepted", bad)
		}
	}
}
