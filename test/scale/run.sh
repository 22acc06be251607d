#!/usr/bin/env bash
# make test-scale: each service as two replicas (six processes) against a
# real Apache Kafka and one PostgreSQL, with one replica of each killed
# mid-load; both servers are stopped however the test ends.
set -euo pipefail
cd "$(dirname "$0")/../.."

test/kafka/broker.sh start
trap 'test/kafka/broker.sh stop' EXIT
test/postgres/server.sh start
trap 'test/postgres/server.sh stop; test/kafka/broker.sh stop' EXIT
# shellcheck disable=SC1091
source .cache/kafka-test/env
# shellcheck disable=SC1091
source .cache/postgres-test/env
echo "== replicas against Apache Kafka $KAFKA_TEST_VERSION and PostgreSQL $POSTGRES_TEST_VERSION"
go test -count=1 -v -timeout 20m -run . ./test/scale | grep -v '^=== RUN'
