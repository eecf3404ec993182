/**
 * kafka-replica-verification.sh --broker-list H:P[,..] [--topic-white-list REGEX] [--report-interval-ms 30000]
 *                               [--max-wait-ms 1000] [--fetch-size N] [--time -1|-2|<ms>] [--once]
 * Kafka's ReplicaVerificationTool (kafka.tools.ReplicaVerificationTool): checks that every
 * replica of every partition of the matching topics holds the same data.
 *
 * It reads the initial offsets from the leaders (ListOffsets, --time), then in rounds sends
 * each broker one Fetch v4 for all the partitions it holds a replica of, with replica id -2
 * (Kafka's DebuggingConsumerId: a consumer that may read a FOLLOWER's copy, up to that
 * replica's high watermark), every partition from the same offset on every replica. After each
 * round the answers are compared batch by batch (replica-compare.ts: offsets, size, CRC) as far
 * as every replica has data, and the partition's offset moves past what matched. It prints
 *
 *   <yyyy-MM-dd HH:mm:ss,SSS>: verification process is started.
 *   <time>: max lag is L for partition [T,P] at offset O among N partitions
 *
 * the second every --report-interval-ms (lag: the highest high watermark among the replicas
 * minus the offset verified so far; the largest over the interval). A difference is one line
 * on stderr naming the partition, the offset and the replicas, and exit code 1.
 *
 * --once (ours): starts at -2 unless --time is given, verifies up to the high watermarks the
 * first round saw (for at most --report-interval-ms), prints the report and a summary, and
 * exits 0 when every replica matched that far, 1 otherwise. Without --once it runs until
 * interrupted, as Kafka's tool does (default --time -1).
 *
 * A broker that only serves partitions it leads answers the follower's fetch with
 * NOT_LEADER_FOR_PARTITION; the tool then says so and exits 1 (it cannot read that copy).
 * Compacted topics: each replica compacts on its own, so a compacted range can differ between
 * replicas and is reported as a difference.
 */
import { Cluster, call } from '../client/cluster.js';
import { API_CODECS } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { FetchRequest } from '../protocol/apis/fetch.js';
import { ErrorCode, errorName } from '../common/errors.js';
import { describeError, fail, newProgram, positiveInt } from './common.js';
import { listOffsets } from './get-offsets.js';
import { compareReplicas, type ReplicaAnswer } from './replica-compare.js';
import { Output } from './stdout.js';

const TOOL = 'kafka-replica-verification';
/** Kafka's Request.DebuggingConsumerId. */
export const DEBUGGING_CONSUMER_ID = -2;

interface Options {
  brokerList: string;
  topicWhiteList: string;
  reportIntervalMs: number;
  maxWaitMs: number;
  fetchSize: number;
  time?: string;
  once?: boolean;
}

interface PartitionState {
  topic: string;
  partition: number;
  name: string;
  replicas: number[];
  leader: number;
  fetchOffset: number;
  hw: Map<number, number>;
  /** --once: the high watermark to verify up to. */
  target?: number;
}

function stamp(ms = Date.now()): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

class VerificationError extends Error {}

let io: Output;
/** A report line, written at once. */
function say(line: string): void {
  io.out(line);
  io.flush();
}

