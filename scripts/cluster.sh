#!/usr/bin/env bash
# A local Kafka cluster on 127.0.0.1: a ZooKeeper ensemble plus brokers, for the quick start,
# classes and manual tests.
#
#   scripts/cluster.sh up|down|status [options]
#   scripts/cluster.sh stop-broker N|kill-broker N|start-broker N [options]
#
# Options:
#   --dir DIR        data directory (default ./data)
#   --zk-nodes N     ZooKeeper nodes (default 3, client ports 2181..)
#   --zk-port P      client port of the first ZooKeeper node (default 2181)
#   --brokers N      brokers (default 3, ids 1..N)
#   --port P         port of broker 1; broker K listens on P+K-1 (default 9092)
#   --topic T        the demo topic `up` creates (default demo; "" for none)
#   --override K=V   a broker property for every broker (repeatable; kept for later start-broker)
#   --metrics-port P serve Prometheus /metrics: broker K on P+K-1 (default: off)
#   --host-prefix A.B.C  broker K listens on A.B.C.K (a loopback address of its own, e.g. 127.0.7)
#                    and opens its connections from it (KAFKA_SOURCE_ADDRESS), so packet filters
#                    can cut the links between two brokers by address (bin/kafka-verify.sh)
#   --chroot /NAME   a second cluster on an ensemble that is already up (the one --zk-port and
#                    --zk-nodes name): its brokers use zookeeper.connect=<ensemble>/NAME, and
#                    `up`/`down` start and stop only them, never the ensemble. E.g. next to the
#                    quick start's cluster:  --dir ./data-b --port 9192 --chroot /cluster-b
#
# Layout: DIR/zk/ (the ensemble, see scripts/zk-ensemble.sh), DIR/broker-K/ with the broker's
# server.properties, logs (kafka-logs/), its output (broker.log) and pid file (broker.pid).
# Processes are only ever signalled by pid. `up` installs what is missing first
# (scripts/setup.sh) and returns once every node answers. Exit codes: 0 ok, 1 error, 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

usage() { sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
cmd=${1:-}; [ -n "$cmd" ] || usage; shift
broker_arg=
case "$cmd" in
  stop-broker|kill-broker|start-broker) broker_arg=${1:-}; [ -n "$broker_arg" ] || usage; shift ;;
  up|down|status) ;;
  -h|--help|help) usage ;;
  *) echo "unknown command: $cmd" >&2; usage ;;
esac

dir=./data zk_nodes= zk_port= brokers= port= topic=demo metrics_port= host_prefix= overrides=() overrides_given= chroot=
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=${2:?}; shift 2 ;;
    --zk-nodes) zk_nodes=${2:?}; shift 2 ;;
    --zk-port) zk_port=${2:?}; shift 2 ;;
    --brokers) brokers=${2:?}; shift 2 ;;
    --port) port=${2:?}; shift 2 ;;
    --topic) topic=${2-}; shift 2 ;;
    --metrics-port) metrics_port=${2:?}; shift 2 ;;
    --override) [[ ${2:-} == ?*=* ]] || die "--override wants key=value, got '${2:-}'"; overrides+=("$2"); overrides_given=1; shift 2 ;;
    --host-prefix) [[ ${2:-} =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "--host-prefix wants 127.B.C, got '${2:-}'"; host_prefix=$2; shift 2 ;;
    --chroot) chroot=${2:?}; shift 2 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
env_file=$dir/cluster.env
# Settings: options, then the saved cluster.env, then defaults.
if [ -f "$env_file" ]; then . "$env_file"; fi
zk_nodes=${zk_nodes:-${SAVED_ZK_NODES:-3}}
zk_port=${zk_port:-${SAVED_ZK_PORT:-2181}}
brokers=${brokers:-${SAVED_BROKERS:-3}}
port=${port:-${SAVED_PORT:-9092}}
host_prefix=${host_prefix:-${SAVED_HOST_PREFIX:-}}
metrics_port=${metrics_port:-${SAVED_METRICS_PORT:-}}
if [ -z "$overrides_given" ] && [ -n "${SAVED_OVERRIDES:-}" ]; then eval "overrides=($SAVED_OVERRIDES)"; fi
chroot=${chroot:-${SAVED_CHROOT:-}}
chroot=${chroot%/}
case "$chroot" in ""|/[A-Za-z0-9_.-]*) ;; *) echo "--chroot must look like /name, got \"$chroot\"" >&2; exit 2 ;; esac

