/**
 * End-to-end latency at a fixed rate: a Producer sends R records/s for D seconds (linger 0,
 * acks=1 or all), each value carrying its send time; a SimpleConsumer long-polls the partition
 * and measures receive time - send time. A warm-up at that rate comes first, not counted: a
 * fresh process's code is still being compiled by the JIT. It lasts at least `--warmup S`
 * (default 1 s), then until this process has settled, the CPU it spends off its event loop (the
 * JIT's background compiles, the GC's helper threads) under 2% of a core over 500 ms, and at
 * most 10 s. Measured here at 10,000 msg/s: 88-123 ms of such CPU per 500 ms in the first 2 s,
 * quiet after 2.5-4 s; in the same runs the records from second 1 on had a p99 of 4.5-6.9 ms
 * against 3.8-4.9 ms from second 3 on (on 2 cores the compiles compete with the broker's main
 * thread). Its records are reported on
 * their own line. The measured part starts once the warm-up has arrived. Prints
 *   `e2e R msg/s: N records, p50 X ms, p99 Y ms, p99.9 Z ms, max M ms`
 * and, below it, the warm-up and where the time goes:
 *   `  warm-up ...`   how long it lasted and its records' latencies (not counted above);
 *   `  send->ack ...` the producer's view (batching, network, the broker's append and flush, and
 *                     for acks=all the followers' fetch and flush, the answer);
 *   `  broker ...`    with the leader's /metrics URL: its Produce time (read to response sent)
 *                     and its parts' p99s (local work, remote: waiting for the flush or the
 *                     ISR, response queue and send; Kafka's RequestMetrics), fsync time and
 *                     flush queue time (percentiles from the histograms' buckets: upper bounds), from
 *                     its first scrape, which ends the settling; the warm-up goes on for
 *                     AFTER_SCRAPE_MS after it, so the scrape's own cost stays out of the
 *                     measured part;
 *   `  followers ...` with its followers' /metrics too (acks=all, as the replication benchmark
 *                     runs it): their fetch rounds that brought records, fetch (sent -> read)
 *                     and append and flush, and their fsyncs, over the same window;
 *   `  stalls ...`    what pauses the processes: this (client) process's event-loop delay and
 *                     garbage-collection pauses, and the leader's (its /metrics: largest event
 *                     loop lag, GC pause time, 10 ms resolution). Both loop delays are what a
 *                     timer fired late beyond its interval (the histograms record whole intervals).
 * The broker exposes a record only after it is flushed (log.flush.interval.messages=1), so
 * this includes the fsync.
 *
 *   node dist/bench/e2e-latency.js BROKERS TOPIC RATE SECONDS [--acks 1|all] [--metrics URL] [--warmup S]
 */
import { pathToFileURL } from 'node:url';
import { PerformanceObserver, monitorEventLoopDelay, performance as nodePerformance } from 'node:perf_hooks';
import { Producer } from '../src/client/producer/producer.js';
import { Cluster } from '../src/client/cluster.js';
import { SimpleConsumer } from '../src/client/simple-consumer.js';
import { exitOnHelp, requirePositive, splitOptionValues, unknownOption, usageError } from './args.js';

export interface E2eOptions {
  brokers: string;
  topic: string;
  rate: number;
  seconds: number;
  acks: 1 | -1;
  /** The least seconds sent at the rate first and not counted (default 1); see warmupDone. */
  warmupSeconds?: number;
  /** The partition leader's /metrics, for the broker's share. */
  metricsUrl?: string;
  /** Its followers' /metrics (acks=all: their fetch rounds and fsyncs, scraped with the leader's). */
  followerMetricsUrls?: string[];
}

