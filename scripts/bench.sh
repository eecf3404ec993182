#!/usr/bin/env bash
# The project's benchmarks (performance.md): each section prints its runs, their median, and
# the baseline measured in the same run with the ratio. Never a pass/fail: numbers only.
#
#   scripts/bench.sh [--runs N] [--records N] [--kafkajs-records N] [--only SECTION...]
#
# Sections (a clear block each; --only picks some):
#   producer      our producer, kafka-producer-perf-test, 100-byte records, acks=1, RF=1:
#                 records/s, MB/s, send-to-ack p50/p99/p99.9
#   clients       the same produce workload driven by kcat (librdkafka) and by kafkajs against
#                 the same broker; ratios ours/kcat and ours/kafkajs
#   consumer      kafka-consumer-perf-test reading the producer's topic from offset 0
#   e2e           end-to-end latency at 10,000 msg/s (produce -> consumer receive)
#   replication   three brokers: RF=3 acks=1 and RF=3 acks=all throughput as ratios to RF=1
#                 (same run), and the time from SIGKILL of a leader to the next acknowledged write
#   rebalance     rebalance time for 8 consumers on 64 partitions: the ZooKeeper connector, then
#                 a broker-coordinated group of kafkajs consumers (join, leave, add), and offset
#                 commit throughput to __consumer_offsets against ZooKeeper
#   scale         producer throughput with 1, 8, 64 and 512 partitions (keyless: the sticky
#                 partitioner), 512 with keyed records (medians of --runs runs), each with the
#                 broker's fsyncs per produce request (from /metrics) and the time of the first
#                 appends to its partitions (timed apart), and over a long run as the stored
#                 data grows (the 5-second lines of one run of 10x the records)
#   stability     five consecutive producer runs into one broker: each run's throughput and the
#                 broker's RSS, and slowest/fastest (target: within 10%)
#   soak          (long, only with --only soak) 10 minutes at full speed: throughput per 5 s and
#                 broker RSS per 30 s, which should stay flat
#   schemas       producer throughput with Avro values through the schema registry, as a ratio to
#                 the same bytes raw
#   log           the storage benchmark: npm run bench:log (log append vs raw sequential write;
#                 its last part is the encryption section's figures)
#   encryption    encryption at rest (log.encryption.key.file, AES-256-GCM): the cipher alone,
#                 log appends and reads with and without it, as ratios (log-bench --encryption-only;
#                 part of the log section, so it runs on its own only when log does not)
#   cleaner       the log cleaner on a 1 GiB dirty log with 10% distinct keys: MB/s, and our
#                 producer's throughput on another topic while it cleans, as a ratio to alone
#   ui            the cluster map: a broker's registration znode vanishing until the page's
#                 event stream shows the broker dead
#   rest          the REST proxy's produce throughput (binary and json, batches of 100 records,
#                 1 and 8 requests in flight) as a ratio to our producer
#   security      a broker of its own with PLAINTEXT, SSL and SASL_SSL (SCRAM-SHA-512) listeners
#                 (certificates made by openssl): producer and consumer throughput over each, as
#                 ratios to PLAINTEXT in the same run
#   scale-cluster (long, only with --only scale-cluster) ZooKeeper and 3 brokers of its own,
#                 10,000 partitions at RF=3: topic creation, controller failover, controlled
#                 shutdown, restarts, broker RSS, a rebalance of 8 consumers; then broker RSS
#                 with 1,000 partitions under a full-speed producer and consumer
#
# It starts its own ZooKeeper node and broker (scripts/cluster.sh, free ports, a temporary
# directory) and stops them (by pid) at the end, also on failure or Ctrl-C.
set -uo pipefail
cd "$(dirname "$0")/.."
# malloc on huge pages for the benches' own processes too (their producers and consumers, the
# brokers the replication, mirror and scale benches start), as bin/ gives every tool and broker
. bin/_malloc.sh

RUNS=3
RECORDS=2000000
KAFKAJS_RECORDS=300000
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --records) RECORDS=$2; shift 2 ;;
    --kafkajs-records) KAFKAJS_RECORDS=$2; shift 2 ;;
    --only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do ONLY="$ONLY $1"; shift; done ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
# long sections run only when named
wanted() { [[ " $ONLY " == *" $1 "* ]]; }