# The ensemble's hosts; zk_connect adds the chroot (what brokers and tools of this cluster use).
zk_hosts() {
  local s= i
  for i in $(seq 1 "$zk_nodes"); do s="$s${s:+,}127.0.0.1:$((zk_port + i - 1))"; done
  printf '%s\n' "$s"
}
zk_connect() { printf '%s%s\n' "$(zk_hosts)" "$chroot"; }
bdir() { printf '%s/broker-%s\n' "$dir" "$1"; }
bport() { printf '%s\n' $((port + $1 - 1)); }
bhost() { if [ -n "$host_prefix" ]; then printf '%s.%s\n' "$host_prefix" "$1"; else printf '127.0.0.1\n'; fi; }
bpid() { cat "$(bdir "$1")/broker.pid" 2>/dev/null || true; }

# Is something answering Kafka requests on this port? (an ApiVersions round trip)
broker_answers() {
  node -e '
    const s = require("net").connect(+process.argv[1], process.argv[2] || "127.0.0.1");
    const b = Buffer.from([0,0,0,10, 0,18, 0,0, 0,0,0,1, 0,0]);
    s.setTimeout(2000, () => process.exit(1));
    s.on("connect", () => s.write(b)); s.on("data", () => process.exit(0)); s.on("error", () => process.exit(1));
  ' "$1" "${2:-}"
}

start_broker() {
  local k=$1 d p pid h o
  d=$(bdir "$k"); p=$(bport "$k"); pid=$(bpid "$k"); h=$(bhost "$k")
  if pid_alive "$pid"; then log "broker $k already running (pid $pid)"; return 0; fi
  mkdir -p "$d/kafka-logs"
  sed -e "s|^broker.id=.*|broker.id=$k|" \
      -e "s|^listeners=.*|listeners=PLAINTEXT://$h:$p|" \
      -e "s|^log.dirs=.*|log.dirs=$d/kafka-logs|" \
      -e "s|^zookeeper.connect=.*|zookeeper.connect=$(zk_connect)|" \
      -e "s|^default.replication.factor=.*|default.replication.factor=1|" \
      config/server.properties >"$d/server.properties"
  if [ -n "$metrics_port" ]; then echo "metrics.port=$((metrics_port + k - 1))" >>"$d/server.properties"; fi
  for o in ${overrides[@]+"${overrides[@]}"}; do printf '%s\n' "$o" >>"$d/server.properties"; done
  if [ -n "$host_prefix" ]; then
    KAFKA_SOURCE_ADDRESS=$h nohup bin/kafka-server-start.sh "$d/server.properties" >>"$d/broker.log" 2>&1 &
  else
    nohup bin/kafka-server-start.sh "$d/server.properties" >>"$d/broker.log" 2>&1 &
  fi
  echo $! >"$d/broker.pid"
}

wait_broker() {
  local k=$1 i
  for i in $(seq 1 300); do
    broker_answers "$(bport "$k")" "$(bhost "$k")" && return 0
    pid_alive "$(bpid "$k")" || { tail -20 "$(bdir "$k")/broker.log" >&2; die "broker $k exited during start (log: $(bdir "$k")/broker.log)"; }
    sleep 0.1
  done
  die "broker $k did not answer on port $(bport "$k") within 30 s (log: $(bdir "$k")/broker.log)"
}

# Waits until broker 1 knows N live brokers (the controller has told it about the cluster).
wait_metadata() {
  node --input-type=module -e '
    const { Cluster } = await import(process.cwd() + "/dist/src/client/cluster.js");
    const c = new Cluster({ brokers: process.argv[3] + ":" + process.argv[1] });
    const deadline = Date.now() + 30000;
    for (;;) {
      try { if ((await c.refresh([])).brokers.length >= +process.argv[2]) break; } catch {}
      if (Date.now() > deadline) { console.error("brokers did not learn the cluster within 30 s"); process.exit(1); }
      await new Promise((r) => setTimeout(r, 100));
    }
    c.close();
  ' "$port" "$1" "$(bhost 1)"
}

