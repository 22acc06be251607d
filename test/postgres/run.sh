#!/usr/bin/env bash
# make test-postgres: the PostgreSQL engine's suites (the storage contracts,
# replicas, migrations under a lock, the relay's takeover) and the
# end-to-end and hostile suites with every service on PostgreSQL, against a
# real server (see server.sh), which is stopped however the tests end.
set -euo pipefail
cd "$(dirname "$0")/../.."

test/postgres/server.sh start
trap 'test/postgres/server.sh stop' EXIT
# shellcheck disable=SC1091
source .cache/postgres-test/env
echo "== testing against PostgreSQL $POSTGRES_TEST_VERSION ($POSTGRES_TEST_URL)"
go test -race -count=1 -timeout 20m ./adapters/postgres/... ./apps/... ./test/e2e/... ./test/hostile/...
echo "== passed against PostgreSQL $POSTGRES_TEST_VERSION"
