/**
 * Every reader of a compacted topic, on real brokers: a log cleaned by the broker's cleaner keeps
 * offsets, so it has gaps between batches and batches whose records are no longer contiguous
 * (a batch keeps its base and last offset when its last records are gone). The topic
 * (cleanup.policy=compact, segment.bytes=4096, RF=2) gets 600 keyed records over 20 keys with a
 * skewed spread (rare keys' last values lie early, scattered through the batches), tombstones,
 * then 80 records with keys of their own that roll every history segment out of the active one.
 * Once the cleaner has run, the view is exactly: every key's last record unless it is a
 * tombstone (a last tombstone may still be there), and the whole tail.
 *
 * Readers, each from the beginning to the end: kcat with record batches (Fetch v4) and with the
 * 0.8.2 fallback (Fetch v0, message sets converted by the broker), kafka-node 2.6.1 with the
 * ZooKeeper Client (Fetch v0) and the KafkaClient (Fetch v2), the SimpleConsumer, the ZooKeeper
 * consumer connector, and kafka-console-consumer without and with a group. kafkajs is not here:
 * its consumer needs the broker-coordinated group APIs (JoinGroup, SyncGroup, Heartbeat), which
 * this 0.8 broker does not have. Then failover: the leader is SIGKILLed, the other replica
 * (which compacted on its own) serves a valid view; the killed broker comes back with its copy
 * of the partition deleted, copies the compacted log from offset 0, rejoins the ISR, and once
 * it leads again serves a valid view too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { prng } from '../helpers/prng.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { Producer } from '../../src/client/producer/index.js';
import { ConsumerConnector } from '../../src/client/connector/consumer-connector.js';
import { splitBatches, decodeRecordBatch } from '../../src/protocol/records/record-batch.js';

const require = createRequire(import.meta.url);
const kafka = require('kafka-node');
const hasKcat = spawnSync('kcat', ['-V']).status === 0;
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');
const OLD = ['-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.8.2'];

interface Rec {
  offset: number;
  key: string;
  value: string | null;
}

/** Runs a command; resolves with its stdout, rejects (with stderr) on a non-zero exit or the timeout. */
function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(cmd)} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** kcat from the beginning to the end: offset, key, value length (-1 for null), value. */
async function kcatRead(bootstrap: string, topic: string, extra: string[] = []): Promise<Rec[]> {
  const out = await run('kcat', ['-b', bootstrap, ...extra, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o\t%k\t%S\t%s\n']);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [o, k, len, ...v] = l.split('\t');
      return { offset: Number(o), key: k!, value: len === '-1' ? null : v.join('\t') };
    });
}

