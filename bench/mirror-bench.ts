/**
 * Mirror benchmark: how fast the mirror copies 100-byte records from a source cluster to a
 * target cluster, with 1 stream and with 4, as a ratio to our producer writing the same records
 * straight to the target in the same run (target: >= 0.5 with one stream).
 *
 *   node --initial-old-space-size=128 --max-semi-space-size=64 dist/bench/mirror-bench.js --zookeeper H:P --broker H:P [--records 500000] [--partitions 4] [--runs 3]
 *
 * (the options are what bin/kafka-mirror-maker.sh gives the mirror; the producer runs in the
 * same process with them.)
 *
 * The source is the cluster of --zookeeper / --broker (e.g. the one scripts/bench.sh starts).
 * The target is one broker process this script starts under a ZooKeeper chroot of the same
 * ensemble (/mirror-bench-<pid>: two clusters, one ensemble) and stops at the end, also on
 * Ctrl-C. Each run times:
 *   producer  --records keyless 100-byte records written by our producer to a fresh target
 *             topic, with the mirror's producer settings (acks=all, idempotent), from the first
 *             send to the last acknowledgement;
 *   mirror    the same records, written first (not timed) to a fresh source topic of
 *             --partitions partitions, copied by the MirrorMaker (in this process, a fresh
 *             group, no handler: same topic name, key, value, timestamp) into the target
 *             topic of that name (created beforehand, like the source's), from its first
 *             assignment to the last acknowledgement.
 * Every record carries one timestamp: records of several source partitions meet in one target
 * batch, and the producer mis-encodes a record stamped slightly earlier than its batch's first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';

import { ZkClient } from '../src/zk/client.js';
import { brokerIdPath, consumerGroupPath } from '../src/zk/paths.js';
import { createTopic } from '../src/admin/topic-admin.js';
import { TopicFilter } from '../src/client/connector/topic-filter.js';
import { Producer } from '../src/client/producer/index.js';
import { mirrorConsumerSettings, mirrorProducerOptions } from '../src/mirror/config.js';
import { MirrorMaker } from '../src/mirror/mirror-maker.js';
import { brokerNodeArgs } from '../src/broker/heap-opts.js';
import { exitOnHelp, requirePositive, unknownOption, usageError } from './args.js';
import { exitWhenStdoutCloses } from './cleanup.js';

const TOOL = 'mirror-bench';
const USAGE = `usage: mirror-bench.js --zookeeper H:P --broker H:P [--records 500000] [--partitions 4] [--runs 3]

Run as node --initial-old-space-size=128 --max-semi-space-size=64 dist/bench/mirror-bench.js
(the node options bin/kafka-mirror-maker.sh gives the mirror), from the repository root.
How fast the mirror copies 100-byte records from the source cluster to a target cluster, with 1
stream and with 4, as a ratio to our producer writing the same records straight to the target.
The target is one broker this bench starts under the chroot /mirror-bench-<pid> of the same
ZooKeeper, and stops at the end.
  --zookeeper H:P     the source cluster's ZooKeeper (required)
  --broker H:P        a broker of the source cluster (required)
  --records N         records per run (default 500000)
  --partitions N      partitions of the source and target topics (default 4)
  --runs N            runs, the median printed (default 3)
Prints each run's records/s (producer, mirror 1 stream, mirror 4 streams, with the ratios), the
medians (target >= 0.5 with one stream) and this process's CPU time per record.
`;
exitOnHelp(USAGE);
const KNOWN = ['zookeeper', 'broker', 'records', 'partitions', 'runs'];

process.env.KAFKA_LOG_LEVEL ??= 'error';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i++) {
  const m = /^--([^=]+)(?:=(.*))?$/.exec(process.argv[i]!);
  if (!m) usageError(TOOL, `unexpected argument ${process.argv[i]}`, USAGE);
  if (!KNOWN.includes(m[1]!)) usageError(TOOL, unknownOption(`--${m[1]!}`, KNOWN).message, USAGE);
  args.set(m[1]!, m[2] ?? process.argv[++i] ?? '');
}
for (const name of ['zookeeper', 'broker']) if (!args.get(name)) usageError(TOOL, `--${name} is required`, USAGE);
const ZK = args.get('zookeeper')!;
const SOURCE = args.get('broker')!;
const RECORDS = Number(args.get('records') ?? 500_000);
const PARTITIONS = Number(args.get('partitions') ?? 4);
const RUNS = Number(args.get('runs') ?? 3);
requirePositive(TOOL, USAGE, { '--records': RECORDS, '--partitions': PARTITIONS, '--runs': RUNS });
exitWhenStdoutCloses(TOOL);
const STREAMS = [1, 4];
const TIMESTAMP = Date.now();
const VALUE = Buffer.alloc(100, 'm');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number): string => Math.round(n).toString();

// ---- the target: one broker under a chroot of the same ensemble --------------------------------

const chroot = `/mirror-bench-${process.pid}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mirror-bench-'));
let target: ChildProcess | undefined;

function cleanup(): void {
  if (target && target.exitCode === null) target.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

async function startTarget(zk: ZkClient): Promise<string> {
  const props = path.join(dir, 'server.properties');
  writeFileSync(
    props,
    [`broker.id=1`, `listeners=PLAINTEXT://127.0.0.1:0`, `log.dirs=${path.join(dir, 'logs')}`, `zookeeper.connect=${ZK}${chroot}`, 'num.partitions=1', 'default.replication.factor=1'].join('\n') + '\n',
  );
  let out = '';
  target = spawn(process.execPath, [...brokerNodeArgs(), path.join(ROOT, 'dist/src/bin/kafka-server-start.js'), props], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_LOG_LEVEL: 'warn' } });
  target.stdout!.on('data', (d: Buffer) => (out += d));
  target.stderr!.on('data', (d: Buffer) => (out += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (target.exitCode !== null) throw new Error(`the target broker exited:\n${out}`);
    const node = await zk.get(brokerIdPath(1)).catch(() => undefined);
    if (node) return `127.0.0.1:${JSON.parse(node.data.toString()).port}`;
    if (Date.now() > deadline) throw new Error(`the target broker did not register:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- the measurements --------------------------------------------------------------------------

async function writeSource(topic: string): Promise<void> {
  const p = new Producer({ brokers: SOURCE, acks: 1, lingerMs: 5, batchSize: 65536 });
  for (let i = 0; i < RECORDS; i++) if (!p.produce({ topic, value: VALUE, timestamp: TIMESTAMP })) await p.ready();
  await p.close();
}

/**
 * This process's CPU time per record in each run (user + system, microseconds): what the
 * mirror costs, apart from how busy the brokers (and anything else) keep the 2 cores.
 */
