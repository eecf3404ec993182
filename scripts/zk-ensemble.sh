#!/usr/bin/env bash
# A local ZooKeeper ensemble on 127.0.0.1 for development and tests.
#
#   scripts/zk-ensemble.sh start|stop|status [options]
#   scripts/zk-ensemble.sh start-node K|stop-node K|kill-node K [options]
#
# Options:
#   --nodes N          ensemble size (default 3; 1 = a standalone server)
#   --dir BASE         base directory (default ./data/zk)
#   --port P           client port of node 1; node K listens on P+K-1 (default 2181)
#   --peer-port Q      quorum port of node 1 (default P+707, i.e. 2888 for 2181)
#   --election-port E  election port of node 1 (default Q+1000, i.e. 3888)
#   --tick-time MS     tickTime (default 2000)
#   --timeout S        how long start waits for the nodes to serve (default 40)
#
# Layout (one directory per node):
#   BASE/ensemble.env            the settings of the running ensemble (read back by every command)
#   BASE/nodeK/zoo.cfg           that node's configuration
#   BASE/nodeK/data/myid         K
#   BASE/nodeK/zookeeper.pid     pid of the JVM this script started
#   BASE/nodeK/zookeeper.log     its output
#
# Once started, the other commands read BASE/ensemble.env, so only --dir needs repeating.
# Processes are only ever signalled by pid, and only when that pid's command line still names
# this node's zoo.cfg. Exit codes: 0 ok; 1 error; 2 usage; 3 (status) nothing running.
# start prints the connect string (127.0.0.1:P,127.0.0.1:P+1,...) on stdout.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
. "$SCRIPT_DIR/lib/common.sh"

usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd=${1:-}; [ -n "$cmd" ] || usage; shift
node_arg=
case "$cmd" in
  start-node|stop-node|kill-node)
    node_arg=${1:-}; [ -n "$node_arg" ] || usage; shift ;;
  start|stop|status) ;;
  -h|--help|help) usage ;;
  *) echo "unknown command: $cmd" >&2; usage ;;
esac

opt_nodes= opt_port= opt_peer= opt_election= opt_tick= base=./data/zk timeout_s=${ZK_START_TIMEOUT:-40}
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) opt_nodes=${2:?}; shift 2 ;;
    --dir) base=${2:?}; shift 2 ;;
    --port) opt_port=${2:?}; shift 2 ;;
    --peer-port) opt_peer=${2:?}; shift 2 ;;
    --election-port) opt_election=${2:?}; shift 2 ;;
    --tick-time) opt_tick=${2:?}; shift 2 ;;
    --timeout) timeout_s=${2:?}; shift 2 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
mkdir -p "$base"
base=$(cd "$base" && pwd)
env_file=$base/ensemble.env

# Settings: explicit options win, then the saved ensemble.env, then defaults.
NODES= PORT= PEER_PORT= ELECTION_PORT= TICK_TIME=
# shellcheck disable=SC1090
[ -f "$env_file" ] && . "$env_file"
NODES=${opt_nodes:-${NODES:-3}}
PORT=${opt_port:-${PORT:-2181}}
PEER_PORT=${opt_peer:-$( [ -n "$opt_port" ] && echo $((PORT + 707)) || echo "${PEER_PORT:-$((PORT + 707))}")}
ELECTION_PORT=${opt_election:-$( [ -n "$opt_peer$opt_port" ] && echo $((PEER_PORT + 1000)) || echo "${ELECTION_PORT:-$((PEER_PORT + 1000))}")}
TICK_TIME=${opt_tick:-${TICK_TIME:-2000}}
for v in NODES PORT PEER_PORT ELECTION_PORT TICK_TIME timeout_s; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number, got '${!v}'"
done
[ "$NODES" -ge 1 ] || die "--nodes must be at least 1"

declare -A LAUNCHED=() # node -> pid started by this invocation

node_dir() { printf '%s/node%s\n' "$base" "$1"; }
client_port() { echo $((PORT + $1 - 1)); }
pid_file() { printf '%s/zookeeper.pid\n' "$(node_dir "$1")"; }
cfg_file() { printf '%s/zoo.cfg\n' "$(node_dir "$1")"; }
log_file() { printf '%s/zookeeper.log\n' "$(node_dir "$1")"; }
connect_string() {
  local k s=
  for k in $(seq 1 "$NODES"); do s="$s,127.0.0.1:$(client_port "$k")"; done
  echo "${s#,}"
}