const HISTOGRAMS = {
  produce: ['kafka_network_requestmetrics_totaltimems', 'request="Produce"'],
  local: ['kafka_network_requestmetrics_localtimems', 'request="Produce"'],
  remote: ['kafka_network_requestmetrics_remotetimems', 'request="Produce"'],
  responseQueue: ['kafka_network_requestmetrics_responsequeuetimems', 'request="Produce"'],
  responseSend: ['kafka_network_requestmetrics_responsesendtimems', 'request="Produce"'],
  fsync: ['kafka_log_logflushstats_logflushrateandtimems', ''],
  queue: ['kafka_log_logflushstats_flushqueuetimems', ''],
} as const;
/** A follower's share under acks=all: its fetch rounds that brought records, by phase, and its fsyncs. */
const FOLLOWER_HISTOGRAMS = {
  fetch: ['kafka_server_replicafetcher_roundtimems', 'phase="fetch"'],
  appendFlush: ['kafka_server_replicafetcher_roundtimems', 'phase="append_flush"'],
  fsync: ['kafka_log_logflushstats_logflushrateandtimems', ''],
} as const;
type Buckets = Map<number, number>;
type Histograms = Record<string, readonly [string, string]>;

/** The buckets of `histograms` in the /metrics of `urls`, summed over them. */
async function scrape<H extends Histograms>(histograms: H, ...urls: string[]): Promise<Record<keyof H, Buckets>> {
  const out = {} as Record<keyof H, Buckets>;
  for (const k of Object.keys(histograms)) out[k as keyof H] = new Map();
  for (const url of urls) {
    const text = await (await fetch(url)).text();
    for (const [k, [name, labels]] of Object.entries(histograms)) {
      const b = out[k as keyof H];
      for (const line of text.split('\n')) {
        const m = /^([\w:]+)_bucket\{([^}]*)\} (\S+)$/.exec(line);
        if (!m || m[1] !== name || !m[2]!.includes(labels)) continue;
        const le = /le="([^"]+)"/.exec(m[2]!)![1]!;
        b.set(le === '+Inf' ? Infinity : Number(le), (b.get(le === '+Inf' ? Infinity : Number(le)) ?? 0) + Number(m[3]));
      }
    }
  }
  return out;
}

/** The leader's default Node metrics: GC pause seconds (all kinds) and the largest event-loop lag since the last scrape. */
async function scrapeNode(url: string): Promise<{ gcSeconds: number; gcCount: number; lagMaxSeconds: number }> {
  const text = await (await fetch(url)).text();
  const sum = (name: string): number => text.split('\n').filter((l) => l.startsWith(name)).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  return { gcSeconds: sum('nodejs_gc_duration_seconds_sum'), gcCount: sum('nodejs_gc_duration_seconds_count'), lagMaxSeconds: sum('nodejs_eventloop_lag_max_seconds') };
}

/** `q`-quantile of the observations between two scrapes: the upper bound of its bucket. */
function bucketQuantile(before: Buckets, after: Buckets, q: number): string {
  const les = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return 'n/a';
  for (const le of les) if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= q * total) return le === Infinity ? `>${les[les.length - 2]}` : `<=${le}`;
  return 'n/a';
}

/** p50, p99 and p99.9 of the observations between two scrapes (bucket upper bounds). */
function quantiles(before: Buckets, after: Buckets): string {
  return `p50 ${bucketQuantile(before, after, 0.5)}, p99 ${bucketQuantile(before, after, 0.99)}, p99.9 ${bucketQuantile(before, after, 0.999)} ms`;
}

function percentiles(xs: number[]): { p50: string; p99: string; p999: string; max: string } {
  const s = Float64Array.from(xs).sort();
  const pct = (p: number): string => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2) : 'n/a');
  return { p50: pct(0.5), p99: pct(0.99), p999: pct(0.999), max: s.length ? s[s.length - 1]!.toFixed(2) : 'n/a' };
}

/** The byte after the send time: marks a warm-up record (the padding is 66). */
const WARMUP = 87;

/** How often the warm-up looks at the CPU this process spent off its event loop. */
export const SETTLE_WINDOW_MS = 500;
/** Off-loop CPU per window under which the process counts as settled: 2% of a core. */
export const SETTLED_OFF_LOOP_MS = 10;
/** The longest warm-up, settled or not. */
export const MAX_WARMUP_MS = 10_000;
/**
 * With --metrics, how long the warm-up goes on after the leader's first scrape: a scrape holds
 * the leader's event loop ~3 ms (its /metrics, measured with curl here) and this process's for
 * the fetch and the parsing, and leaves garbage in both, so it is kept out of the measured part.
 */
export const AFTER_SCRAPE_MS = 1000;

