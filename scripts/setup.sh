#!/usr/bin/env bash
# Installs what is missing, then builds. Idempotent: a second run changes nothing.
#   - ZooKeeper (Debian's `zookeeper` package, which brings a headless JRE) unless one is found
#     through $ZOOKEEPER_HOME or Debian's jars;
#   - kcat (the librdkafka CLI the interop tests use);
#   - python3-kafka (kafka-python 2.0.2, Debian's, for test/interop/kafka-python.test.ts);
#   - nftables (`nft`, for bin/kafka-verify.sh's network partitions);
#   - strace (test/verify/fsync-durability.test.ts traces the brokers' fdatasync calls);
#   - node_modules (npm ci) when package-lock.json is newer than the install;
#   - dist/ (tsc) when a source file is newer than the build.
# As root it installs system packages itself; otherwise it prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

missing_pkgs=()
if ! zk_classpath >/dev/null 2>&1; then missing_pkgs+=(zookeeper); fi
if ! command -v java >/dev/null 2>&1; then missing_pkgs+=(default-jre-headless); fi
if ! command -v kcat >/dev/null 2>&1; then missing_pkgs+=(kcat); fi
if ! /usr/bin/python3 -c 'import kafka' >/dev/null 2>&1; then missing_pkgs+=(python3-kafka); fi
if ! command -v nft >/dev/null 2>&1 && [ ! -x /usr/sbin/nft ]; then missing_pkgs+=(nftables); fi
if ! command -v strace >/dev/null 2>&1; then missing_pkgs+=(strace); fi

if [ ${#missing_pkgs[@]} -gt 0 ]; then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing_pkgs[*]}"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing_pkgs[*]} (Debian packages)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null
  else
    echo "setup: missing ${missing_pkgs[*]}; as root, run:" >&2
    echo "  $cmd" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing node modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

if [ ! -f dist/.built ] || [ -n "$(find src bench tsconfig.json package.json -newer dist/.built -print -quit 2>/dev/null)" ]; then
  log "building (tsc)"
  npx tsc -p tsconfig.json
  touch dist/.built
fi
log "setup complete"
