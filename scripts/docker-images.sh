#!/usr/bin/env bash
# Builds the project's container images with the layer cache:
#   zkafka/zookeeper:latest   docker/zookeeper.Dockerfile (Debian's zookeeper package)
#   zkafka/broker:latest      docker/broker.Dockerfile (multi-stage: tsc, then production modules)
#
#   scripts/docker-images.sh [--bases auto|public|local] [--rebuild-bases] [--only zookeeper|broker] [--quiet]
#
# Base images are build arguments of the Dockerfiles (DEBIAN_IMAGE, NODE_IMAGE). Their defaults
# are the public debian:bookworm-slim and node:20-bookworm-slim. With `--bases local` (and with
# `auto` when those cannot be pulled, e.g. no image registry is reachable) the script makes local
# ones instead, once, and reuses them:
#   zkafka/debian:bookworm    `debootstrap --variant=minbase bookworm` from Debian's mirror, `docker import`ed
#   zkafka/node:20-bookworm   that, plus this machine's Node runtime (node, npm; it must be 20.x)
# Network needed: Debian's mirror (debootstrap, apt-get in the builds) and npm's registry (npm ci
# in the broker build), nothing else. Needs root for debootstrap (only when a local base is made).
#
# Environment: ZKAFKA_ZK_IMAGE, ZKAFKA_BROKER_IMAGE (the tags built), DEBIAN_MIRROR
# (default http://deb.debian.org/debian). Exit codes: 0 ok, 1 error, 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/common.sh

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
bases=auto rebuild_bases=0 only= quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bases) bases=${2:?}; shift 2 ;;
    --rebuild-bases) rebuild_bases=1; shift ;;
    --only) only=${2:?}; shift 2 ;;
    --quiet|-q) quiet=1; shift ;;
    -h|--help) usage ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
case "$bases" in auto|public|local) ;; *) echo "--bases must be auto, public or local" >&2; usage ;; esac
case "$only" in ''|zookeeper|broker) ;; *) echo "--only must be zookeeper or broker" >&2; usage ;; esac

ZK_IMAGE=${ZKAFKA_ZK_IMAGE:-zkafka/zookeeper:latest}
BROKER_IMAGE=${ZKAFKA_BROKER_IMAGE:-zkafka/broker:latest}
PUBLIC_DEBIAN=debian:bookworm-slim
PUBLIC_NODE=node:20-bookworm-slim
LOCAL_DEBIAN=zkafka/debian:bookworm
LOCAL_NODE=zkafka/node:20-bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

command -v docker >/dev/null 2>&1 || die "no docker client; run scripts/setup.sh (as root it installs docker.io)"
docker version >/dev/null 2>&1 || die "no Docker engine answers; as root, scripts/setup.sh starts one"

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
say() { [ "$quiet" = 1 ] || log "$@"; }
# The legacy builder prints every step; keep its output for errors only.
build() {
  local out rc=0
  out=$(mktemp)
  docker build --force-rm "$@" >"$out" 2>&1 || rc=$?
  if [ "$rc" != 0 ]; then cat "$out" >&2; rm -f "$out"; return "$rc"; fi
  # steps that can come from the cache: all but FROM and the ARGs before the first FROM
  local steps cached
  steps=$(awk '/^Step [0-9]+\/[0-9]+ : FROM/ {f=1; next} /^Step [0-9]+\/[0-9]+ : ARG/ && !f {next} /^Step / {n++} END {print n+0}' "$out")
  cached=$(grep -c 'Using cache' "$out" || true)
  [ "$steps" = 0 ] || say "$cached of $steps steps from the layer cache"
  rm -f "$out"
}

# --- local base images -------------------------------------------------------------------

make_local_debian() {
  [ "$(id -u)" = 0 ] || die "making $LOCAL_DEBIAN needs root (debootstrap); run as root, or use --bases public"
  command -v debootstrap >/dev/null 2>&1 || {
    say "installing debootstrap"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  }
  local root t0=$SECONDS
  root=$(mktemp -d /tmp/zkafka-rootfs.XXXXXX)
  say "debootstrap --variant=minbase bookworm from $MIRROR (about 30 s)"
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$root.log" 2>&1 || { cat "$root.log" >&2; rm -rf "$root" "$root.log"; die "debootstrap failed"; }
  rm -f "$root.log"
  # What debian:bookworm-slim has: updates and security, no docs, no apt caches.
  cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
EOF
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright -type f -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
         "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
         "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root"/etc/hostname
  : >"$root/etc/resolv.conf"
  tar -C "$root" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "debootstrap --variant=minbase bookworm $MIRROR" - "$LOCAL_DEBIAN" >/dev/null
  rm -rf "$root"
  say "made $LOCAL_DEBIAN in $((SECONDS - t0)) s"
}