/**
 * Whether the warm-up is over after `elapsedMs` at the rate, given the CPU milliseconds this
 * process spent off its event loop (process CPU minus event-loop active time) in the last
 * window: at least `minMs`, then once settled, and at `MAX_WARMUP_MS` in any case.
 */
export function warmupDone(elapsedMs: number, offLoopMs: number, minMs: number): boolean {
  if (elapsedMs >= Math.max(minMs, MAX_WARMUP_MS)) return true;
  return elapsedMs >= minMs && offLoopMs < SETTLED_OFF_LOOP_MS;
}

/** CPU milliseconds this process spent off its event loop since the last call (the first: since created). */
function offLoopMeter(): () => number {
  let cpu = process.cpuUsage();
  let elu = nodePerformance.eventLoopUtilization();
  return () => {
    const c = process.cpuUsage(cpu);
    const e = nodePerformance.eventLoopUtilization(elu);
    cpu = process.cpuUsage();
    elu = nodePerformance.eventLoopUtilization();
    return (c.user + c.system) / 1000 - e.active;
  };
}

export async function runE2e(o: E2eOptions): Promise<string[]> {
  const total = o.rate * o.seconds;
  const minWarmupMs = 1000 * (o.warmupSeconds ?? 1);
  const producer = new Producer({ brokers: o.brokers, acks: o.acks });
  await producer.partitionsFor(o.topic);
  const cluster = new Cluster({ brokers: o.brokers });
  const consumer = new SimpleConsumer(cluster, { maxWaitMs: 100, minBytes: 1 });
  await consumer.seek(o.topic, 0, 'latest');
  // Once the process has settled, the leader's figures so far (subtracted at the end); a second
  // later, when the warm-up ends, this process's stalls from then on, event-loop delay (1 ms
  // resolution) and GC pauses.
  let before: Record<keyof typeof HISTOGRAMS, Buckets> | undefined;
  let followersBefore: Record<keyof typeof FOLLOWER_HISTOGRAMS, Buckets> | undefined;
  const followerUrls = o.metricsUrl ? (o.followerMetricsUrls ?? []) : [];
  let brokerNodeBefore: Awaited<ReturnType<typeof scrapeNode>> | undefined;
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  const gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push(entry.duration);
  });
  let warmedUp = 0;
  // after the warm-up has arrived (at most 5 s): the monitors
  const startMeasuring = async (warmup: number): Promise<void> => {
    const until = Date.now() + 5000;
    while (warmedUp < warmup && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    loopDelay.enable();
    gcObserver.observe({ entryTypes: ['gc'] });
  };
  const latencies: number[] = [];
  const warmupLatencies: number[] = [];
  const acks: number[] = [];
  let done = false;
  const reading = (async () => {
    while (!done && latencies.length < total) {
      for (const r of await consumer.poll()) {
        const latency = performance.timeOrigin + performance.now() - r.value!.readDoubleBE(0);
        if (r.value![8] === WARMUP) {
          warmedUp++;
          warmupLatencies.push(latency);
        } else latencies.push(latency);
      }
    }
  })();
  let start = performance.now();
  const pad = Buffer.alloc(92, 66);
  const offLoop = offLoopMeter();
  let nextLook = start + SETTLE_WINDOW_MS;
  let warmup = -1; // records sent in the warm-up, once it is over
  let settledAt = -1; // when the warm-up found the process settled (ms since start)
  for (let i = 0; warmup < 0 || i < warmup + total; i++) {
    const due = start + (i * 1000) / o.rate;
    if (settledAt < 0 && due >= nextLook) {
      nextLook += SETTLE_WINDOW_MS;
      if (warmupDone(due - start, offLoop(), minWarmupMs)) {
        settledAt = due - start;
        if (o.metricsUrl) {
          before = await scrape(HISTOGRAMS, o.metricsUrl);
          if (followerUrls.length) followersBefore = await scrape(FOLLOWER_HISTOGRAMS, ...followerUrls);
          brokerNodeBefore = await scrapeNode(o.metricsUrl);
          start = performance.now() - (i * 1000) / o.rate; // the rate goes on from here
        }
      }
    }
    if (settledAt >= 0 && warmup < 0 && (!o.metricsUrl || due - start >= settledAt + AFTER_SCRAPE_MS)) {
      warmup = i;
      await startMeasuring(warmup);
      start = performance.now() - (i * 1000) / o.rate;
    }
    const wait = start + (i * 1000) / o.rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const v = Buffer.allocUnsafe(100);
    const sentAt = performance.now();
    v.writeDoubleBE(performance.timeOrigin + sentAt, 0);
    pad.copy(v, 8);
    if (warmup < 0) {
      v[8] = WARMUP;
      producer.produce({ topic: o.topic, partition: 0, value: v });
      continue;
    }
    producer.produce({ topic: o.topic, partition: 0, value: v }, (err) => {
      if (!err) acks.push(performance.now() - sentAt);
    });
  }
  await producer.flush();
  const deadline = Date.now() + 10_000;
  while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  done = true;
  await reading;
  loopDelay.disable();
  gcObserver.disconnect();
  await producer.close();
  cluster.close();
  const e = percentiles(latencies);
  const a = percentiles(acks);
  const w = percentiles(warmupLatencies);
  const lines = [
    `e2e ${o.rate} msg/s: ${latencies.length} records (after ${warmup} not counted), p50 ${e.p50} ms, p99 ${e.p99} ms, p99.9 ${e.p999} ms, max ${e.max} ms`,
    `  warm-up: ${(warmup / o.rate).toFixed(1)} s (at least ${minWarmupMs / 1000} s, then until this process spent under ${SETTLED_OFF_LOOP_MS} ms of CPU off its event loop in ${SETTLE_WINDOW_MS} ms: JIT compiles, GC helpers; at most ${Math.max(minWarmupMs, MAX_WARMUP_MS) / 1000} s${o.metricsUrl ? `; then ${AFTER_SCRAPE_MS / 1000} s more after the leader's first scrape` : ''}), its ${warmupLatencies.length} records: p50 ${w.p50} ms, p99 ${w.p99} ms, p99.9 ${w.p999} ms, max ${w.max} ms`,
    `  send->ack (acks=${o.acks === -1 ? 'all' : 1}): p50 ${a.p50} ms, p99 ${a.p99} ms, p99.9 ${a.p999} ms, max ${a.max} ms`,
  ];
  // first: a scrape resets the leader's event-loop lag statistics (prom-client)
  const brokerNodeAfter = o.metricsUrl ? await scrapeNode(o.metricsUrl) : undefined;
  const first = before;
  if (o.metricsUrl && first) {
    const after = await scrape(HISTOGRAMS, o.metricsUrl);
    const part = (k: keyof typeof HISTOGRAMS) => quantiles(first[k], after[k]);
    const p99 = (k: keyof typeof HISTOGRAMS) => bucketQuantile(first[k], after[k], 0.99);
    lines.push(
      `  broker (leader, from ${AFTER_SCRAPE_MS / 1000} s before the measured part): Produce request ${part('produce')} (p99s: local ${p99('local')}, remote ${p99('remote')}, response queue ${p99('responseQueue')}, send ${p99('responseSend')}); fsync ${part('fsync')}; flush queue ${part('queue')}`,
    );
    if (followersBefore) {
      // acks=all: the leader's remote time is a round of each follower (the fetch that brings
      // the record, its append and fsync) and the next fetch, which tells the leader its offset
      const f0 = followersBefore;
      const f1 = await scrape(FOLLOWER_HISTOGRAMS, ...followerUrls);
      const fpart = (k: keyof typeof FOLLOWER_HISTOGRAMS) => quantiles(f0[k], f1[k]);
      lines.push(`  followers (${followerUrls.length}, summed; the same window): fetch round: fetch ${fpart('fetch')}, append and flush ${fpart('appendFlush')}; fsync ${fpart('fsync')}`);
    }
  }
  const ms = (ns: number): string => (ns / 1e6).toFixed(1);
  const gcTotal = gcPauses.reduce((a, b) => a + b, 0);
  // monitorEventLoopDelay records whole timer intervals: the delay is what exceeds the resolution
  const excess = (ns: number, resolutionMs: number): string => Math.max(0, ns / 1e6 - resolutionMs).toFixed(1);
  let stalls = `  stalls: client event loop delay p99 ${excess(loopDelay.percentile(99), 1)} ms, max ${excess(loopDelay.max, 1)} ms; client GC ${gcPauses.length} pauses, ${gcTotal.toFixed(0)} ms in all, largest ${Math.max(0, ...gcPauses).toFixed(1)} ms`;
  if (brokerNodeAfter && brokerNodeBefore) {
    const b = brokerNodeAfter;
    stalls += `; leader GC ${b.gcCount - brokerNodeBefore.gcCount} pauses, ${((b.gcSeconds - brokerNodeBefore.gcSeconds) * 1000).toFixed(0)} ms in all, largest event-loop stall ${excess(b.lagMaxSeconds * 1e9, 10)} ms (prom-client samples it with a 10 ms timer)`;
  }
  lines.push(stalls);
  return lines;
}