# The pid of node K if it is alive and still our process, else nothing.
node_pid() {
  local f pid
  f=$(pid_file "$1")
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  if [ -n "$pid" ] && pid_matches "$pid" "$(cfg_file "$1")"; then echo "$pid"; fi
}

check_node_arg() {
  [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] || die "node must be 1..$NODES, got '$1'"
}

save_env() {
  cat >"$env_file" <<EOF
NODES=$NODES
PORT=$PORT
PEER_PORT=$PEER_PORT
ELECTION_PORT=$ELECTION_PORT
TICK_TIME=$TICK_TIME
EOF
}

write_config() {
  local k=$1 d
  d=$(node_dir "$k")
  mkdir -p "$d/data"
  echo "$k" >"$d/data/myid"
  {
    echo "# Written by scripts/zk-ensemble.sh: node $k of $NODES"
    echo "tickTime=$TICK_TIME"
    echo "initLimit=10"
    echo "syncLimit=5"
    echo "dataDir=$d/data"
    echo "clientPort=$(client_port "$k")"
    echo "clientPortAddress=127.0.0.1"
    echo "maxClientCnxns=0"
    echo "minSessionTimeout=1000"
    echo "maxSessionTimeout=60000"
    echo "admin.enableServer=false"
    echo "4lw.commands.whitelist=srvr,ruok,mntr,stat"
    echo "snapshot.trust.empty=true"
    if [ "$NODES" -gt 1 ]; then
      local j
      for j in $(seq 1 "$NODES"); do
        echo "server.$j=127.0.0.1:$((PEER_PORT + j - 1)):$((ELECTION_PORT + j - 1))"
      done
    fi
  } >"$(cfg_file "$k")"
}

check_ports() {
  local k=$1 p
  for p in "$(client_port "$k")" $([ "$NODES" -gt 1 ] && echo "$((PEER_PORT + k - 1)) $((ELECTION_PORT + k - 1))"); do
    port_free "$p" || die "node $k: port $p on 127.0.0.1 is in use"
  done
}

# Launches node K in the background (its own session, so a terminal's Ctrl-C does not reach it).
launch_node() {
  local k=$1 cp pid p
  cp=$(zk_classpath) || die "no ZooKeeper found: run scripts/setup.sh (or set ZOOKEEPER_HOME)"
  command -v java >/dev/null 2>&1 || die "java not found: run scripts/setup.sh"
  check_ports "$k"
  write_config "$k"
  # shellcheck disable=SC2046
  setsid java $(zk_java_opts) -Dzookeeper.log.dir="$(node_dir "$k")" -cp "$cp" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$(cfg_file "$k")" \
    </dev/null >>"$(log_file "$k")" 2>&1 &
  pid=$!
  disown "$pid" 2>/dev/null || true
  LAUNCHED[$k]=$pid
  echo "$pid" >"$(pid_file "$k")"
  log "node $k: started pid $pid (client port $(client_port "$k"))"
}

show_log_tail() {
  local k=$1
  echo "---- last lines of $(log_file "$k") ----" >&2
  tail -n 25 "$(log_file "$k")" 2>/dev/null >&2 || true
}

# Waits until every node in $@ answers srvr with a Mode. On failure shows the log tails.
wait_serving() {
  local deadline=$(( $(date +%s) + timeout_s )) k mode pending
  while :; do
    pending=
    for k in "$@"; do
      # A node this call launched is checked by its pid alone: right after the fork its
      # command line is not yet java's.
      if ! pid_alive "${LAUNCHED[$k]:-$(node_pid "$k")}"; then
        echo "node $k exited during startup" >&2; show_log_tail "$k"; return 1
      fi
      mode=$(zk_mode "$(client_port "$k")")
      [ -n "$mode" ] || pending="$pending $k"
    done
    [ -z "$pending" ] && return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "timed out after ${timeout_s}s waiting for node(s)$pending to serve" >&2
      for k in $pending; do show_log_tail "$k"; done
      return 1
    fi
    sleep 0.2
  done
}

stop_node() { # $1 = node, $2 = TERM|KILL
  local k=$1 sig=$2 pid
  pid=$(node_pid "$k")
  if [ -z "$pid" ]; then
    rm -f "$(pid_file "$k")"
    log "node $k: not running"
    return 0
  fi
  if [ "$sig" = KILL ]; then
    kill -KILL "$pid" 2>/dev/null || true
    wait_pid_exit "$pid" 10 || die "node $k: pid $pid survived SIGKILL"
  else
    stop_pid "$pid" "${ZK_STOP_GRACE:-10}" || die "node $k: pid $pid did not exit"
  fi
  rm -f "$(pid_file "$k")"
  log "node $k: stopped pid $pid (SIG$sig)"
}