# The Node runtime of this machine, laid out as the official node image has it (/usr/local).
make_local_node() {
  local node npm_dir version ctx t0=$SECONDS
  node=$(readlink -f "$(command -v node)") || die "no node on this machine to put in $LOCAL_NODE"
  version=$("$node" -v)
  case "$version" in v20.*) ;; *) die "this machine's node is $version; $LOCAL_NODE needs Node 20" ;; esac
  npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
  [ -f "$npm_dir/package.json" ] || die "npm's directory not found (looked at $npm_dir)"
  ctx=$(mktemp -d /tmp/zkafka-node.XXXXXX)
  # no C headers (54 MB): the builds install no native module from source (npm ci --ignore-scripts)
  mkdir -p "$ctx/rt/bin" "$ctx/rt/lib/node_modules"
  cp "$node" "$ctx/rt/bin/node"
  cp -a "$npm_dir" "$ctx/rt/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/rt/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/rt/bin/npx"
  tar -C "$ctx/rt" --owner=0 --group=0 -cf "$ctx/node-runtime.tar" .
  rm -rf "$ctx/rt"
  # npm must trust what this machine trusts: where TLS to the registry goes through an
  # intercepting proxy, its CA is in this machine's bundle (NODE_EXTRA_CA_CERTS or npm's cafile).
  local ca ca_env=
  ca=${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}
  if [ -n "$ca" ] && [ "$ca" != null ] && [ -f "$ca" ]; then
    cp "$ca" "$ctx/host-ca.pem"
    ca_env='COPY host-ca.pem /usr/local/share/zkafka/host-ca.pem
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/zkafka/host-ca.pem'
  fi
  cat >"$ctx/Dockerfile" <<EOF
FROM $LOCAL_DEBIAN
ADD node-runtime.tar /usr/local/
$ca_env
ENV NODE_VERSION=${version#v}
LABEL org.zkafka.node-version=$version
CMD ["node"]
EOF
  build -t "$LOCAL_NODE" "$ctx"
  rm -rf "$ctx"
  docker run --rm --network none "$LOCAL_NODE" node -e 'process.exit(process.versions.node.startsWith("20.") ? 0 : 1)' \
    || die "$LOCAL_NODE does not run node"
  say "made $LOCAL_NODE (node $version) in $((SECONDS - t0)) s"
}

if [ "$bases" = auto ]; then
  bases=local
  if image_exists "$PUBLIC_DEBIAN" && image_exists "$PUBLIC_NODE"; then
    bases=public
  elif ! image_exists "$LOCAL_DEBIAN" && timeout 60 docker pull -q "$PUBLIC_DEBIAN" >/dev/null 2>&1 \
       && timeout 120 docker pull -q "$PUBLIC_NODE" >/dev/null 2>&1; then
    bases=public
  fi
fi
if [ "$bases" = public ]; then
  debian_base=$PUBLIC_DEBIAN node_base=$PUBLIC_NODE
else
  debian_base=$LOCAL_DEBIAN node_base=$LOCAL_NODE
  if [ "$rebuild_bases" = 1 ] || ! image_exists "$LOCAL_DEBIAN"; then
    make_local_debian
    docker image rm "$LOCAL_NODE" >/dev/null 2>&1 || true
  fi
  if [ "$only" != zookeeper ]; then
    host_node=$(node -v 2>/dev/null || true)
    have_node=$(docker image inspect -f '{{ index .Config.Labels "org.zkafka.node-version" }}' "$LOCAL_NODE" 2>/dev/null || true)
    if [ "$rebuild_bases" = 1 ] || [ -z "$have_node" ] || [ "$have_node" != "$host_node" ]; then make_local_node; fi
  fi
fi

# --- the project's images ----------------------------------------------------------------

if [ "$only" != broker ]; then
  say "building $ZK_IMAGE on $debian_base"
  t0=$SECONDS
  build -f docker/zookeeper.Dockerfile --build-arg "DEBIAN_IMAGE=$debian_base" -t "$ZK_IMAGE" .
  say "built $ZK_IMAGE in $((SECONDS - t0)) s"
fi
if [ "$only" != zookeeper ]; then
  say "building $BROKER_IMAGE on $node_base"
  t0=$SECONDS
  build -f docker/broker.Dockerfile --build-arg "NODE_IMAGE=$node_base" -t "$BROKER_IMAGE" .
  say "built $BROKER_IMAGE in $((SECONDS - t0)) s"
fi
say "images ready: $([ "$only" != broker ] && printf '%s ' "$ZK_IMAGE")$([ "$only" != zookeeper ] && printf '%s' "$BROKER_IMAGE")"
