/**
 * kafka-get-offsets.sh --broker-list H:P[,H:P] --topic T [--partitions 0,1] [--time -1|-2|<ms>]
 *                      [--offsets N]
 * Kafka's GetOffsetShell (kafka.tools.GetOffsetShell). Asks each partition's leader with
 * ListOffsets (replica id -1, a consumer) and prints one line per partition, by partition:
 *
 *   T:P:offset
 *
 * --time -1 (the default): the latest offset a consumer can read to, the high watermark;
 * -2: the earliest offset still in the log; a time in ms: the first offset whose record
 * timestamp is at or after it, or nothing (`T:P:`, as Kafka 2.x prints it) when no record
 * that old or newer is there yet. With --offsets N > 1 the request is ListOffsets v0 (0.8's
 * form) and the line lists up to N offsets, newest first (`T:P:o1,o2`; this broker answers
 * the offset asked for and the log start).
 *
 * The topic is looked up in the metadata of every topic, so an unknown topic is an error
 * (exit 1) and is never auto-created. A partition without a leader, or one its leader refuses,
 * is reported on stderr; the others are still printed and the exit code is 1.
 */
import { Cluster, UNKNOWN_TOPIC_GRACE_MS, call } from '../client/cluster.js';
import { API_CODECS } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import type { MetadataTopic } from '../protocol/apis/metadata.js';
import { ErrorCode, errorName, isRetriable } from '../common/errors.js';
import { describeError, fail, newProgram, positiveInt } from './common.js';
import { Output } from './stdout.js';

const TOOL = 'kafka-get-offsets';
const ATTEMPTS = 3;

interface Options {
  brokerList?: string;
  bootstrapServer?: string;
  topic: string;
  partitions?: string;
  time: string;
  offsets: number;
}

function parseTime(v: string): number {
  if (!/^-?\d+$/.test(v.trim()) || Number(v) < -2) fail(TOOL, `--time must be -1 (latest), -2 (earliest) or a timestamp in ms, got "${v}"`);
  return Number(v);
}

function parsePartitions(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) fail(TOOL, `--partitions must be a comma-separated list of partition ids, got "${v}"`);
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

/** The topic from the metadata of all topics (no auto-creation); waits a moment for leaders. */
async function topicMetadata(cluster: Cluster, topic: string): Promise<MetadataTopic> {
  const start = Date.now();
  const deadline = start + 5000;
  for (;;) {
    const t = (await cluster.refresh()).topics.find((x) => x.topic === topic);
    // a topic created a moment ago reaches the brokers' metadata through the controller
    if (!t && Date.now() - start > UNKNOWN_TOPIC_GRACE_MS) throw new Error(`topic "${topic}" does not exist`);
    if (!t) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    if ((t.errorCode === ErrorCode.NONE && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)) || Date.now() > deadline) return t;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One ListOffsets per leader; returns offsets by partition, or the error of each that failed. */
export async function listOffsets(cluster: Cluster, topic: string, partitions: number[], time: number, n: number): Promise<Map<number, number[] | string>> {
  const result = new Map<number, number[] | string>();
  let todo = partitions;
  for (let attempt = 1; todo.length > 0 && attempt <= ATTEMPTS; attempt++) {
    if (attempt > 1) await topicMetadata(cluster, topic).catch(() => undefined);
    const retry: number[] = [];
    const byLeader = new Map<number, number[]>();
    for (const p of todo) {
      const leader = cluster.leaderOf(topic, p);
      if (leader < 0) result.set(p, 'it has no leader');
      else byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, ps]) => {
        const version = n > 1 ? 0 : 1;
        try {
          const res = (await call(cluster.connectionTo(leader), API_CODECS[ApiKey.ListOffsets], version, {
            replicaId: -1,
            topics: [{ topic, partitions: ps.map((partition) => ({ partition, timestamp: time, maxNumOffsets: n })) }],
          }))!;
          for (const p of res.topics.flatMap((t) => t.partitions)) {
            if (p.errorCode === ErrorCode.NONE) result.set(p.partition, version === 0 ? (p.offsets ?? []) : p.offset! < 0 ? [] : [p.offset!]);
            else if (isRetriable(p.errorCode) && attempt < ATTEMPTS) retry.push(p.partition);
            else result.set(p.partition, `broker ${leader} answered ${errorName(p.errorCode)}`);
          }
        } catch (err) {
          if (attempt < ATTEMPTS) retry.push(...ps);
          else for (const p of ps) result.set(p, `broker ${leader} did not answer: ${describeError(err)}`);
        }
      }),
    );
    todo = retry;
  }
  return result;
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-get-offsets.sh', "Print the offsets of a topic's partitions for a time (Kafka's GetOffsetShell)")
    .option('--broker-list <list>', 'REQUIRED: the brokers to bootstrap from, host1:port1,host2:port2')
    .option('--bootstrap-server <list>', 'the same as --broker-list')
    .requiredOption('--topic <topic>', 'REQUIRED: the topic')
    .option('--partitions <list>', 'comma-separated partition ids; default: all')
    .option('--time <ms>', '-1 the latest offset (the high watermark), -2 the earliest, or a timestamp in ms: the first offset with a record timestamp at or after it', '-1')
    .option('--offsets <n>', 'with N > 1, up to N offsets per partition, newest first (ListOffsets v0, as 0.8 asked)', positiveInt(TOOL, '--offsets'), 1)
    .addHelpText(
      'after',
      '\nPrints T:P:offset per partition, sorted by partition; for a timestamp newer than every record, T:P: (no offset).\n' +
        'Exit code 1 for an unknown topic or partition, or when any partition has no leader or its leader refuses (reported on stderr).',
    )
    .parse(argv)
    .opts<Options>();
  const brokers = o.brokerList ?? o.bootstrapServer;
  if (!brokers) fail(TOOL, 'give --broker-list host:port[,host:port]');
  const time = parseTime(o.time);
  const wanted = parsePartitions(o.partitions);
  let cluster: Cluster;
  try {
    cluster = new Cluster({ brokers, clientId: 'GetOffsetShell', requestTimeoutMs: 15_000 });
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  const io = new Output(TOOL);
  let code = 0;
  try {
    const meta = await topicMetadata(cluster, o.topic);
    const all = meta.partitions.map((p) => p.partition).sort((a, b) => a - b);
    const partitions = wanted ?? all;
    const missing = partitions.filter((p) => !all.includes(p));
    if (missing.length > 0) throw new Error(`topic "${o.topic}" has no partition ${missing.join(', ')} (it has ${all.length}: ${all.join(',')})`);
    const offsets = await listOffsets(cluster, o.topic, partitions, time, o.offsets);
    const failed: string[] = [];
    for (const p of partitions) {
      const r = offsets.get(p);
      if (Array.isArray(r)) io.out(`${o.topic}:${p}:${r.join(',')}`);
      else failed.push(`partition ${p} of "${o.topic}": ${r ?? 'no answer'}`);
    }
    for (const f of failed) io.err(f);
    if (failed.length > 0) code = 1;
  } catch (err) {
    io.err(describeError(err));
    code = 1;
  } finally {
    cluster.close();
  }
  await io.exit(code);
}
