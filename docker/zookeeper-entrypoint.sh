#!/usr/bin/env bash
# Writes zoo.cfg from ZOO_* variables, then runs one ZooKeeper node in the foreground (exec: the
# JVM gets SIGTERM from `docker stop`). The variable names are the official image's.
set -euo pipefail
die() { echo "zookeeper-entrypoint: $*" >&2; exit 1; }

conf_dir=${ZOO_CONF_DIR:-/etc/zookeeper/docker}
data_dir=${ZOO_DATA_DIR:-/var/lib/zookeeper/data}
my_id=${ZOO_MY_ID:-1}
[[ "$my_id" =~ ^[0-9]+$ ]] && [ "$my_id" -ge 1 ] && [ "$my_id" -le 255 ] || die "ZOO_MY_ID must be 1..255, got \"$my_id\""
mkdir -p "$conf_dir" "$data_dir" 2>/dev/null || true
[ -w "$data_dir" ] || die "data directory $data_dir is not writable by uid $(id -u)"
[ -w "$conf_dir" ] || die "config directory $conf_dir is not writable by uid $(id -u)"

cfg=$conf_dir/zoo.cfg
{
  echo "# Written by zookeeper-entrypoint.sh at $(date -u +%FT%TZ)"
  echo "tickTime=${ZOO_TICK_TIME:-2000}"
  echo "initLimit=${ZOO_INIT_LIMIT:-10}"
  echo "syncLimit=${ZOO_SYNC_LIMIT:-5}"
  echo "dataDir=$data_dir"
  echo "clientPort=${ZOO_PORT:-2181}"
  echo "maxClientCnxns=${ZOO_MAX_CLIENT_CNXNS:-0}"
  echo "admin.enableServer=${ZOO_ADMINSERVER_ENABLED:-false}"
  echo "4lw.commands.whitelist=${ZOO_4LW_COMMANDS_WHITELIST:-srvr,ruok,mntr,stat}"
  echo "autopurge.snapRetainCount=${ZOO_AUTOPURGE_SNAPRETAINCOUNT:-3}"
  echo "autopurge.purgeInterval=${ZOO_AUTOPURGE_PURGEINTERVAL:-1}"
  echo "snapshot.trust.empty=true"
  # Bind the quorum and election ports on every address of the container, whatever address
  # its own server.N line names.
  echo "quorumListenOnAllIPs=true"
  echo "standaloneEnabled=${ZOO_STANDALONE_ENABLED:-true}"
  echo "reconfigEnabled=false"
  n=0
  for s in ${ZOO_SERVERS:-}; do
    [[ "$s" =~ ^server\.[0-9]+=[^:]+:[0-9]+:[0-9]+(:(participant|observer))?(\;([^:]+:)?[0-9]+)?$ ]] \
      || die "ZOO_SERVERS entry \"$s\" is not server.N=host:peerPort:electionPort[;clientPort]"
    echo "$s"; n=$((n + 1))
  done
  for kv in ${ZOO_CFG_EXTRA:-}; do
    [[ "$kv" == *=* ]] || die "ZOO_CFG_EXTRA entry \"$kv\" is not key=value"
    echo "$kv"
  done
} >"$cfg"
if [ "$n" -gt 0 ] && ! grep -q "^server\.$my_id=" "$cfg"; then
  die "ZOO_SERVERS has no server.$my_id entry for this node (ZOO_MY_ID=$my_id)"
fi
echo "$my_id" >"$data_dir/myid"

cp=/usr/share/java/zookeeper.jar
[ -f /usr/share/java/slf4j-simple.jar ] && cp=$cp:/usr/share/java/slf4j-simple.jar
echo "zookeeper-entrypoint: node $my_id of ${n:-0} ($([ "$n" -gt 0 ] && echo ensemble || echo standalone)), config $cfg" >&2
# shellcheck disable=SC2086
# cnxTimeout: how long a connect to a peer may take. A stopped container's address drops
# packets (no RST), so ZooKeeper's 5 s default would slow every election that involves it.
exec java ${ZK_HEAP_OPTS:--Xms32m -Xmx128m} -XX:+UseSerialGC -Djava.net.preferIPv4Stack=true \
  -Dzookeeper.admin.enableServer="${ZOO_ADMINSERVER_ENABLED:-false}" \
  -Dzookeeper.cnxTimeout="${ZOO_CNX_TIMEOUT_MS:-2000}" ${JVMFLAGS:-} \
  -cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$cfg"