describe('readers of a compacted topic with offset gaps', () => {
  let cluster: TestCluster;
  const topic = `compacted-${Math.random().toString(16).slice(2, 8)}`;
  /** What was produced, by offset. */
  const produced = new Map<number, Rec>();
  /** Each key's last offset. */
  const last = new Map<string, number>();
  let end = 0; // the high watermark after producing

  /** (1) produced values at their offsets, (2) increasing, (3) every key's last non-null value present. */
  function checkValid(view: Rec[], label: string): void {
    for (const r of view) expect(produced.get(r.offset), `${label}: offset ${r.offset}`).toEqual(r);
    for (let i = 1; i < view.length; i++) expect(view[i]!.offset, `${label}: offsets increase at ${i}`).toBeGreaterThan(view[i - 1]!.offset);
    const offsets = new Set(view.map((r) => r.offset));
    for (const [key, o] of last) if (produced.get(o)!.value !== null) expect(offsets.has(o), `${label}: the last value of ${key} at ${o}`).toBe(true);
  }

  /** True when nothing superseded is left: only each key's last record (a last tombstone may stay). */
  function compacted(view: Rec[]): boolean {
    return view.every((r) => last.get(r.key) === r.offset);
  }

  /** Valid, compacted (4: gaps, fewer records than offsets), and read to the end. */
  function checkCompacted(view: Rec[], label: string): void {
    checkValid(view, label);
    expect(view.filter((r) => last.get(r.key) !== r.offset).map((r) => r.offset), `${label}: superseded records`).toEqual([]);
    expect(view.length, `${label}: gaps`).toBeLessThan(end / 2);
    expect(view[view.length - 1]?.offset, `${label}: read to the end`).toBe(end - 1);
  }

  beforeAll(async () => {
    cluster = await new TestCluster('compacted', {
      'log.cleaner.backoff.ms': '200',
      'zookeeper.session.timeout.ms': '3000',
      'replica.lag.time.max.ms': '3000',
      'replica.fetch.wait.max.ms': '100',
      'controlled.shutdown.retry.backoff.ms': '200',
      'leader.imbalance.check.interval.seconds': '3600',
    }).start(2);
    await createTopic(cluster.zk, topic, {
      partitions: 1,
      replicationFactor: 2,
      assignment: new Map([[0, [1, 2]]]),
      config: { 'cleanup.policy': 'compact', 'segment.bytes': '4096', 'min.cleanable.dirty.ratio': '0.01', 'delete.retention.ms': '0' },
    });
    const probe = new Cluster({ brokers: cluster.bootstrap });
    try {
      await until('both replicas in the ISR', async () => (await probe.refresh([topic])).topics[0]?.partitions[0]?.isr.length === 2);
    } finally {
      probe.close();
    }

    // 600 records over 20 keys, key i drawn with weight 1/(i+1)^2 (rare keys' last values lie
    // early), 1 in 12 a tombstone; then 80 records with keys of their own. One batch of 10
    // records per request, so the cleaner leaves batches with holes and batches that lost their
    // last records, some of them at the end of a segment.
    const rnd = prng(20240607);
    const weights = Array.from({ length: 20 }, (_, i) => 1 / (i + 1) ** 2);
    const total = weights.reduce((a, b) => a + b, 0);
    const pick = (): string => {
      let x = rnd() * total;
      for (let i = 0; i < weights.length; i++) if ((x -= weights[i]!) < 0) return `key-${String(i).padStart(2, '0')}`;
      return 'key-19';
    };
    const records: { key: string; value: string | null }[] = [];
    for (let i = 0; i < 600; i++) {
      const key = pick();
      records.push({ key, value: rnd() < 1 / 12 ? null : `${key} v${i} ${'x'.repeat(Math.floor(rnd() * 30))}` });
    }
    for (let i = 0; i < 80; i++) records.push({ key: `tail-${String(i).padStart(2, '0')}`, value: `tail ${i} ${'t'.repeat(20)}` });

    const producer = new Producer({ brokers: cluster.bootstrap, acks: 'all' });
    try {
      for (let i = 0; i < records.length; i += 10) {
        const acks = records.slice(i, i + 10).map(
          (r) => new Promise<number>((resolve, reject) => void producer.produce({ topic, partition: 0, key: r.key, value: r.value }, (err, md) => (err ? reject(err) : resolve(md!.offset)))),
        );
        await producer.flush();
        (await Promise.all(acks)).forEach((o, j) => {
          const r = records[i + j]!;
          produced.set(o, { offset: o, key: r.key, value: r.value });
          last.set(r.key, o);
          end = Math.max(end, o + 1);
        });
      }
    } finally {
      await producer.close();
    }
    expect(end).toBe(records.length);
    // some keys end deleted, some last values lie deep in the history
    expect([...last.values()].filter((o) => produced.get(o)!.value === null).length).toBeGreaterThan(0);

    await until(
      'the leader to compact the history',
      async () => {
        const view = await kcatRead(cluster.bootstrap, topic);
        return view.length > 0 && view[view.length - 1]!.offset === end - 1 && compacted(view);
      },
      60_000,
      300,
    );
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  /** The leader's log as the cleaner left it: each segment's batches, [base, last] and the offsets kept. */
  function segments(brokerId: number): { base: number; last: number; kept: number[] }[][] {
    const dir = path.join(cluster.brokers.get(brokerId)!.dir, 'logs', `${topic}-0`);
    return readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort()
      .map((f) => {
        const buf = readFileSync(path.join(dir, f));
        return splitBatches(buf).map(({ at, header }) => ({
          base: header.baseOffset,
          last: header.baseOffset + header.lastOffsetDelta,
          kept: decodeRecordBatch(buf, at).records.map((r) => r.offset),
        }));
      });
  }

  it('the cleaned log has gaps, batches with holes, and a segment ending in a batch that lost its last records', () => {
    const segs = segments(1);
    const batches = segs.flat();
    expect(batches.some((b) => b.kept.length > 0 && b.kept.length < b.last - b.base + 1), 'a batch with holes').toBe(true);
    expect(batches.some((b, i) => i > 0 && b.base > batches[i - 1]!.last + 1), 'a gap between batches').toBe(true);
    // a reader that moves on after the last record it got fetches from inside that batch, and
    // the broker reads one segment at a time: only that batch, with nothing at or after the offset
    expect(segs.some((s) => s.length > 0 && s[s.length - 1]!.kept.at(-1)! < s[s.length - 1]!.last), 'a segment ending in a batch without its last records').toBe(true);
  });

  it('a record set the log refuses (larger than segment.bytes) fails alone: the broker stays up', async () => {
    // an idempotent producer's failed append once left an unhandled rejection that ended the broker
    const producer = new Producer({ brokers: cluster.bootstrap, acks: 'all', retries: 0 });
    try {
      await expect(producer.send({ topic, partition: 0, key: 'key-big', value: 'b'.repeat(5000) })).rejects.toThrow();
    } finally {
      await producer.close();
    }
    const probe = new Cluster({ brokers: cluster.bootstrap });
    try {
      expect(await new SimpleConsumer(probe).offsetFor(topic, 0, -1)).toBe(end);
    } finally {
      probe.close();
    }
    for (const b of cluster.brokers.values()) expect(b.proc.exitCode, `broker ${b.id} exited:\n${b.output().slice(-2000)}`).toBeNull();
  });

  it('kcat (librdkafka, record batches) reads a valid compacted view', async () => {
    expect(hasKcat, 'kcat is missing: run scripts/setup.sh').toBe(true);
    checkCompacted(await kcatRead(cluster.bootstrap, topic), 'kcat');
  });

  it('kcat with the 0.8.2 fallback (Fetch v0, converted message sets) reads it to the end', async () => {
    expect(hasKcat, 'kcat is missing: run scripts/setup.sh').toBe(true);
    checkCompacted(await kcatRead(cluster.bootstrap, topic, OLD), 'kcat 0.8.2');
  });

  async function kafkaNodeRead(client: any): Promise<Rec[]> {
    const got: Rec[] = [];
    const consumer = new kafka.Consumer(client, [{ topic, partition: 0, offset: 0 }], { autoCommit: false, fromOffset: true, fetchMaxWaitMs: 100 });
    let error: unknown;
    consumer.on('message', (m: { offset: number; key: string | null; value: string | null }) => got.push({ offset: m.offset, key: m.key!, value: m.value }));
    consumer.on('error', (err: unknown) => (error = err));
    try {
      // a consumer stuck re-fetching one offset never gets the last record
      await until('kafka-node to reach the end', () => {
        if (error) throw error;
        return got.at(-1)?.offset === end - 1;
      }, 20_000, 50);
    } catch (err) {
      throw new Error(`${(err as Error).message}; last offset received: ${got.at(-1)?.offset ?? 'none'}`);
    } finally {
      await new Promise((resolve) => consumer.close(false, resolve));
    }
    return got;
  }

  it('kafka-node 2.6.1 with the ZooKeeper Client (Fetch v0, message sets v0) reads it to the end', async () => {
    const client = new kafka.Client(cluster.zkConnect, 'compacted-kn-zk', { sessionTimeout: 10000 });
    try {
      checkCompacted(await kafkaNodeRead(client), 'kafka-node Client');
    } finally {
      await new Promise((resolve) => client.close(resolve));
    }
  });

  it('kafka-node 2.6.1 with the KafkaClient (ApiVersions, Fetch v2, message sets v1) reads it to the end', async () => {
    const client = new kafka.KafkaClient({ kafkaHost: cluster.bootstrap, requestTimeout: 10000 });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve);
        client.once('error', reject);
      });
      checkCompacted(await kafkaNodeRead(client), 'kafka-node KafkaClient');
    } finally {
      await new Promise((resolve) => client.close(resolve));
    }
  });

  it('the SimpleConsumer records() iterator reads it to the end', async () => {
    const client = new Cluster({ brokers: cluster.bootstrap });
    const consumer = new SimpleConsumer(client, { maxWaitMs: 100 });
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 20_000);
    const got: Rec[] = [];
    try {
      await consumer.seek(topic, 0, 'earliest');
      for await (const r of consumer.records(ac.signal)) {
        got.push({ offset: r.offset, key: r.key!.toString(), value: r.value === null ? null : r.value.toString() });
        if (r.offset >= end - 1) break;
      }
    } finally {
      clearTimeout(timer);
      client.close();
    }
    checkCompacted(got, 'SimpleConsumer');
  });

  it('the ZooKeeper consumer connector (auto.offset.reset=smallest) reads it to the end', async () => {
    const { connector, streams } = await ConsumerConnector.subscribe(
      { 'group.id': `compacted-${Math.random().toString(16).slice(2, 8)}`, 'zookeeper.connect': cluster.zkConnect, 'auto.offset.reset': 'smallest', 'consumer.timeout.ms': '15000', 'rebalance.backoff.ms': '200' },
      [topic],
    );
    const got: Rec[] = [];
    try {
      for await (const r of streams.get(topic)![0]!) {
        got.push({ offset: r.offset, key: r.key!.toString(), value: r.value === null ? null : r.value.toString() });
        if (r.offset >= end - 1) break;
      }
    } finally {
      await connector.close();
    }
    checkCompacted(got, 'connector');
  });

  /** kafka-console-consumer lines `offset:key:value` (print.offset, print.key); a null value prints "null". */
  async function consoleRead(args: string[], count: number): Promise<Rec[]> {
    const out = await run(path.join(BIN, 'kafka-console-consumer.sh'), [
      '--topic', topic, '--from-beginning', '--max-messages', String(count), '--timeout-ms', '15000',
      '--property', 'print.offset=true', '--property', 'print.key=true', '--property', 'key.separator=:', ...args,
    ], 40_000);
    return out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [o, k, ...v] = l.split(':');
        const value = v.join(':');
        return { offset: Number(o), key: k!, value: value === 'null' && produced.get(Number(o))?.value === null ? null : value };
      });
  }

  it('kafka-console-consumer reads it to the end, straight from the brokers and in a ZooKeeper group', async () => {
    const count = (await kcatRead(cluster.bootstrap, topic)).length;
    checkCompacted(await consoleRead(['--bootstrap-server', cluster.bootstrap], count), 'console consumer');
    checkCompacted(await consoleRead(['--zookeeper', cluster.zkConnect], count), 'console consumer --zookeeper');
  });

  it('after a SIGKILL of the leader the other replica serves a valid view; a replica rebuilt from nothing copies the compacted log and rejoins the ISR', async () => {
    const describeTopic = () => run(path.join(BIN, 'kafka-topics.sh'), ['--zookeeper', cluster.zkConnect, '--describe', '--topic', topic]);
    const isrOf = async (): Promise<{ leader: number; isr: number[] }> => {
      const line = (await describeTopic()).split('\n').find((l) => l.includes('Partition: 0'))!;
      return { leader: Number(/Leader: (-?\d+)/.exec(line)![1]), isr: /Isr: ([\d,]*)/.exec(line)![1]!.split(',').filter(Boolean).map(Number).sort() };
    };
    await until('both replicas in the ISR', async () => JSON.stringify((await isrOf()).isr) === '[1,2]', 30_000, 200);
    expect((await isrOf()).leader).toBe(1);
    const port1 = cluster.brokers.get(1)!.port;
    await cluster.stopBroker(1, 'SIGKILL');
    await until('broker 2 to lead', async () => (await isrOf()).leader === 2, 30_000, 200);

    // the new leader compacted on its own: valid at once, compacted once its cleaner has run
    const first = await kcatRead(`127.0.0.1:${cluster.brokers.get(2)!.port}`, topic);
    checkValid(first, 'broker 2 after the failover');
    expect(first.at(-1)?.offset).toBe(end - 1);
    const view2 = await until('broker 2 compacted', async () => {
      const v = await kcatRead(`127.0.0.1:${cluster.brokers.get(2)!.port}`, topic);
      return compacted(v) && v;
    }, 30_000, 300);
    checkCompacted(view2, 'broker 2');

    // broker 1 comes back without its copy: it fetches the compacted log from offset 0
    rmSync(path.join(cluster.brokers.get(1)!.dir, 'logs', `${topic}-0`), { recursive: true, force: true });
    await cluster.startBroker(1, { listeners: `PLAINTEXT://127.0.0.1:${port1}` });
    await until('broker 1 back in the ISR', async () => JSON.stringify((await isrOf()).isr) === '[1,2]', 40_000, 200);
    // what broker 1 holds now: broker 2's records (its own cleaner may since have dropped a last tombstone)
    const copied = segments(1).flat().flatMap((b) => b.kept);
    const served = view2.map((r) => r.offset);
    expect(copied.filter((o) => produced.get(o)!.value !== null), 'broker 1 copied the values broker 2 serves').toEqual(served.filter((o) => produced.get(o)!.value !== null));
    expect(copied.every((o) => served.includes(o)), 'broker 1 holds nothing broker 2 does not serve').toBe(true);

    // and serves them once it leads
    await cluster.stopBroker(2, 'SIGTERM');
    await until('broker 1 to lead', async () => (await isrOf()).leader === 1, 30_000, 200);
    checkCompacted(await kcatRead(`127.0.0.1:${port1}`, topic), 'rebuilt broker 1');
  }, 120_000);
});