stop_broker() {
  local k=$1 sig=${2:-TERM} pid
  pid=$(bpid "$k")
  if ! pid_alive "$pid"; then rm -f "$(bdir "$k")/broker.pid"; return 0; fi
  kill -"$sig" "$pid" 2>/dev/null || true
  wait_pid_exit "$pid" 30 || { log "broker $k did not stop in 30 s; sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; wait_pid_exit "$pid" 5 || true; }
  rm -f "$(bdir "$k")/broker.pid"
}

case "$cmd" in
  up)
    scripts/setup.sh
    printf 'SAVED_ZK_NODES=%s\nSAVED_ZK_PORT=%s\nSAVED_BROKERS=%s\nSAVED_PORT=%s\n' "$zk_nodes" "$zk_port" "$brokers" "$port" >"$env_file"
    printf 'SAVED_CHROOT=%s\n' "$chroot" >>"$env_file"
    if [ -n "$host_prefix" ]; then printf 'SAVED_HOST_PREFIX=%s\n' "$host_prefix" >>"$env_file"; fi
    if [ -n "$metrics_port" ]; then printf 'SAVED_METRICS_PORT=%s\n' "$metrics_port" >>"$env_file"; fi
    if [ ${#overrides[@]} -gt 0 ]; then printf 'SAVED_OVERRIDES=%q\n' "$(printf '%q ' "${overrides[@]}")" >>"$env_file"; fi
    if [ -z "$chroot" ]; then
      scripts/zk-ensemble.sh start --nodes "$zk_nodes" --port "$zk_port" --dir "$dir/zk" >/dev/null
    else
      [ "$(zk_4lw "$zk_port" ruok 2>/dev/null)" = imok ] ||
        die "no ZooKeeper answers on 127.0.0.1:$zk_port: --chroot puts this cluster on a running ensemble (start one first: scripts/cluster.sh up, or name it with --zk-port/--zk-nodes)"
    fi
    for k in $(seq 1 "$brokers"); do start_broker "$k"; done
    for k in $(seq 1 "$brokers"); do wait_broker "$k"; done
    wait_metadata "$brokers"
    if [ -n "$topic" ]; then
      rf=$(( brokers < 3 ? brokers : 3 ))
      bin/kafka-topics.sh --zookeeper "$(zk_connect)" --create --if-not-exists --topic "$topic" \
        --partitions "$brokers" --replication-factor "$rf" >/dev/null
    fi
    cat <<MSG
Cluster up: ZooKeeper $(zk_connect); brokers $(for k in $(seq 1 "$brokers"); do printf '%s:%s ' "$(bhost "$k")" "$(bport "$k")"; done)
Try:
  bin/kafka-topics.sh --zookeeper $(zk_connect) --describe${topic:+ --topic $topic}
  scripts/cluster.sh kill-broker 2; bin/kafka-topics.sh --zookeeper $(zk_connect) --describe   (leaders move, the ISR shrinks)
  scripts/cluster.sh start-broker 2                                                          (and grows back)
  echo hello | bin/kafka-console-producer.sh --broker-list $(bhost 1):$port --topic ${topic:-demo}
  bin/kafka-console-consumer.sh --bootstrap-server $(bhost 1):$port --topic ${topic:-demo} --from-beginning
  kcat -b $(bhost 1):$port -L
Stop with: scripts/cluster.sh down${dir:+ --dir $dir}
MSG
    ;;
  down)
    for d in "$dir"/broker-*; do [ -d "$d" ] && stop_broker "${d##*-}"; done
    [ -n "$chroot" ] || scripts/zk-ensemble.sh stop --dir "$dir/zk" >/dev/null 2>&1 || true
    log "cluster stopped${chroot:+ (its brokers only: the ensemble belongs to another cluster)}"
    ;;
  status)
    if [ -z "$chroot" ]; then scripts/zk-ensemble.sh status --dir "$dir/zk" || true; else echo "ZooKeeper $(zk_connect) (a chroot on another cluster's ensemble)"; fi
    for d in "$dir"/broker-*; do
      [ -d "$d" ] || continue
      k=${d##*-}; pid=$(bpid "$k")
      if pid_alive "$pid"; then state=running; else state=stopped; fi
      printf 'broker %s  pid %-8s port %s  %s\n' "$k" "${pid:--}" "$(bport "$k")" "$state"
    done
    ;;
  start-broker) start_broker "$broker_arg"; wait_broker "$broker_arg"; log "broker $broker_arg started" ;;
  stop-broker) stop_broker "$broker_arg" TERM; log "broker $broker_arg stopped" ;;
  kill-broker) stop_broker "$broker_arg" KILL; log "broker $broker_arg killed" ;;
esac
