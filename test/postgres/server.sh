#!/usr/bin/env bash
# Runs a real PostgreSQL server for tests, without Docker: Debian's
# postgresql package (installed with apt-get when missing), a cluster made
# by initdb in a temporary directory, listening on loopback. PostgreSQL
# refuses to run as root: as root, it runs as the package's postgres user.
#
#   test/postgres/server.sh start   start it; writes $STATE/env (POSTGRES_TEST_URL)
#   test/postgres/server.sh stop    stop it (by PID) and remove its data
#
# The cluster trades durability for speed (fsync off): it holds test data
# only, and lives as long as one test run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${POSTGRES_TEST_STATE:-$repo/.cache/postgres-test}
port=${POSTGRES_TEST_PORT:-15432}

log() { printf '[postgres-test] %s\n' "$*" >&2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

install() {
	if [[ -n $(bindir) ]]; then
		return
	fi
	log "installing Debian's postgresql package (once)"
	local sudo=()
	[[ $(id -u) -eq 0 ]] || sudo=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get install -y -q --no-install-recommends postgresql >/dev/null ||
		{ "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q --no-install-recommends postgresql >/dev/null; }
}

start() {
	install
	local bin user as=()
	bin=$(bindir)
	if [[ -f $state/pid ]] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
		log "already running (pid $(cat "$state/pid"))"
		return
	fi
	mkdir -p "$state"
	local dir
	dir=$(mktemp -d /tmp/customers-pg.XXXXXX)
	if [[ $(id -u) -eq 0 ]]; then
		user=postgres
		id "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"
		chown "$user" "$dir"
		as=(setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --)
	fi
	"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	"${as[@]}" "$bin/postgres" -D "$dir/data" -p "$port" -k "$dir" -c listen_addresses=127.0.0.1 \
		-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
		>"$dir/server.log" 2>&1 &
	local pid=$!
	echo "$pid" >"$state/pid"
	echo "$dir" >"$state/dir"
	local deadline=$((SECONDS + 60))
	until "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; do
		if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
			log "PostgreSQL did not start:"
			cat "$dir/server.log" >&2
			exit 1
		fi
		sleep 0.2 # polling interval
	done
	local version
	version=$("$bin/postgres" --version | awk '{print $3}')
	cat >"$state/env" <<ENV
export POSTGRES_TEST_URL='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'
export POSTGRES_TEST_VERSION='$version'
ENV
	log "PostgreSQL $version on 127.0.0.1:$port (pid $pid, data in $dir)"
}

stop() {
	[[ -f $state/pid ]] || return 0
	local pid dir
	pid=$(cat "$state/pid")
	dir=$(cat "$state/dir" 2>/dev/null || true)
	if kill -INT "$pid" 2>/dev/null; then # fast shutdown
		local deadline=$((SECONDS + 30))
		while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.2 # polling interval
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	[[ -n $dir && $dir == /tmp/customers-pg.* ]] && rm -rf "$dir"
	rm -f "$state/pid" "$state/dir" "$state/env"
	log "stopped"
}

case ${1:-} in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
