#!/usr/bin/env bash
# Runs a real Apache Kafka broker for tests, without Docker: the broker's jars
# come from Maven Central (cached), KRaft storage is formatted in a temporary
# directory, and one combined broker+controller listens on loopback.
#
#   test/kafka/broker.sh start   start it; prints the version and writes $STATE/env
#   test/kafka/broker.sh stop    stop it (by PID) and remove its data
#
# Listeners: PLAINTEXT on $KAFKA_TEST_PORT (19092), SASL_PLAINTEXT on the next
# port (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, user "app" / "app-secret"),
# the controller on the one after, then SASL_SSL (the same mechanisms over
# TLS) and SSL with client certificates required (mutual TLS). The
# certificates come from test/kafka/kafkacerts: a CA made on each start, whose
# files are in $KAFKA_TEST_TLS_DIR. The default stays below Linux's ephemeral
# range (32768+): a client polling a port there before the broker listens can
# be given that very port as its own source port (a TCP self-connect) and so
# keep the broker from binding it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${KAFKA_TEST_STATE:-$repo/.cache/kafka-test}
port=${KAFKA_TEST_PORT:-19092}
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
jars=${KAFKA_JARS_CACHE:-$HOME/.cache/customers-kafka/$version}
sasl_user=app
sasl_password=app-secret

