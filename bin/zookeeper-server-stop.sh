#!/usr/bin/env bash
# Stops the ZooKeeper started by bin/zookeeper-server-start.sh, by the pid file in its dataDir
# (SIGTERM, then SIGKILL after 10 s). Never by process name.
#
#   bin/zookeeper-server-stop.sh [config/zookeeper.properties]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib/common.sh"

props=${1:-$ROOT/config/zookeeper.properties}
[ -f "$props" ] || die "no such file: $props"
data_dir=$(sed -n 's/^[[:space:]]*dataDir[[:space:]]*=[[:space:]]*//p' "$props" | tail -n 1 | tr -d '\r')
[ -n "$data_dir" ] || die "$props has no dataDir"
case "$data_dir" in /*) ;; *) data_dir="$ROOT/${data_dir#./}" ;; esac
pid_file="$data_dir/zookeeper.pid"

if [ ! -f "$pid_file" ]; then log "No zookeeper server to stop (no $pid_file)"; exit 0; fi
pid=$(cat "$pid_file")
if ! pid_matches "$pid" "$data_dir/zoo.cfg"; then
  log "No zookeeper server to stop (pid $pid is not running it)"; rm -f "$pid_file"; exit 0
fi
stop_pid "$pid" 10 || die "pid $pid did not exit"
rm -f "$pid_file"
log "stopped ZooKeeper pid $pid"
