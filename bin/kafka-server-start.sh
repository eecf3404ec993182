#!/usr/bin/env bash
# Starts a broker: kafka-server-start.sh [-daemon] config/server.properties [--override k=v ...]
# With -daemon it runs in the background, logs to <log.dirs>/../broker-<id>.log is not assumed:
# set KAFKA_LOG_FILE and KAFKA_PID_FILE (defaults: ./data/broker.log, ./data/broker.pid).
# Node runs with KAFKA_HEAP_OPTS (default below; why: src/broker/heap-opts.ts, which holds the
# same value) and KAFKA_OPTS, as Kafka's script passes them to the JVM, and malloc on huge pages
# (bin/_malloc.sh). Without -daemon the script execs node: the pid of this script is the broker's.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/bin/_malloc.sh"
[ -f "$here/dist/src/bin/kafka-server-start.js" ] || { echo "kafka-server-start: not built; run scripts/setup.sh" >&2; exit 1; }
DEFAULT_KAFKA_HEAP_OPTS="--initial-old-space-size=128"
# shellcheck disable=SC2206
node_opts=(${KAFKA_HEAP_OPTS:-$DEFAULT_KAFKA_HEAP_OPTS} ${KAFKA_OPTS:-})
if [ "${1:-}" = "-daemon" ]; then
  shift
  log=${KAFKA_LOG_FILE:-./data/broker.log}; pid=${KAFKA_PID_FILE:-./data/broker.pid}
  mkdir -p "$(dirname "$log")" "$(dirname "$pid")"
  nohup node "${node_opts[@]}" "$here/dist/src/bin/kafka-server-start.js" "$@" >>"$log" 2>&1 &
  echo $! >"$pid"
  exit 0
fi
exec node "${node_opts[@]}" "$here/dist/src/bin/kafka-server-start.js" "$@"
