#!/usr/bin/env bash
# make test-kafka: the Kafka adapter, service and end-to-end suites against a
# real Apache Kafka broker (see broker.sh), which is stopped however the
# tests end.
set -euo pipefail
cd "$(dirname "$0")/../.."

test/kafka/broker.sh start
trap 'test/kafka/broker.sh stop' EXIT
# shellcheck disable=SC1091
source .cache/kafka-test/env
echo "== testing against Apache Kafka $KAFKA_TEST_VERSION: PLAINTEXT $KAFKA_BROKERS, SASL $KAFKA_SASL_BROKERS, SASL_SSL $KAFKA_TLS_BROKERS, mTLS $KAFKA_MTLS_BROKERS"
go test -race -count=1 -timeout 20m ./adapters/kafka/... ./apps/... ./test/e2e/...
echo "== the Kafka adapter suite again, over mutual TLS ($KAFKA_MTLS_BROKERS, certificates made by test/kafka/kafkacerts)"
KAFKA_BROKERS=$KAFKA_MTLS_BROKERS KAFKA_TEST_CLIENT_TLS=$KAFKA_TEST_TLS_DIR go test -race -count=1 -timeout 10m ./adapters/kafka/...
echo "== passed against Apache Kafka $KAFKA_TEST_VERSION"
