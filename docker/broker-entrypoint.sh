#!/usr/bin/env bash
# Writes the broker's server.properties from the image's config/server.properties (or
# $KAFKA_CONFIG_FILE) and KAFKA_<NAME> variables, then execs the broker (it gets SIGTERM from
# `docker stop` and shuts down cleanly). Extra arguments go to kafka-server-start
# (e.g. --override key=value).
#
#   KAFKA_BROKER_ID=2                 broker.id=2
#   KAFKA_ZOOKEEPER_CONNECT=zk1:2181  zookeeper.connect=zk1:2181
#   KAFKA_LOG_FLUSH_INTERVAL_MS=1000  log.flush.interval.ms=1000
# The name is lower-cased, `_` becomes `.`, `__` a literal `_` and `___` a `-` (as Confluent's
# images do). Not properties: KAFKA_LOG_LEVEL (the broker's log level), KAFKA_CONFIG_FILE,
# KAFKA_PROPERTIES_FILE (where the result is written), KAFKA_HEAP_OPTS (Node's heap, default
# "--initial-old-space-size=128"; e.g. "--initial-old-space-size=128 --max-old-space-size=512"),
# KAFKA_OPTS (more Node options), and KAFKA_PID_FILE/KAFKA_LOG_FILE.
#
# Without advertised.listeners or advertised.host.name the broker advertises the container's own
# address (its first IPv4 address) and its listener port: reachable from the other containers of its
# network and, on Linux, from the host.
set -euo pipefail
die() { echo "broker-entrypoint: $*" >&2; exit 1; }

base=${KAFKA_CONFIG_FILE:-/opt/zkafka/config/server.properties}
out=${KAFKA_PROPERTIES_FILE:-/tmp/server.properties}
[ -r "$base" ] || die "config file $base is missing or unreadable"

declare -A over=()
order=()
for name in $(compgen -e | grep '^KAFKA_' | sort); do
  case "$name" in
    KAFKA_LOG_LEVEL|KAFKA_CONFIG_FILE|KAFKA_PROPERTIES_FILE|KAFKA_HEAP_OPTS|KAFKA_OPTS|KAFKA_PID_FILE|KAFKA_LOG_FILE|KAFKA_CLUSTER_DIR) continue ;;
    KAFKA_?*) ;;
    *) continue ;;
  esac
  value=${!name}
  [[ "$value" != *$'\n'* ]] || die "$name: a value may not contain a newline"
  key=${name#KAFKA_}
  key=${key,,}
  key=${key//___/-}
  key=${key//__/$'\1'}
  key=${key//_/.}
  key=${key//$'\1'/_}
  over[$key]=$value
  order+=("$key")
done

# Java-properties escaping of a value: backslashes, and a leading space.
escape() { local v=${1//\\/\\\\}; [ "${v:0:1}" != ' ' ] || v="\\$v"; printf '%s' "$v"; }

# The base file minus the overridden keys, then the overrides.
{
  echo "# Written by broker-entrypoint.sh from $base and KAFKA_* variables"
  while IFS= read -r line || [ -n "$line" ]; do
    k=${line%%[=:]*}; k=${k#"${k%%[![:space:]]*}"}; k=${k%"${k##*[![:space:]]}"}
    if [[ "$line" =~ ^[[:space:]]*[#!] ]] || [ -z "$k" ] || [ -z "${over[$k]+x}" ]; then
      printf '%s\n' "$line"
    fi
  done <"$base"
  [ ${#order[@]} -eq 0 ] || echo "# from KAFKA_* variables"
  for k in "${order[@]}"; do printf '%s=%s\n' "$k" "$(escape "${over[$k]}")"; done
} >"$out"

prop() { sed -n "s/^[[:space:]]*$1[[:space:]]*[=:][[:space:]]*//p" "$out" | tail -n 1; }
if [ -z "$(prop 'advertised\.listeners')" ] && [ -z "$(prop 'advertised\.host\.name')" ]; then
  # the first listener, under its own name (PLAINTEXT, SSL, or a name of the protocol map)
  listener=$(prop listeners | cut -d, -f1)
  port=${listener##*:}
  [[ "$port" =~ ^[0-9]+$ ]] || port=$(prop port)
  name=PLAINTEXT
  [[ "$listener" == *://* ]] && name=${listener%%://*}
  # the first IPv4 address of the container's interfaces (loopback excluded)
  ip=$( { hostname -I 2>/dev/null || hostname -i 2>/dev/null || true; } | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' | grep -v '^127\.' | head -n 1 || true)
  [ -n "$ip" ] || die "this container has no network address to advertise; set KAFKA_ADVERTISED_LISTENERS"
  printf 'advertised.listeners=%s://%s:%s\n' "$name" "$ip" "${port:-9092}" >>"$out"
fi

for d in $(prop 'log\.dirs' | tr ',' ' '); do
  mkdir -p "$d" 2>/dev/null || true
  [ -w "$d" ] || die "log directory $d is not writable by uid $(id -u) (a volume owned by another user?)"
done

echo "broker-entrypoint: broker.id=$(prop 'broker\.id') zookeeper.connect=$(prop 'zookeeper\.connect') $(grep '^advertised\.' "$out" | tail -n 1)" >&2
# node with KAFKA_HEAP_OPTS (its default there) and KAFKA_OPTS; the script execs node
exec /opt/zkafka/bin/kafka-server-start.sh "$out" "$@"