[ -f dist/.built ] || scripts/setup.sh >/dev/null || { echo "setup failed" >&2; exit 1; }

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "n/a"; else if (NR%2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b+0 == 0) print "n/a"; else printf "%.2f\n", a/b }'; }
section() { printf '\n== %s ==\n' "$1"; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/zkafka-bench-XXXXXX")
ZK_PORT=$(free_port)
BROKER_PORT=$(free_port)
METRICS_PORT=$(free_port)
SEC_PID=""
cleanup() { [ -n "$SEC_PID" ] && kill "$SEC_PID" 2>/dev/null && wait "$SEC_PID" 2>/dev/null; scripts/cluster.sh down --dir "$DIR" >/dev/null 2>&1; rm -rf "$DIR"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "zkafka benchmarks: $(nproc) cores, node $(node -v), runs=$RUNS, records=$RECORDS"
# How fast this (virtual) machine is right now: the same binary's CRC32C speed (@node-rs/crc32's,
# the yardstick of every earlier note, not the project's faster native module), and the CPU time
# the hypervisor steals during the run (printed at the end). Numbers of runs on a slowed machine
# are not comparable with those of a quiet one.
cpu_speed() { node -e 'import("@node-rs/crc32").then(({crc32c})=>{const b=Buffer.alloc(16384,7);let n=0;const t=process.hrtime.bigint();while(Number(process.hrtime.bigint()-t)<5e8){crc32c(b);n++}console.log((n*16384/0.5/2**30).toFixed(2))})'; }
steal_ticks() { awk '/^cpu / {print $9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
STEAL0=$(steal_ticks)
thp=$(sed -E 's/.*\[([a-z]+)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)
echo "machine now: crc32c $(cpu_speed) GiB/s on one core (@node-rs/crc32; 3.7-5.8 when this machine is quiet; CRC32C here: $(node -e 'import("./dist/src/protocol/records/crc.js").then((m)=>console.log(m.crc32cImplementation))'); GLIBC_TUNABLES=$GLIBC_TUNABLES, transparent huge pages: $thp)"
report_steal() { read -r s1 t1 <<<"$(steal_ticks)"; read -r s0 t0 <<<"$STEAL0"; awk -v s=$((s1 - s0)) -v t=$((t1 - t0)) 'BEGIN { if (t > 0) printf "\nCPU time stolen by the hypervisor during the run: %.1f%%\n", 100 * s / t }'; }
scripts/cluster.sh up --dir "$DIR" --zk-nodes 1 --zk-port "$ZK_PORT" --brokers 1 --port "$BROKER_PORT" --metrics-port "$METRICS_PORT" \
  --override log.retention.check.interval.ms=5000 --topic "" >/dev/null 2>&1 ||
  { echo "could not start the cluster (see $DIR)" >&2; exit 1; }
ZK="127.0.0.1:$ZK_PORT"
BROKER="127.0.0.1:$BROKER_PORT"
# the broker's flush path between two points: `metrics_mark`, the workload, then `metrics_since`
metrics_mark() { node dist/bench/broker-metrics.js "http://127.0.0.1:$METRICS_PORT/metrics" >"$DIR/metrics-mark.json"; }
metrics_since() { node dist/bench/broker-metrics.js "http://127.0.0.1:$METRICS_PORT/metrics" "$DIR/metrics-mark.json"; }
create_topic() { bin/kafka-topics.sh --zookeeper "$ZK" --create --topic "$1" --partitions "${2:-1}" --replication-factor "${3:-1}" >/dev/null; }

OURS_RPS=""
# ---------------------------------------------------------------------------------------------
if want producer || want clients || want consumer; then
  section "producer: ours, 100-byte records, acks=1, RF=1, 1 partition ($RECORDS records x $RUNS runs)"
  rps=(); mbs=(); p50=(); p99=(); p999=()
  for r in $(seq 1 "$RUNS"); do
    create_topic "bench-p-$r"
    line=$(bin/kafka-producer-perf-test.sh --topic "bench-p-$r" --num-records "$RECORDS" --record-size 100 --throughput -1 \
      --producer-props "bootstrap.servers=$BROKER" acks=1 | tail -1)
    echo "  run $r: $line"
    rps+=("$(sed -E 's/^[0-9]+ records sent, ([0-9.]+) records\/sec.*/\1/' <<<"$line")")
    mbs+=("$(sed -E 's/.*\(([0-9.]+) MB\/sec\).*/\1/' <<<"$line")")
    p50+=("$(sed -E 's/.* ([0-9]+) ms 50th.*/\1/' <<<"$line")")
    p99+=("$(sed -E 's/.* ([0-9]+) ms 99th.*/\1/' <<<"$line")")
    p999+=("$(sed -E 's/.* ([0-9]+) ms 99\.9th.*/\1/' <<<"$line")")
  done
  OURS_RPS=$(printf '%s\n' "${rps[@]}" | median)
  echo "  median: $OURS_RPS records/s, $(printf '%s\n' "${mbs[@]}" | median) MB/s; send-to-ack p50 $(printf '%s\n' "${p50[@]}" | median) ms, p99 $(printf '%s\n' "${p99[@]}" | median) ms, p99.9 $(printf '%s\n' "${p999[@]}" | median) ms"
  echo "  target: 1,000,000 records/s -> ratio $(ratio "$OURS_RPS" 1000000)"
fi

# ---------------------------------------------------------------------------------------------
if want clients; then
  section "clients: the same workload (100-byte records, acks=1) by kcat and kafkajs, same broker"
  payload="$DIR/payload.txt"
  node -e 'const fs=require("fs");const n=+process.argv[1];const line="K".repeat(100)+"\n";const chunk=line.repeat(10000);const fd=fs.openSync(process.argv[2],"w");for(let i=0;i<n/10000;i++)fs.writeSync(fd,chunk);fs.closeSync(fd)' "$RECORDS" "$payload"
  kc=()
  for r in $(seq 1 "$RUNS"); do
    create_topic "bench-kcat-$r"
    t0=$(date +%s%N)
    kcat -P -b "$BROKER" -t "bench-kcat-$r" -X acks=1 -X linger.ms=5 -X queue.buffering.max.messages=1000000 -X batch.num.messages=10000 <"$payload" 2>"$DIR/kcat.err"
    t1=$(date +%s%N)
    v=$(awk -v n="$RECORDS" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f\n", n / (ns / 1e9) }')
    echo "  kcat run $r: $RECORDS records, $v records/sec"
    kc+=("$v")
  done
  KCAT_RPS=$(printf '%s\n' "${kc[@]}" | median)
  kj=()
  for r in $(seq 1 "$RUNS"); do
    create_topic "bench-kjs-$r"
    line=$(node dist/bench/kafkajs-producer.js "$BROKER" "bench-kjs-$r" "$KAFKAJS_RECORDS" 100)
    echo "  kafkajs run $r: $line"
    kj+=("$(sed -E 's/.*, ([0-9.]+) records\/sec.*/\1/' <<<"$line")")
  done
  KJS_RPS=$(printf '%s\n' "${kj[@]}" | median)
  echo "  median: ours $OURS_RPS, kcat $KCAT_RPS, kafkajs $KJS_RPS records/s"
  echo "  ratio ours/kcat $(ratio "$OURS_RPS" "$KCAT_RPS"), ours/kafkajs $(ratio "$OURS_RPS" "$KJS_RPS") (target >= 2)"
fi

# ---------------------------------------------------------------------------------------------
if want consumer; then
  section "consumer: ours, kafka-consumer-perf-test from offset 0 ($RECORDS records x $RUNS runs)"
  cr=()
  for r in $(seq 1 "$RUNS"); do
    line=$(bin/kafka-consumer-perf-test.sh --broker-list "$BROKER" --topic bench-p-1 --messages "$RECORDS" --hide-header)
    echo "  run $r: $line"
    cr+=("$(awk -F', ' '{print $6}' <<<"$line")")
  done
  c=$(printf '%s\n' "${cr[@]}" | median)
  echo "  median: $c records/s; target 2,000,000 -> ratio $(ratio "$c" 2000000)"
  if [ -n "$OURS_RPS" ]; then echo "  consumer/producer ratio $(ratio "$c" "$OURS_RPS")"; fi
fi

# ---------------------------------------------------------------------------------------------
if want e2e; then
  section "e2e: end-to-end latency at 10,000 msg/s for 10 s after a warm-up at that rate (1-10 s: until the client process has settled; produce -> consumer receive, includes the broker's flush)"
  # the sections before wrote gigabytes: let the kernel write them back first, or every fsync
  # of this section waits behind that writeback (p50 3-10 ms instead of ~1 ms)
  sync
  # the floor: a record is exposed only once flushed, so no e2e figure beats the disk's own
  # fdatasync (its tail included); measured on the broker's disk, back to back and as a group
  # commit at this section's rate (the floor with no network, broker or client in the way)
  node dist/bench/fsync-latency.js 5 "$DIR" --rate 10000 | sed 's/^/  machine: /'
  e=(); e99=(); e999=()
  for r in $(seq 1 "$RUNS"); do
    create_topic "bench-e2e-$r"
    out=$(node dist/bench/e2e-latency.js "$BROKER" "bench-e2e-$r" 10000 10 --metrics "http://127.0.0.1:$METRICS_PORT/metrics")
    line=$(head -1 <<<"$out")
    echo "  run $r: $line"
    tail -n +2 <<<"$out" | sed 's/^/       /'
    e+=("$(sed -E 's/.*p50 ([0-9.]+) ms.*/\1/' <<<"$line")")
    e99+=("$(sed -E 's/.*p99 ([0-9.]+) ms.*/\1/' <<<"$line")")
    e999+=("$(sed -E 's/.*p99\.9 ([0-9.]+) ms.*/\1/' <<<"$line")")
  done
  echo "  median p50 $(printf '%s\n' "${e[@]}" | median) ms, p99 $(printf '%s\n' "${e99[@]}" | median) ms (target 5), p99.9 $(printf '%s\n' "${e999[@]}" | median) ms (target 20); RF=3 acks=all: see replication (Kreps 2014 anchor: 2 ms median, 3 ms p99)"
fi

# ---------------------------------------------------------------------------------------------
if want replication; then
  section "replication: RF=3 acks=1 and acks=all vs RF=1 (three brokers sharing this machine), failover time"
  # as many records as the producer section: at 2-4 M records/s a quarter of them is a run of
  # 0.1-0.2 s for RF=1, mostly connection set-up and warm-up
  node dist/bench/replication-bench.js --runs "$RUNS" --records "$RECORDS" 2>&1 | sed 's/^/  /'
fi

# ---------------------------------------------------------------------------------------------
if want rebalance; then
  section "rebalance: 8 consumers on 64 partitions (ZooKeeper connector)"
  node dist/bench/rebalance-bench.js --zookeeper "$ZK" --consumers 8 --partitions 64 --runs "$RUNS" 2>&1 | sed 's/^/  /'
  section "rebalance: 8 consumers on 64 partitions (broker-coordinated group), and offset commits"
  node dist/bench/group-bench.js --broker "$BROKER" --zookeeper "$ZK" --consumers 8 --partitions 64 --runs "$RUNS" 2>&1 | sed 's/^/  /'
fi

# ---------------------------------------------------------------------------------------------
if want ui; then
  section "cluster map: a broker's registration znode vanishing -> the page's SSE stream shows it dead (target < 0.5 s)"
  node dist/bench/ui-bench.js --zookeeper "$ZK" --runs 20 2>&1 | sed 's/^/  /'
fi

# ---------------------------------------------------------------------------------------------
if want scale; then
  section "scale: our producer (100-byte records, acks=1) by partition count, and as stored data grows"
  # the first run into a fresh broker is ~35% slower (its code not yet optimized by the JIT;
  # 300,000 records are enough, 50,000 are not): with --only scale the 1-partition base would be
  # that run, and every ratio over it too high
  create_topic bench-scale-warmup 1
  bin/kafka-producer-perf-test.sh --topic bench-scale-warmup --num-records 300000 --record-size 100 --throughput -1 \
    --producer-props "bootstrap.servers=$BROKER" acks=1 >/dev/null
  # Before its timed run, each topic gets 40 records per partition (round-robin), timed on their
  # own: a partition's first append as leader writes its leader-epoch checkpoint (KIP-101; a
  # file, synced), once per partition and leader epoch. 512 fresh partitions took ~0.25 s of it,
  # a sixth of a keyed run of 2 M records; the timed runs measure appends to partitions in use.
  first_appends() { # TOPIC PARTITIONS
    local n=$(( $2 * 40 )) line
    line=$(bin/kafka-producer-perf-test.sh --topic "$1" --num-records "$n" --record-size 100 --throughput -1 \
      --producer-props "bootstrap.servers=$BROKER" acks=1 partitioner=round-robin | tail -1)
    echo "    first appends to each partition: $n records in $(sed -E 's/^[0-9]+ records sent, ([0-9.]+) records\/sec.*/\1/' <<<"$line" |
      awk -v n="$n" '{ printf "%.0f", 1000 * n / $1 }') ms (one-time; not in the ratio)"
  }
  # one timed run into TOPIC (more perf-test options after it): prints its records/s
  scale_run() {
    local topic=$1
    shift
    bin/kafka-producer-perf-test.sh --topic "$topic" --num-records "$RECORDS" --record-size 100 --throughput -1 "$@" \
      --producer-props "bootstrap.servers=$BROKER" acks=1 | tail -1 | sed -E 's/^[0-9]+ records sent, ([0-9.]+) records\/sec.*/\1/'
  }
  # The runs take turns (1, 8, 64, 512 partitions, keyed; then again), so that a slower phase
  # of this machine (the first runs in a broker, noise) weighs on every count alike; each
  # count's median is its figure. Run in a row, the 1-partition base went 2.21, 2.13, 2.71 M
  # records/s in one bench, and every ratio over it came out too high.
  scale_topic() { [ "$1" = keyed ] && echo bench-scale-keyed || echo "bench-scale-$1"; }
  declare -A vals=() broker=() first=()
  counts=(1 8 64 512 keyed)
  for c in "${counts[@]}"; do
    t=$(scale_topic "$c")
    n=$c
    [ "$c" = keyed ] && n=512
    create_topic "$t" "$n"
    first[$c]=$(first_appends "$t" "$n")
  done
  for r in $(seq 1 "$RUNS"); do
    for c in "${counts[@]}"; do
      keys=()
      [ "$c" = keyed ] && keys=(--keys 100000)
      [ "$r" = "$RUNS" ] && metrics_mark
      vals[$c]="${vals[$c]:-}${vals[$c]:+ }$(scale_run "$(scale_topic "$c")" "${keys[@]}")"
      [ "$r" = "$RUNS" ] && broker[$c]=$(metrics_since)
    done
  done
  base=""
  for c in "${counts[@]}"; do
    v=$(tr ' ' '\n' <<<"${vals[$c]}" | median)
    [ -z "$base" ] && base=$v
    if [ "$c" = keyed ]; then
      label="512 partitions, keyed records (100,000 keys)"
      target=" (target >= 0.5)"
    else
      label="$c partition(s)"
      target=""
      [ "$c" -ge 64 ] && target=" (target >= 0.8)"
    fi
    echo "  $label: $v records/s (median of $RUNS: ${vals[$c]}), ratio to 1 partition $(ratio "$v" "$base")$target"
    echo "    broker (its last run): ${broker[$c]}"
    echo "${first[$c]}"
  done
  create_topic bench-scale-long 1
  long=$(( RECORDS * 10 ))
  echo "  one run of $long records into one partition (a line per 5 s; flat means stored data does not slow appends):"
  bin/kafka-producer-perf-test.sh --topic bench-scale-long --num-records "$long" --record-size 100 --throughput -1 \
    --producer-props "bootstrap.servers=$BROKER" acks=1 | sed -E 's/^/    /; s/, [0-9.]+ ms avg latency.*//'
  echo "  stored: $(du -sh "$DIR"/broker-1 2>/dev/null | cut -f1)"
fi

# ---------------------------------------------------------------------------------------------
if want stability; then
  # runs of ~7 s (5x the records of the other sections): a 1.5 s run is mostly connection,
  # metadata and JIT warm-up, and this VM's second-to-second noise
  stab_records=$(( RECORDS * 5 ))
  section "stability: five consecutive producer runs into one broker ($stab_records records each, 1 partition, acks=1)"
  # Each run writes about 1.1 GB into the page cache. On this VM new page-cache pages are slow
  # to come by (virtio-balloon free page reporting hands freed memory back to the host, which
  # must fault it in again: dd of 6 GB into tmpfs ran at 256, 428, 822 MB/s in three passes), so
  # after each run the same volume is written raw (1 MiB writes, one fdatasync at the end) into
  # the same log directory: the machine's own limit at that moment, next to the broker's figure.
  # The raw file is removed right after: kept, five of them took 5.5 GB of new page-cache pages
  # from under the broker's runs (which recycle their own pages: log.page.cache.retain.bytes).
  rss() { node -e 'fetch(process.argv[1]).then(r=>r.text()).then(t=>{const m=/^process_resident_memory_bytes (\S+)$/m.exec(t);console.log(m?(Number(m[1])/1048576).toFixed(0):"n/a")})' "http://127.0.0.1:$METRICS_PORT/metrics"; }
  raw_mb=$(( stab_records * 110 / 1048576 ))
  raw_speed() { # MB/s of writing $raw_mb MiB to $1
    local s e; s=$(date +%s%N)
    dd if=/dev/zero of="$1" bs=1M count="$raw_mb" conv=fdatasync status=none
    e=$(date +%s%N); awk -v mb="$raw_mb" -v ns=$((e - s)) 'BEGIN { printf "%.0f", mb * 1048576 / 1e6 / (ns / 1e9) }'
  }
  # a fresh broker's first run is slower (its code not yet optimized by the JIT), as in scale
  create_topic bench-stab-warmup
  bin/kafka-producer-perf-test.sh --topic bench-stab-warmup --num-records 300000 --record-size 100 --throughput -1 \
    --producer-props "bootstrap.servers=$BROKER" acks=1 >/dev/null
  st=(); raws=(); rel=()
  for r in 1 2 3 4 5; do
    create_topic "bench-stab-$r"
    line=$(bin/kafka-producer-perf-test.sh --topic "bench-stab-$r" --num-records "$stab_records" --record-size 100 --throughput -1 \
      --producer-props "bootstrap.servers=$BROKER" acks=1 | tail -1)
    v=$(sed -E 's/^[0-9]+ records sent, ([0-9.]+) records\/sec.*/\1/' <<<"$line")
    mbs=$(sed -E 's/.*records\/sec \(([0-9.]+) MB\/sec\).*/\1/' <<<"$line")
    raw=$(raw_speed "$DIR/broker-1/raw-$r")
    rm -f "$DIR/broker-1/raw-$r"
    st+=("$v"); raws+=("$raw"); rel+=("$(ratio "$mbs" "$raw")")
    echo "  run $r: $v records/s ($mbs MB/s); broker RSS $(rss) MiB; raw writes of the same volume right after: $raw MB/s (broker/raw $(ratio "$mbs" "$raw"))"
  done
  rm -f "$DIR"/broker-1/raw-*
  spread() { awk 'NR==1 {lo=$1; hi=$1} {if ($1<lo) lo=$1; if ($1>hi) hi=$1} END { if (hi+0 == 0) print "n/a"; else printf "%.2f\n", lo/hi }'; }
  echo "  slowest/fastest: $(printf '%s\n' "${st[@]}" | spread) (target >= 0.9: within 10%); the raw writes' slowest/fastest: $(printf '%s\n' "${raws[@]}" | spread)"
fi

# ---------------------------------------------------------------------------------------------
if wanted soak; then
  # long (10 minutes): only with --only soak
  section "soak: 10 minutes of our producer at full speed into one partition (acks=1); throughput per 5 s and broker RSS per 30 s"
  # more records than 10 minutes can send (4-5 M/s here once warm): the timeout ends the run
  soak_records=$(( 8000000 * 600 ))
  # bounded on disk: 2 GiB kept, checked every 5 s (the cluster's log.retention.check.interval.ms);
  # a deleted segment's file goes 1 s later (file.delete.delay.ms, Kafka's default 60 s: at 300+
  # MB/s that kept ~20 GB of deleted segments on the disk at any time of the soak)
  bin/kafka-topics.sh --zookeeper "$ZK" --create --topic bench-soak --partitions 1 --replication-factor 1 \
    --config retention.bytes=2147483648 --config segment.bytes=268435456 --config file.delete.delay.ms=1000 >/dev/null
  ( while sleep 30; do node -e 'fetch(process.argv[1]).then(r=>r.text()).then(t=>{const m=/^process_resident_memory_bytes (\S+)$/m.exec(t);console.log(m?(Number(m[1])/1048576).toFixed(0):"n/a")})' "http://127.0.0.1:$METRICS_PORT/metrics"; done ) >"$DIR/soak-rss" &
  rss_pid=$!
  timeout 600 bin/kafka-producer-perf-test.sh --topic bench-soak --num-records "$soak_records" --record-size 100 --throughput -1 \
    --producer-props "bootstrap.servers=$BROKER" acks=1 | sed -E 's/, [0-9.]+ ms avg latency.*//' | tee "$DIR/soak-rates" | sed 's/^/  /'
  kill "$rss_pid" 2>/dev/null; wait "$rss_pid" 2>/dev/null
  echo "  broker RSS every 30 s (MiB): $(tr '\n' ' ' <"$DIR/soak-rss")"
  # flat? the 5-s rates after the first minute (warm-up: the JIT, the page cache filling)
  grep -E '^[0-9]+ records sent, [0-9.]+ records/sec \(' "$DIR/soak-rates" | grep -v "^$soak_records records sent" | awk '{print $4}' | tail -n +13 | sort -g >"$DIR/soak-steady"
  if [ -s "$DIR/soak-steady" ]; then
    awk -v med="$(median <"$DIR/soak-steady")" '{a[NR]=$1} END {printf "  after the first minute: %d intervals of 5 s, min %.2f M, median %.2f M, max %.2f M records/s (min/median %.2f, max/median %.2f)\n", NR, a[1]/1e6, med/1e6, a[NR]/1e6, a[1]/med, a[NR]/med}' "$DIR/soak-steady"
  fi
  sort -g "$DIR/soak-rss" | awk -v first="$(head -1 "$DIR/soak-rss")" '{a[NR]=$1} END {if (NR) printf "  broker RSS: first %s, min %s, max %s MiB\n", first, a[1], a[NR]}'
  echo "  stored: $(du -sh "$DIR"/broker-1 2>/dev/null | cut -f1)"
fi

# ---------------------------------------------------------------------------------------------
if want schemas; then
  section "schemas: producer throughput with Avro values (schema registry in ZooKeeper) vs the same bytes raw"
  SR_PORT=$(free_port)
  printf 'listeners=http://127.0.0.1:%s\nkafkastore.connection.url=%s\n' "$SR_PORT" "$ZK" >"$DIR/schema-registry.properties"
  bin/schema-registry-start.sh "$DIR/schema-registry.properties" >"$DIR/schema-registry.log" 2>&1 &
  sr_pid=$!
  for _ in $(seq 1 100); do node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "http://127.0.0.1:$SR_PORT/subjects" && break; sleep 0.2; done
  create_topic bench-avro
  bin/kafka-avro-producer-perf-test.sh --topic bench-avro --num-records $(( RECORDS / 4 )) --schema-registry-url "http://127.0.0.1:$SR_PORT" \
    --producer-props "bootstrap.servers=$BROKER" 2>&1 | sed 's/^/  /'
  kill "$sr_pid" 2>/dev/null; wait "$sr_pid" 2>/dev/null
fi

# ---------------------------------------------------------------------------------------------
if want log; then
  section "log: append vs raw sequential write (storage)"
  if [ -f dist/bench/log-bench.js ]; then node dist/bench/log-bench.js 2>&1 | sed 's/^/  /'; else echo "  dist/bench/log-bench.js missing"; fi
fi

# ---------------------------------------------------------------------------------------------
if want encryption && ! want log; then
  section "encryption: encryption at rest, appends and reads with and without AES-256-GCM (storage)"
  if [ -f dist/bench/log-bench.js ]; then node dist/bench/log-bench.js --encryption-only 2>&1 | sed 's/^/  /'; else echo "  dist/bench/log-bench.js missing"; fi
fi

# ---------------------------------------------------------------------------------------------
if want cleaner; then
  section "cleaner: 1 GiB dirty log, 10% distinct keys; producer throughput while it cleans"
  node dist/bench/cleaner-bench.js --zookeeper "$ZK" --broker "$BROKER" --log-dir "$DIR/broker-1/kafka-logs" 2>&1 | sed 's/^/  /'
fi

# ---------------------------------------------------------------------------------------------
if want mirror; then
  section "mirror: kafka-mirror-maker to a second cluster (a broker under a chroot of this ZooKeeper), 1 and 4 streams, vs our producer writing the same records there"
  node --initial-old-space-size=128 --max-semi-space-size=64 dist/bench/mirror-bench.js --zookeeper "$ZK" --broker "$BROKER" --records $(( RECORDS / 4 )) --runs "$RUNS" 2>&1 | sed 's/^/  /'
fi

# ---------------------------------------------------------------------------------------------
if want rest; then
  section "rest: REST proxy produce throughput, batches of 100 records of 100 bytes (binary, json) vs our producer"
  node dist/bench/rest-bench.js --zookeeper "$ZK" --broker "$BROKER" --records $(( RECORDS / 20 )) --runs "$RUNS" 2>&1 | sed 's/^/  /'
fi

# ---------------------------------------------------------------------------------------------
if want security; then
  SEC_RECORDS=$(( RECORDS / 2 ))
  section "security: producer and consumer over PLAINTEXT, SSL and SASL_SSL (SCRAM-SHA-512) of one broker, 100-byte records, acks=1 ($SEC_RECORDS records x $RUNS runs)"
  SEC="$DIR/security"; mkdir -p "$SEC"
  (cd "$SEC" && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=bench-ca \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
    openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj /CN=localhost &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >broker.ext &&
    openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out broker.crt -days 2 -sha256 -extfile broker.ext &&
    cat broker.key broker.crt >broker.pem) >/dev/null 2>&1 || echo "  openssl failed" >&2
  P_PLAIN=$(free_port); P_SSL=$(free_port); P_SASL=$(free_port)
  printf '%s\n' "broker.id=1" "listeners=PLAINTEXT://127.0.0.1:$P_PLAIN,SSL://127.0.0.1:$P_SSL,SASL_SSL://127.0.0.1:$P_SASL" \
    "zookeeper.connect=$ZK/bench-security" "log.dirs=$SEC/logs" "ssl.keystore.location=$SEC/broker.pem" \
    "sasl.enabled.mechanisms=SCRAM-SHA-512" "offsets.topic.replication.factor=1" >"$SEC/server.properties"
  bin/kafka-server-start.sh "$SEC/server.properties" >"$SEC/broker.log" 2>&1 &
  SEC_PID=$!
  for _ in $(seq 1 150); do kcat -b "127.0.0.1:$P_PLAIN" -L -m 1 >/dev/null 2>&1 && break; sleep 0.2; done
  bin/kafka-configs.sh --zookeeper "$ZK/bench-security" --alter --entity-type users --entity-name bench \
    --add-config 'SCRAM-SHA-512=[password=bench-secret]' >/dev/null
  : >"$SEC/PLAINTEXT.properties"
  printf '%s\n' "security.protocol=SSL" "ssl.truststore.location=$SEC/ca.crt" >"$SEC/SSL.properties"
  printf '%s\n' "security.protocol=SASL_SSL" "ssl.truststore.location=$SEC/ca.crt" "sasl.mechanism=SCRAM-SHA-512" \
    "sasl.username=bench" "sasl.password=bench-secret" >"$SEC/SASL_SSL.properties"
  # runs interleave the protocols, so a machine that slows down or speeds up affects all alike
  declare -A SEC_PR SEC_CR SEC_P SEC_C
  for r in $(seq 1 "$RUNS"); do
    for proto in PLAINTEXT SSL SASL_SSL; do
      case $proto in PLAINTEXT) port=$P_PLAIN ;; SSL) port=$P_SSL ;; SASL_SSL) port=$P_SASL ;; esac
      t="bench-sec-$proto-$r"
      bin/kafka-topics.sh --zookeeper "$ZK/bench-security" --create --topic "$t" --partitions 1 --replication-factor 1 >/dev/null
      line=$(bin/kafka-producer-perf-test.sh --topic "$t" --num-records "$SEC_RECORDS" --record-size 100 --throughput -1 \
        --producer.config "$SEC/$proto.properties" --producer-props "bootstrap.servers=127.0.0.1:$port" acks=1 | tail -1)
      p=$(sed -E 's/^[0-9]+ records sent, ([0-9.]+) records\/sec.*/\1/' <<<"$line")
      cline=$(bin/kafka-consumer-perf-test.sh --broker-list "127.0.0.1:$port" --topic "$t" --messages "$SEC_RECORDS" --hide-header \
        --consumer.config "$SEC/$proto.properties")
      c=$(awk -F', ' '{print $6}' <<<"$cline")
      echo "  run $r $proto: producer $p records/s, consumer $c records/s"
      SEC_PR[$proto]="${SEC_PR[$proto]:-} $p"; SEC_CR[$proto]="${SEC_CR[$proto]:-} $c"
    done
  done
  for proto in PLAINTEXT SSL SASL_SSL; do
    SEC_P[$proto]=$(printf '%s\n' ${SEC_PR[$proto]} | median)
    SEC_C[$proto]=$(printf '%s\n' ${SEC_CR[$proto]} | median)
  done
  for proto in PLAINTEXT SSL SASL_SSL; do
    echo "  median $proto: producer ${SEC_P[$proto]} records/s (ratio to PLAINTEXT $(ratio "${SEC_P[$proto]}" "${SEC_P[PLAINTEXT]}")), consumer ${SEC_C[$proto]} records/s (ratio $(ratio "${SEC_C[$proto]}" "${SEC_C[PLAINTEXT]}"))"
  done
  kill "$SEC_PID" 2>/dev/null; wait "$SEC_PID" 2>/dev/null; SEC_PID=""
fi

# ---------------------------------------------------------------------------------------------
if wanted scale-cluster; then
  # long: only with --only scale-cluster
  section "scale-cluster: 10,000 partitions at RF=3 over three brokers (their own ZooKeeper), and memory under load"
  node dist/bench/scale-cluster-bench.js 2>&1 | sed 's/^/  /'
fi

echo "machine at the end: crc32c $(cpu_speed) GiB/s on one core (@node-rs/crc32)"
report_steal
