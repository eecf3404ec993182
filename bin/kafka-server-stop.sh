#!/usr/bin/env bash
# Stops a broker started with -daemon, by its pid file (KAFKA_PID_FILE, default ./data/broker.pid):
# SIGTERM (clean shutdown: flush, clean-shutdown marker, deregister), waits for it to exit.
set -euo pipefail
pid_file=${KAFKA_PID_FILE:-${1:-./data/broker.pid}}
[ -f "$pid_file" ] || { echo "kafka-server-stop: no pid file $pid_file" >&2; exit 1; }
pid=$(cat "$pid_file")
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "kafka-server-stop: broker $pid did not stop in 30 s" >&2; exit 1; fi
fi
rm -f "$pid_file"