log() { printf '[kafka-test] %s\n' "$*" >&2; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fetch_jars() {
	if [[ -f $jars/.complete ]]; then
		return
	fi
	log "downloading Apache Kafka $version from Maven Central into $jars (once)"
	rm -rf "$jars.tmp"
	mvn -B -q -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$jars.tmp"
	rm -rf "$jars"
	mv "$jars.tmp" "$jars"
	touch "$jars/.complete"
}

write_config() {
	local dir=$1
	mkdir -p "$dir/data"
	(cd "$repo" && go run ./test/kafka/kafkacerts -dir "$dir/tls")
	local jaas_plain="org.apache.kafka.common.security.plain.PlainLoginModule required user_$sasl_user=\"$sasl_password\";"
	local jaas_scram="org.apache.kafka.common.security.scram.ScramLoginModule required;"
	# Java .properties files take no trailing comments on a value line.
	cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sasl_port,CONTROLLER://127.0.0.1:$controller_port,SASL_SSL://127.0.0.1:$sasl_ssl_port,SSL://127.0.0.1:$ssl_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sasl_port,SASL_SSL://127.0.0.1:$sasl_ssl_port,SSL://127.0.0.1:$ssl_port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=$jaas_plain
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=$jaas_scram
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$jaas_scram
listener.name.sasl_ssl.plain.sasl.jaas.config=$jaas_plain
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$jaas_scram
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$jaas_scram
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$dir/tls/server.pem
listener.name.ssl.ssl.keystore.type=PEM
listener.name.ssl.ssl.keystore.location=$dir/tls/server.pem
listener.name.ssl.ssl.truststore.type=PEM
listener.name.ssl.ssl.truststore.location=$dir/tls/ca.pem
listener.name.ssl.ssl.client.auth=required
log.dirs=$dir/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
background.threads=2
log.cleaner.threads=1
num.recovery.threads.per.data.dir=1
PROPS
	cat >"$dir/log4j2.properties" <<'PROPS'
appender.file.type=File
appender.file.name=file
appender.file.fileName=${sys:kafka.logs.dir}/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.apache.name=org.apache.kafka
logger.apache.level=INFO
PROPS
}

java_opts() {
	local dir=$1
	echo "-Xms256m -Xmx512m -XX:+UseSerialGC -Djava.awt.headless=true -Dkafka.logs.dir=$dir -Dlog4j2.configurationFile=$dir/log4j2.properties"
}

set_ports() {
	port=$1
	sasl_port=$((port + 1))
	controller_port=$((port + 2))
	sasl_ssl_port=$((port + 3))
	ssl_port=$((port + 4))
}

start() {
	if [[ -f $state/pid ]] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
		log "already running (pid $(cat "$state/pid"))"
		return
	fi
	command -v java >/dev/null || { log "java is required"; exit 1; }
	command -v mvn >/dev/null || { log "mvn is required"; exit 1; }
	fetch_jars
	mkdir -p "$state"
	local base=$port
	for attempt in 1 2 3; do
		set_ports $((base + (attempt - 1) * 10))
		if port_busy "$port" || port_busy "$sasl_port" || port_busy "$controller_port" || port_busy "$sasl_ssl_port" || port_busy "$ssl_port"; then
			log "ports $port-$ssl_port are taken; trying the next ten"
			continue
		fi
		if launch; then
			return
		fi
		if ! grep -q "Address already in use" "$(cat "$state/dir")/server.log" 2>/dev/null; then
			stop
			exit 1
		fi
		log "a port of $port-$ssl_port was in use after all; trying the next ten"
		stop
	done
	log "no free ports near $base; set KAFKA_TEST_PORT"
	exit 1
}

# launch formats storage, starts the broker and waits for both listeners.
launch() {
	local dir
	dir=$(mktemp -d "${TMPDIR:-/tmp}/kafka-test.XXXXXX")
	echo "$dir" >"$state/dir"
	write_config "$dir"
	local cp="$jars/*"
	local cluster
	# shellcheck disable=SC2046
	cluster=$(java $(java_opts "$dir") -cp "$cp" kafka.tools.StorageTool random-uuid)
	# A static controller.quorum.voters means no --standalone here.
	# shellcheck disable=SC2046
	java $(java_opts "$dir") -cp "$cp" kafka.tools.StorageTool format -t "$cluster" -c "$dir/server.properties" \
		--add-scram "SCRAM-SHA-256=[name=$sasl_user,password=$sasl_password]" \
		--add-scram "SCRAM-SHA-512=[name=$sasl_user,password=$sasl_password]" >"$dir/format.log" 2>&1 ||
		{ cat "$dir/format.log" >&2; return 1; }
	log "starting Apache Kafka $version (KRaft, cluster $cluster) on 127.0.0.1:$port, SASL on :$sasl_port, SASL_SSL on :$sasl_ssl_port, mTLS on :$ssl_port"
	# shellcheck disable=SC2046
	nohup java $(java_opts "$dir") -cp "$cp" kafka.Kafka "$dir/server.properties" >"$dir/stdout.log" 2>&1 &
	local pid=$!
	echo "$pid" >"$state/pid"
	if ! (cd "$repo" && go run ./test/kafka/kafkawait -brokers "127.0.0.1:$port" -pid "$pid" -timeout 180s) ||
		! (cd "$repo" && go run ./test/kafka/kafkawait -brokers "127.0.0.1:$sasl_port" -pid "$pid" \
			-user "$sasl_user" -password "$sasl_password" -timeout 60s) ||
		! (cd "$repo" && go run ./test/kafka/kafkawait -brokers "127.0.0.1:$sasl_ssl_port" -pid "$pid" \
			-user "$sasl_user" -password "$sasl_password" -ca "$dir/tls/ca.pem" -timeout 60s) ||
		! (cd "$repo" && go run ./test/kafka/kafkawait -brokers "127.0.0.1:$ssl_port" -pid "$pid" \
			-ca "$dir/tls/ca.pem" -cert "$dir/tls/client.pem" -key "$dir/tls/client-key.pem" -timeout 60s); then
		log "the broker did not come up; its log:"
		tail -n 30 "$dir/server.log" "$dir/stdout.log" >&2 || true
		return 1
	fi
	local running
	running=$(sed -n 's/.*Kafka version: \([^ ]*\).*/\1/p' "$dir/server.log" | head -n 1)
	cat >"$state/env" <<ENV
export KAFKA_BROKERS=127.0.0.1:$port
export KAFKA_SASL_BROKERS=127.0.0.1:$sasl_port
export KAFKA_TEST_SASL_USERNAME=$sasl_user
export KAFKA_TEST_SASL_PASSWORD=$sasl_password
export KAFKA_TLS_BROKERS=127.0.0.1:$sasl_ssl_port
export KAFKA_MTLS_BROKERS=127.0.0.1:$ssl_port
export KAFKA_TEST_TLS_DIR=$dir/tls
export KAFKA_TEST_VERSION=${running:-$version}
ENV
	echo "Apache Kafka ${running:-unknown} is running (pid $pid): PLAINTEXT 127.0.0.1:$port, SASL_PLAINTEXT 127.0.0.1:$sasl_port, SASL_SSL 127.0.0.1:$sasl_ssl_port, SSL (mTLS) 127.0.0.1:$ssl_port"
}

stop() {
	if [[ -f $state/pid ]]; then
		local pid
		pid=$(cat "$state/pid")
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid"
			for _ in $(seq 1 60); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.5
			done
			kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
			log "stopped (pid $pid)"
		fi
		rm -f "$state/pid"
	fi
	if [[ -f $state/dir ]]; then
		rm -rf "$(cat "$state/dir")"
		rm -f "$state/dir" "$state/env"
	fi
}

case ${1:-} in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