const cpuPerRecord: [string, number][] = [];
const cpuMicros = (c: NodeJS.CpuUsage): number => (c.user + c.system) / RECORDS;

/** Our producer straight to the target: records per second. */
async function producerRun(targetBroker: string, topic: string): Promise<number> {
  const p = new Producer(mirrorProducerOptions({ 'bootstrap.servers': targetBroker }));
  await p.partitionsFor(topic);
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < RECORDS; i++) if (!p.produce({ topic, value: VALUE, timestamp: TIMESTAMP })) await p.ready();
  await p.flush();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  cpuPerRecord.push(['producer', cpuMicros(process.cpuUsage(cpu0))]);
  await p.close();
  return RECORDS / s;
}

/**
 * With MIRROR_BENCH_PROFILE=DIR, each mirror run is CPU-profiled (the mirror alone: not the
 * source writes nor the producer runs) into DIR/<run>.cpuprofile (DIR made if missing), for
 * Chrome DevTools.
 */
async function startProfile(): Promise<((name: string) => Promise<void>) | undefined> {
  const dir = process.env.MIRROR_BENCH_PROFILE;
  if (!dir) return undefined;
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (name) => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

/** The mirror copying the source topic to the target: records per second. */
async function mirrorRun(targetBroker: string, source: string, streams: number, group: string): Promise<number> {
  let t0 = 0n;
  let cpu0: NodeJS.CpuUsage | undefined;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const mm = await MirrorMaker.start({
    // the consumer settings kafka-mirror-maker.sh applies (auto-commit off, its defaults)
    consumerProps: mirrorConsumerSettings({ 'zookeeper.connect': ZK, 'group.id': group, 'fetch.message.max.bytes': String(1024 * 1024) }).props,
    producer: mirrorProducerOptions({ 'bootstrap.servers': targetBroker }),
    filter: TopicFilter.whitelist(source.replace(/\./g, '\\.')),
    numStreams: streams,
    progressIntervalMs: 0,
    offsetCommitIntervalMs: 5000,
  });
  const profiler = await startProfile();
  mm.connector.once('assigned', () => {
    t0 = process.hrtime.bigint();
    cpu0 = process.cpuUsage();
  });
  const poll = setInterval(() => {
    if (mm.stats.mirrored >= RECORDS) done();
  }, 5);
  await finished;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  cpuPerRecord.push([`mirror ${streams}`, cpuMicros(process.cpuUsage(cpu0))]);
  clearInterval(poll);
  await profiler?.(`mirror-${streams}-${group}`);
  await mm.stop();
  return RECORDS / s;
}

async function main(): Promise<void> {
  const zk = await ZkClient.connect({ connectString: ZK });
  const targetZk = await ZkClient.connect({ connectString: `${ZK}${chroot}` });
  try {
    const targetBroker = await startTarget(targetZk);
    console.log(`${RECORDS} records of 100 bytes; source topics of ${PARTITIONS} partitions on ${SOURCE}; target: a broker on ${targetBroker} under the chroot ${chroot} of the same ensemble`);
    const topics: string[] = [];
    const direct: number[] = [];
    const mirrored = new Map<number, number[]>(STREAMS.map((n) => [n, []]));
    for (let run = 1; run <= RUNS; run++) {
      const d = `direct-${run}`;
      await createTopic(targetZk, d, { partitions: PARTITIONS, replicationFactor: 1 });
      direct.push(await producerRun(targetBroker, d));
      const line = [`producer ${fmt(direct.at(-1)!)} records/s`];
      for (const n of STREAMS) {
        const topic = `mirror-bench-${process.pid}-${run}-${n}`;
        topics.push(topic);
        await createTopic(zk, topic, { partitions: PARTITIONS, replicationFactor: 1 });
        await createTopic(targetZk, topic, { partitions: PARTITIONS, replicationFactor: 1 });
        await writeSource(topic);
        const v = await mirrorRun(targetBroker, topic, n, topic);
        mirrored.get(n)!.push(v);
        line.push(`mirror ${n} stream${n > 1 ? 's' : ''} ${fmt(v)} records/s (${(v / direct.at(-1)!).toFixed(2)})`);
      }
      console.log(`run ${run}: ${line.join('; ')}`);
    }
    const base = median(direct);
    console.log(`median: producer ${fmt(base)} records/s`);
    for (const n of STREAMS) {
      const runs = mirrored.get(n)!;
      const v = median(runs);
      // the ratio of each run to its own producer figure is steadier on a busy machine
      const perRun = median(runs.map((x, i) => x / direct[i]!));
      console.log(
        `median: mirror with ${n} stream${n > 1 ? 's' : ''} ${fmt(v)} records/s, ratio to the producer ${(v / base).toFixed(2)} (median of the runs' ratios ${perRun.toFixed(2)})${n === 1 ? '; target >= 0.5' : ''}`,
      );
    }
    for (const t of topics) await zk.deleteRecursive(consumerGroupPath(t)).catch(() => undefined);
    const cpu = new Map<string, number[]>();
    for (const [what, us] of cpuPerRecord) cpu.set(what, [...(cpu.get(what) ?? []), us]);
    console.log(`CPU of this process per record (median, µs): ${[...cpu].map(([what, xs]) => `${what === 'producer' ? what : `${what} stream(s)`} ${median(xs).toFixed(2)}`).join(', ')}`);
    console.log(`(source topics ${topics[0]} .. ${topics.at(-1)} are left on the source cluster)`);
  } finally {
    if (target && target.exitCode === null) {
      const exited = new Promise((r) => target!.once('exit', r));
      target.kill('SIGTERM');
      await exited;
    }
    await targetZk.close();
    const root = await ZkClient.connect({ connectString: ZK });
    await root.deleteRecursive(chroot).catch(() => undefined);
    await root.close();
    await zk.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`mirror-bench: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
