#!/usr/bin/env bash
# Healthy when the node answers `srvr` with a Mode (leader, follower, standalone, observer):
# it is in a quorum and serves clients. `ruok` alone says imok even outside a quorum.
port=${ZOO_PORT:-2181}
if ! exec 3<>"/dev/tcp/127.0.0.1/$port"; then
  echo "not serving: nothing answers on 127.0.0.1:$port"
  exit 1
fi 2>/dev/null
printf srvr >&3
out=$(timeout 2 cat <&3) || true
exec 3<&-
mode=$(printf '%s\n' "$out" | sed -n 's/^Mode: *//p' | tr -d '\r')
[ -n "$mode" ] || { echo "not serving: ${out:-no answer to srvr on 127.0.0.1:$port}"; exit 1; }
echo "Mode: $mode"