const TOOL = 'e2e-latency';
const USAGE = `usage: e2e-latency.js BROKERS TOPIC [RATE] [SECONDS] [--acks 1|all] [--metrics URL] [--warmup S]

Run as node dist/bench/e2e-latency.js (scripts/bench.sh runs it against its broker).
End-to-end latency at a fixed rate: a producer sends RATE records/s of 100 bytes to partition 0
of TOPIC for SECONDS (linger 0), each value carrying its send time; a consumer long-polls the
partition and measures receive time - send time. The broker must flush before it exposes a
record (log.flush.interval.messages=1), so this includes the fsync.
  BROKERS         bootstrap brokers, H:P[,H:P...]
  TOPIC           the topic (partition 0)
  RATE            records per second (default 10000)
  SECONDS         how long the measured part lasts (default 10)
  --acks 1|all    the producer's acks (default 1; -1 is all)
  --metrics URL   the partition leader's /metrics: the broker's share and its stalls
  --warmup S      the least seconds sent at the rate first and not counted (default 1); the
                  warm-up goes on until this process has settled (under 2% of a core of CPU
                  off its event loop over 500 ms: the JIT's compiles, the GC's helpers), at
                  most 10 s (or S if longer)
Prints
  e2e RATE msg/s: N records (after W not counted), p50 X ms, p99 Y ms, p99.9 Z ms, max M ms
and below it the warm-up (its length, its records) and where the time goes: send->ack, broker
(with --metrics), stalls.
`;