# Undoes a failed start: SIGKILL to exactly the pids this invocation launched.
kill_launched() {
  local k
  for k in "${!LAUNCHED[@]}"; do
    kill -KILL "${LAUNCHED[$k]}" 2>/dev/null || true
    wait_pid_exit "${LAUNCHED[$k]}" 10 || true
    rm -f "$(pid_file "$k")"
  done
}

# Whatever goes wrong (die, set -e), a failing invocation leaves no node it launched behind.
trap 'rc=$?; [ "$rc" -ne 0 ] && [ ${#LAUNCHED[@]} -gt 0 ] && kill_launched; exit $rc' EXIT

cmd_start() {
  local k running=() missing=()
  for k in $(seq 1 "$NODES"); do
    if [ -n "$(node_pid "$k")" ]; then running+=("$k"); else missing+=("$k"); fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "already running in $base (nodes ${running[*]}); nothing changed"
    connect_string
    return 0
  fi
  [ ${#running[@]} -gt 0 ] && log "nodes ${running[*]} already running; starting ${missing[*]}"
  for k in "${missing[@]}"; do check_ports "$k"; done
  save_env
  for k in "${missing[@]}"; do launch_node "$k"; done
  if ! wait_serving "${missing[@]}"; then
    log "start failed; stopping the nodes this call started"
    exit 1
  fi
  log "ensemble of $NODES serving: $(connect_string)"
  connect_string
}

cmd_stop() {
  # SIGTERM to every node first, then wait: the JVMs shut down in parallel.
  local k pid any=0 grace=${ZK_STOP_GRACE:-10}
  local -A pids=()
  for k in $(seq 1 "$NODES"); do
    [ -f "$(pid_file "$k")" ] && any=1
    pid=$(node_pid "$k")
    if [ -n "$pid" ]; then
      pids[$k]=$pid
      kill -TERM "$pid" 2>/dev/null || true
    else
      rm -f "$(pid_file "$k")"
    fi
  done
  for k in "${!pids[@]}"; do
    if ! wait_pid_exit "${pids[$k]}" "$grace"; then
      log "node $k: pid ${pids[$k]} still alive after ${grace}s; sending SIGKILL"
      kill -KILL "${pids[$k]}" 2>/dev/null || true
      wait_pid_exit "${pids[$k]}" 10 || die "node $k: pid ${pids[$k]} survived SIGKILL"
    fi
    rm -f "$(pid_file "$k")"
    log "node $k: stopped pid ${pids[$k]}"
  done
  [ "$any" = 1 ] || log "nothing was running in $base"
}

cmd_status() {
  local k pid mode up=0 serving=0 leader=
  [ -f "$env_file" ] || { echo "no ensemble in $base"; return 3; }
  printf '%-6s %-8s %-6s %s\n' NODE PID PORT MODE
  for k in $(seq 1 "$NODES"); do
    pid=$(node_pid "$k"); mode=
    if [ -n "$pid" ]; then
      up=$((up + 1))
      mode=$(zk_mode "$(client_port "$k")")
      [ -n "$mode" ] && serving=$((serving + 1))
      [ "$mode" = leader ] || [ "$mode" = standalone ] && leader=$k
    fi
    printf '%-6s %-8s %-6s %s\n' "$k" "${pid:--}" "$(client_port "$k")" \
      "$( [ -n "$pid" ] && echo "${mode:-not serving}" || echo down)"
  done
  echo "leader: ${leader:-none}"
  echo "connect: $(connect_string)"
  [ "$up" -eq 0 ] && return 3
  [ "$serving" -eq "$NODES" ] && return 0
  return 1
}

case "$cmd" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  start-node)
    check_node_arg "$node_arg"
    if [ -n "$(node_pid "$node_arg")" ]; then log "node $node_arg already running"; exit 0; fi
    [ -f "$env_file" ] || save_env
    launch_node "$node_arg"
    wait_serving "$node_arg" || exit 1
    ;;
  stop-node) check_node_arg "$node_arg"; stop_node "$node_arg" TERM ;;
  kill-node) check_node_arg "$node_arg"; stop_node "$node_arg" KILL ;;
esac