/** The partitions of the matching topics, waiting a moment for leaders; their start offsets. */
async function partitionsToVerify(cluster: Cluster, pattern: RegExp, time: number): Promise<PartitionState[]> {
  const deadline = Date.now() + 5000;
  let topics = (await cluster.refresh()).topics.filter((t) => pattern.test(t.topic));
  while (topics.some((t) => t.errorCode !== ErrorCode.NONE || t.partitions.some((p) => p.leader < 0)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    topics = (await cluster.refresh()).topics.filter((t) => pattern.test(t.topic));
  }
  if (topics.length === 0) throw new VerificationError(`no topic matches --topic-white-list ${pattern.source}`);
  const out: PartitionState[] = [];
  for (const t of topics.sort((a, b) => a.topic.localeCompare(b.topic))) {
    const parts = [...t.partitions].sort((a, b) => a.partition - b.partition);
    const leaderless = parts.filter((p) => p.leader < 0).map((p) => p.partition);
    if (t.errorCode !== ErrorCode.NONE || leaderless.length > 0) throw new VerificationError(`topic "${t.topic}": ${leaderless.length > 0 ? `partitions ${leaderless.join(',')} have no leader` : errorName(t.errorCode)}`);
    let offsets = await listOffsets(cluster, t.topic, parts.map((p) => p.partition), time, 1);
    const none = parts.filter((p) => Array.isArray(offsets.get(p.partition)) && (offsets.get(p.partition) as number[]).length === 0);
    if (none.length > 0) offsets = new Map([...offsets, ...(await listOffsets(cluster, t.topic, none.map((p) => p.partition), -1, 1))]);
    for (const p of parts) {
      const o = offsets.get(p.partition);
      if (!Array.isArray(o)) throw new VerificationError(`cannot read the start offset of [${t.topic},${p.partition}]: ${o ?? 'no answer'}`);
      out.push({ topic: t.topic, partition: p.partition, name: `[${t.topic},${p.partition}]`, replicas: p.replicas, leader: p.leader, fetchOffset: o[0]!, hw: new Map() });
    }
  }
  return out;
}

/** One Fetch per broker for every replica it holds; each partition's answers in replica order. */
async function fetchRound(cluster: Cluster, parts: PartitionState[], o: Options): Promise<Map<PartitionState, ReplicaAnswer[]>> {
  const byBroker = new Map<number, PartitionState[]>();
  for (const p of parts) for (const r of p.replicas) byBroker.set(r, [...(byBroker.get(r) ?? []), p]);
  const got = new Map<PartitionState, Map<number, Buffer>>(parts.map((p) => [p, new Map()]));
  await Promise.all(
    [...byBroker].map(async ([broker, ps]) => {
      if (!cluster.brokers.has(broker)) throw new VerificationError(`replica ${broker} of ${ps.map((p) => p.name).join(', ')} is not a live broker`);
      const topics = [...new Set(ps.map((p) => p.topic))].map((topic) => ({
        topic,
        partitions: ps.filter((p) => p.topic === topic).map((p) => ({ partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: o.fetchSize })),
      }));
      const req: FetchRequest = { replicaId: DEBUGGING_CONSUMER_ID, maxWaitMs: o.maxWaitMs, minBytes: 1, maxBytes: 0x7fffffff, isolationLevel: 0, topics };
      let res;
      try {
        res = (await call(cluster.connectionTo(broker), API_CODECS[ApiKey.Fetch], 4, req, { timeoutMs: o.maxWaitMs + 30_000 }))!;
      } catch (err) {
        throw new VerificationError(`fetching from broker ${broker} failed: ${describeError(err)}`);
      }
      for (const t of res.topics) {
        for (const fp of t.partitions) {
          const p = ps.find((x) => x.topic === t.topic && x.partition === fp.partition);
          if (!p) continue;
          if (fp.errorCode !== ErrorCode.NONE) {
            const follower = broker !== p.leader;
            const why =
              fp.errorCode === ErrorCode.NOT_LEADER_FOR_PARTITION && follower
                ? `; this broker serves fetches only from the partitions it leads (Kafka brokers serve replica id ${DEBUGGING_CONSUMER_ID} from followers), so its copy cannot be verified`
                : '';
            throw new VerificationError(`broker ${broker} (${follower ? 'a follower' : 'the leader'} of ${p.name}) answered the fetch from offset ${p.fetchOffset} with ${errorName(fp.errorCode)}${why}`);
          }
          p.hw.set(broker, fp.highWatermark);
          got.get(p)!.set(broker, fp.records ?? Buffer.alloc(0));
        }
      }
    }),
  );
  return new Map(parts.map((p) => [p, p.replicas.map((r) => ({ replicaId: r, records: got.get(p)!.get(r) ?? Buffer.alloc(0) }))]));
}

const maxHw = (p: PartitionState): number => Math.max(...p.hw.values());

/** Verifies one round; returns the mismatch lines (empty when all matched). */
async function verifyRound(cluster: Cluster, parts: PartitionState[], o: Options): Promise<string[]> {
  const mismatches: string[] = [];
  for (const [p, answers] of await fetchRound(cluster, parts, o)) {
    const r = compareReplicas(p.name, p.fetchOffset, answers);
    p.fetchOffset = r.nextOffset;
    if (r.mismatch) mismatches.push(`${stamp()}: ${r.mismatch.message}`);
  }
  return mismatches;
}

function worst(parts: PartitionState[]): { lag: number; p: PartitionState } {
  let best = { lag: -1, p: parts[0]! };
  for (const p of parts) if (maxHw(p) - p.fetchOffset > best.lag) best = { lag: maxHw(p) - p.fetchOffset, p };
  return best;
}

const reportLine = (w: { lag: number; p: PartitionState }, n: number): string =>
  `${stamp()}: max lag is ${w.lag} for partition ${w.p.name} at offset ${w.p.fetchOffset} among ${n} partitions`;

async function runOnce(cluster: Cluster, parts: PartitionState[], o: Options): Promise<number> {
  const deadline = Date.now() + o.reportIntervalMs;
  let active = parts;
  do {
    const mismatches = await verifyRound(cluster, active, o);
    for (const p of active) p.target ??= maxHw(p);
    if (mismatches.length > 0) {
      for (const m of mismatches) process.stderr.write(m + '\n');
      return 1;
    }
    active = parts.filter((p) => p.fetchOffset < p.target!);
  } while (active.length > 0 && Date.now() < deadline);
  say(reportLine(worst(parts), parts.length));
  for (const p of active) {
    const behind = p.replicas.filter((r) => (p.hw.get(r) ?? -1) < p.target!).map((r) => `replica ${r} at high watermark ${p.hw.get(r) ?? 'unknown'}`);
    process.stderr.write(`${stamp()}: partition ${p.name} verified only up to offset ${p.fetchOffset} of ${p.target} within ${o.reportIntervalMs} ms${behind.length > 0 ? ` (${behind.join(', ')})` : ''}\n`);
  }
  if (active.length > 0) return 1;
  say(`${stamp()}: all ${parts.length} partitions verified up to their high watermarks: the replicas are identical`);
  return 0;
}

async function runForever(cluster: Cluster, parts: PartitionState[], o: Options): Promise<number> {
  let lastReport = Date.now();
  let max = { lag: -1, p: parts[0]!, offset: 0 };
  for (;;) {
    const mismatches = await verifyRound(cluster, parts, o);
    if (mismatches.length > 0) {
      for (const m of mismatches) process.stderr.write(m + '\n');
      return 1;
    }
    const w = worst(parts);
    if (w.lag > max.lag) max = { ...w, offset: w.p.fetchOffset };
    if (Date.now() - lastReport >= o.reportIntervalMs) {
      say(`${stamp()}: max lag is ${max.lag} for partition ${max.p.name} at offset ${max.offset} among ${parts.length} partitions`);
      lastReport = Date.now();
      max = { lag: -1, p: parts[0]!, offset: 0 };
    }
  }
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-replica-verification.sh', "Check that all replicas of a set of topics hold the same data (Kafka's ReplicaVerificationTool)")
    .requiredOption('--broker-list <list>', 'REQUIRED: the brokers to bootstrap from, host1:port1,host2:port2')
    .option('--topic-white-list <regex>', 'the topics to verify: a regular expression matching whole names (commas separate alternatives)', '.*')
    .option('--report-interval-ms <ms>', 'how often the max lag is reported (with --once: how long to try at most)', positiveInt(TOOL, '--report-interval-ms'), 30_000)
    .option('--max-wait-ms <ms>', 'how long a fetch waits for data', positiveInt(TOOL, '--max-wait-ms'), 1000)
    .option('--fetch-size <bytes>', 'bytes fetched per partition per request', positiveInt(TOOL, '--fetch-size'), 1024 * 1024)
    .option('--time <ms>', 'where verification starts: -1 the high watermark, -2 the earliest offset, or a timestamp (default -1, or -2 with --once)')
    .option('--once', 'verify once up to the current high watermarks, print the report, exit 0 when the replicas are identical, 1 otherwise')
    .addHelpText('after', '\nReplicas are read with Fetch replica id -2 (a debugging consumer), which brokers must serve from followers too.\nExit code 1 on any difference between replicas (one line on stderr) or when a replica cannot be read.')
    .parse(argv)
    .opts<Options>();
  const timeText = o.time ?? (o.once ? '-2' : '-1');
  if (!/^-?\d+$/.test(timeText) || Number(timeText) < -2) fail(TOOL, `--time must be -1, -2 or a timestamp in ms, got "${timeText}"`);
  let pattern: RegExp;
  try {
    pattern = new RegExp(`^(?:${o.topicWhiteList.split(',').map((s) => s.trim()).join('|')})$`);
  } catch (err) {
    fail(TOOL, `--topic-white-list is not a valid regular expression: ${describeError(err)}`);
  }
  let cluster: Cluster;
  try {
    cluster = new Cluster({ brokers: o.brokerList, clientId: 'replicaVerificationTool' });
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  let code: number;
  io = new Output(TOOL);
  try {
    const parts = await partitionsToVerify(cluster, pattern, Number(timeText));
    say(`${stamp()}: verification process is started.`);
    code = o.once ? await runOnce(cluster, parts, o) : await runForever(cluster, parts, o);
  } catch (err) {
    io.err(describeError(err));
    code = 1;
  } finally {
    cluster.close();
  }
  await io.exit(code);
}