async function main(): Promise<void> {
  exitOnHelp(USAGE);
  const args = splitOptionValues(process.argv.slice(2));
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (v === undefined) usageError(TOOL, `--${name} needs a value`, USAGE);
    args.splice(i, 2);
    return v;
  };
  const acks = opt('acks');
  const metricsUrl = opt('metrics');
  const warmupArg = opt('warmup');
  const unknown = args.find((a) => a.startsWith('-'));
  if (unknown) usageError(TOOL, unknownOption(unknown, ['acks', 'metrics', 'warmup']).message, USAGE);
  if (args.length > 4) usageError(TOOL, `unexpected argument ${args[4]}`, USAGE);
  const [brokers, topic, rateArg, secondsArg] = args;
  if (!brokers || !topic) usageError(TOOL, `missing ${brokers ? 'TOPIC' : 'BROKERS and TOPIC'}`, USAGE);
  if (acks !== undefined && !['1', 'all', '-1'].includes(acks)) usageError(TOOL, `--acks must be 1 or all, not ${acks}`, USAGE);
  requirePositive(TOOL, USAGE, { RATE: Number(rateArg ?? 10_000), SECONDS: Number(secondsArg ?? 10) });
  if (warmupArg !== undefined && !(Number(warmupArg) >= 0)) usageError(TOOL, '--warmup must be a number of seconds, 0 or more', USAGE);
  if (metricsUrl !== undefined && !URL.canParse(metricsUrl)) usageError(TOOL, `--metrics: not a URL: ${metricsUrl}`, USAGE);
  const lines = await runE2e({ brokers, topic, rate: Number(rateArg ?? 10_000), seconds: Number(secondsArg ?? 10), acks: acks === 'all' || acks === '-1' ? -1 : 1, metricsUrl, warmupSeconds: warmupArg === undefined ? undefined : Number(warmupArg) });
  for (const l of lines) console.log(l);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
