#!/usr/bin/env bash
# Installs what is missing, then builds. Idempotent: a second run changes nothing.
#   - ZooKeeper (Debian's `zookeeper` package, which brings a headless JRE) unless one is found
#     through $ZOOKEEPER_HOME or Debian's jars;
#   - kcat (the librdkafka CLI the interop tests use);
#   - python3-kafka (kafka-python 2.0.2, Debian's, for test/interop/kafka-python.test.ts);
#   - nftables (`nft`, for bin/kafka-verify.sh's network partitions);
#   - strace (test/verify/fsync-durability.test.ts traces the brokers' fdatasync calls);
#   - curl (test/rest/rest-proxy.test.ts runs Confluent's documented curl commands);
#   - chromium (Debian's, at /usr/bin/chromium: test/ui/ drives the cluster map page in it
#     through playwright-core; no browser is ever downloaded);
#   - openssl (test/security/ makes its CA and certificates at test time);
#   - gcc, for the native CRC32C (x86-64), syncfs and fadvise (scripts/build-native.sh): optional, installed as root;
#     without it CRC32C runs on @node-rs/crc32 (slower), and the rest is the same;
#   - node_modules (npm ci) when package-lock.json is newer than the install;
#   - dist/ (tsc, then scripts/build-native.sh) when a source file is newer than the build;
#   - a Docker engine for the container tests (test/containers/), only when none answers: as
#     root, Debian's docker.io (and debootstrap, for scripts/docker-images.sh) is installed if
#     dockerd is missing, and dockerd is started (log: /var/log/zkafka-dockerd.log). Where no
#     engine can run, setup goes on and the container tests are reported as skipped.
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
if ! command -v curl >/dev/null 2>&1; then missing_pkgs+=(curl); fi
if [ ! -x /usr/bin/chromium ]; then missing_pkgs+=(chromium); fi
if ! command -v openssl >/dev/null 2>&1; then missing_pkgs+=(openssl); fi

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

# A container engine: optional (the container tests skip without one), so never fatal.
engine_answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker version >/dev/null 2>&1; }
if ! engine_answers; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
      log "installing docker.io and debootstrap (Debian packages) for the container tests"
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null \
        || log "could not install docker.io; the container tests will be skipped"
    fi
    if command -v dockerd >/dev/null 2>&1; then
      log "starting dockerd (log: /var/log/zkafka-dockerd.log)"
      setsid nohup dockerd >>/var/log/zkafka-dockerd.log 2>&1 </dev/null &
      dockerd_pid=$!
      for _ in $(seq 1 60); do engine_answers && break; pid_alive "$dockerd_pid" || break; sleep 0.5; done
      if ! engine_answers; then
        stop_pid "$dockerd_pid" 5 || true
        log "dockerd does not run here (see /var/log/zkafka-dockerd.log); the container tests will be skipped"
      fi
    fi
  else
    log "no Docker engine answers; the container tests will be skipped (as root, this script installs docker.io and starts dockerd)"
  fi
fi

# the compiler of the native CRC32C, syncfs and fadvise: optional, so a user who is not root is only told
if ! command -v "${CC:-cc}" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing gcc (Debian's, for the native CRC32C, syncfs and fadvise)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev >/dev/null || log "gcc could not be installed; CRC32C will use @node-rs/crc32, syncfs a helper process, and the page cache is left to the kernel"
  else
    log "no C compiler: CRC32C will use @node-rs/crc32, syncfs a helper process, and the page cache is left to the kernel (as root: apt-get install gcc libc6-dev)"
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing node modules (npm ci)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

if [ ! -f dist/.built ] || [ -n "$(find src bench tsconfig.json package.json -newer dist/.built -print -quit 2>/dev/null)" ]; then
  log "building (tsc, native CRC32C, syncfs and fadvise)"
  npx tsc -p tsconfig.json
  scripts/build-native.sh
  touch dist/.built
fi
log "setup complete"
