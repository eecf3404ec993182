/**
 * The log cleaner's benchmark, against a running broker (scripts/bench.sh --only cleaner):
 *   1. fills a topic with `--bytes` of keyed 100-byte records, `--distinct` of them distinct
 *      keys (10%), with cleanup.policy=delete (nothing cleans yet), 128 MiB segments;
 *   2. the producer alone: kafka-producer-perf-test on another topic (records/s);
 *   3. switches the filled topic to cleanup.policy=compact (kafka-configs' znodes: the broker's
 *      cleaner wakes at once) and runs the same producer test while the cleaner works;
 *   4. waits for the cleaner's checkpoint to pass the dirty part: cleaner MB/s = dirty bytes /
 *      time from the switch to the checkpoint.
 * Prints the cleaner's MB/s and the producer's throughput while cleaning as a ratio to alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Producer } from '../src/client/producer/index.js';
import { createTopic } from '../src/admin/topic-admin.js';
import { writeEntityConfig } from '../src/admin/config-admin.js';
import { ZkClient } from '../src/zk/client.js';
import { exitOnHelp, requirePositive, unknownOption, usageError } from './args.js';

const TOOL = 'cleaner-bench';
const USAGE = `usage: cleaner-bench.js --zookeeper H:P --broker H:P --log-dir DIR [--bytes 1073741824]
         [--distinct-ratio 0.1] [--perf-records 2000000]

Run as node dist/bench/cleaner-bench.js from the repository root (scripts/bench.sh --only cleaner).
The log cleaner's benchmark against a running broker: fills topic bench-compact with --bytes of
keyed 100-byte records (--distinct-ratio of them distinct keys, 128 MiB segments), times
kafka-producer-perf-test alone (--perf-records records), then switches the topic to
cleanup.policy=compact and runs the same producer test while the cleaner works.
  --zookeeper H:P         the cluster's ZooKeeper (required)
  --broker H:P            a broker of it (required)
  --log-dir DIR           that broker's log directory, where the cleaner's progress is read (required)
  --bytes N               bytes to fill the topic with (default 1073741824, 1 GiB)
  --distinct-ratio R      distinct keys per record (default 0.1)
  --perf-records N        records of each producer test (default 2000000)
Prints the cleaner's MB/s and the producer's throughput while cleaning as a ratio to alone.
`;
exitOnHelp(USAGE);

const options = {
  zookeeper: { type: 'string' },
  broker: { type: 'string' },
  'log-dir': { type: 'string' },
  bytes: { type: 'string', default: String(1024 ** 3) },
  'distinct-ratio': { type: 'string', default: '0.1' },
  'perf-records': { type: 'string', default: '2000000' },
} as const;
let parsed;
try {
  parsed = parseArgs({ options });
} catch (err) {
  const e = err as Error & { code?: string };
  const option = /'(-[^' ]+)/.exec(e.message)?.[1];
  usageError(TOOL, e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option ? unknownOption(option, Object.keys(options)).message : e.message, USAGE);
}
const { values: a } = parsed;
for (const name of ['zookeeper', 'broker', 'log-dir'] as const) if (!a[name]) usageError(TOOL, `--${name} is required`, USAGE);
requirePositive(TOOL, USAGE, { '--bytes': Number(a.bytes), '--distinct-ratio': Number(a['distinct-ratio']), '--perf-records': Number(a['perf-records']) });
const TOPIC = 'bench-compact';
const SEGMENT = 128 * 1024 * 1024;
const topicConfig = { 'segment.bytes': String(SEGMENT), 'retention.ms': '-1', 'min.cleanable.dirty.ratio': '0.01' };

function perf(topic: string): number {
  const r = spawnSync('bin/kafka-producer-perf-test.sh', ['--topic', topic, '--num-records', a['perf-records']!, '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${a.broker}`, 'acks=1'], { encoding: 'utf8' });
  const m = /([0-9.]+) records\/sec/.exec(r.stdout.trim().split('\n').pop() ?? '');
  if (!m) throw new Error(`perf test failed: ${r.stderr}`);
  return Number(m[1]);
}

function segments(): { name: string; size: number }[] {
  const dir = path.join(a['log-dir']!, `${TOPIC}-0`);
  return readdirSync(dir).filter((f) => f.endsWith('.log')).sort().map((f) => ({ name: f, size: statSync(path.join(dir, f)).size }));
}

function checkpoint(): number {
  const f = path.join(a['log-dir']!, 'cleaner-offset-checkpoint');
  if (!existsSync(f)) return -1;
  const line = readFileSync(f, 'utf8').split('\n').find((l) => l.startsWith(`${TOPIC} 0 `));
  return line ? Number(line.split(' ')[2]) : -1;
}

async function main(): Promise<void> {
  const zk = await ZkClient.connect({ connectString: a.zookeeper! });
  await createTopic(zk, TOPIC, { partitions: 1, replicationFactor: 1, config: { ...topicConfig, 'cleanup.policy': 'delete' } });
  for (const t of ['bench-cl-alone', 'bench-cl-during']) await createTopic(zk, t, { partitions: 1, replicationFactor: 1 });
  const target = Number(a.bytes);
  const perRecord = 100 + 8 + 12; // value, key, record overhead (batches of ~2000)
  const total = Math.ceil(target / perRecord);
  const distinct = Math.max(1, Math.floor(total * Number(a['distinct-ratio'])));
  const value = Buffer.alloc(100, 'v');
  const p = new Producer({ brokers: a.broker!, acks: 1, batchSize: 256 * 1024, lingerMs: 5 });
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    if (!p.produce({ topic: TOPIC, partition: 0, key: `k${i % distinct}`.padStart(8, '0'), value })) await p.ready();
  }
  await p.flush();
  await p.close();
  const stored = segments();
  const dirty = stored.slice(0, -1).reduce((n, s) => n + s.size, 0);
  const lastBase = Number(stored[stored.length - 1]!.name.slice(0, 20));
  console.log(`filled ${TOPIC}: ${total} records, ${distinct} distinct keys, ${(stored.reduce((n, s) => n + s.size, 0) / 1048576).toFixed(0)} MiB in ${stored.length} segments (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  spawnSync('sync');
  const alone = perf('bench-cl-alone');
  console.log(`producer alone: ${alone} records/s`);

  const start = Date.now();
  await writeEntityConfig(zk, 'topics', TOPIC, { ...topicConfig, 'cleanup.policy': 'compact' });
  const during = perf('bench-cl-during');
  const stillCleaning = checkpoint() < lastBase;
  console.log(`producer while the cleaner runs: ${during} records/s (ratio to alone ${(during / alone).toFixed(2)}${stillCleaning ? '' : '; the cleaner finished before the producer did'})`);
  while (checkpoint() < lastBase) {
    if (Date.now() - start > 600_000) throw new Error('the cleaner did not finish within 10 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const secs = (Date.now() - start) / 1000;
  const after = segments().slice(0, -1).reduce((n, s) => n + s.size, 0);
  console.log(`cleaner: ${(dirty / 1048576).toFixed(0)} MiB dirty -> ${(after / 1048576).toFixed(0)} MiB in ${secs.toFixed(1)} s = ${(dirty / 1048576 / secs).toFixed(0)} MiB/s`);
  await zk.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
