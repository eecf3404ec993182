/**
 * The Producer against real broker processes: keyed records land in the partition murmur2
 * (and kafkajs) predicts; compression, headers and timestamps survive; acks 0/1/all; flush,
 * close and back-pressure; ZooKeeper bootstrap; a broker restart loses and reorders nothing;
 * an oversized record fails alone naming the limit; a missing topic fails naming the topic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleConsumer, type ConsumedRecord } from '../../src/client/simple-consumer.js';
import { Producer, type RecordMetadata } from '../../src/client/producer/index.js';
import { ErrorCode, KafkaError } from '../../src/common/errors.js';

const require = createRequire(import.meta.url);
const { Partitioners } = require('kafkajs') as { Partitioners: { DefaultPartitioner: () => (a: { topic: string; partitionMetadata: { partitionId: number; leader: number }[]; message: { key: string } }) => number } };

/** Reads every record of the given partitions from offset 0 until at least `total` have arrived and each partition's end is reached. */
async function readAll(bootstrap: string, topic: string, partitions: number[], total: number, timeoutMs = 30_000): Promise<ConsumedRecord[]> {
  const cluster = new Cluster({ brokers: bootstrap });
  try {
    const c = new SimpleConsumer(cluster, { maxWaitMs: 100 });
    for (const p of partitions) await c.seek(topic, p, 'earliest');
    const out: ConsumedRecord[] = [];
    const deadline = Date.now() + timeoutMs;
    const atEnd = async (): Promise<boolean> => {
      for (const p of partitions) if ((c.position(topic, p) ?? 0) < (await c.offsetFor(topic, p, -1))) return false;
      return true;
    };
    while ((out.length < total || !(await atEnd())) && Date.now() < deadline) out.push(...(await c.poll()));
    return out;
  } finally {
    cluster.close();
  }
}

describe('Producer', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('producer', { 'message.max.bytes': '10000', 'auto.create.topics.enable': 'false' }).start(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('puts records with the same key in one partition: the one murmur2 and kafkajs predict', async () => {
    await createTopic(cluster.zk, 'p-keys', { partitions: 6, replicationFactor: 1 });
    const producer = new Producer({ brokers: cluster.bootstrap, lingerMs: 5 });
    const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const mds = await producer.sendBatch(keys.flatMap((key) => [0, 1, 2].map((n) => ({ topic: 'p-keys', key, value: `${key}#${n}` }))));
    await producer.close();
    const kjs = Partitioners.DefaultPartitioner();
    const meta = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 1 }));
    const got = await readAll(cluster.bootstrap, 'p-keys', [0, 1, 2, 3, 4, 5], 120);
    expect(got).toHaveLength(120);
    const partitionsOfKey = new Map<string, Set<number>>();
    for (const r of got) {
      const k = r.key!.toString();
      (partitionsOfKey.get(k) ?? partitionsOfKey.set(k, new Set()).get(k)!).add(r.partition);
    }
    for (const key of keys) {
      expect([...partitionsOfKey.get(key)!]).toEqual([kjs({ topic: 'p-keys', partitionMetadata: meta, message: { key } })]);
    }
    // the acknowledgements carry the same partitions and consecutive offsets
    for (const md of mds) expect(md.offset).toBeGreaterThanOrEqual(0);
    expect(new Set(got.map((r) => r.partition)).size).toBeGreaterThan(3);
  });

  it('keeps headers, timestamps and values through gzip, snappy and lz4, with acks 0, 1 and all', async () => {
    await createTopic(cluster.zk, 'p-codecs', { partitions: 1, replicationFactor: 1 });
    let expected = 0;
    for (const [compression, acks] of [['none', 1], ['gzip', -1], ['snappy', 'all'], ['lz4', 1], ['snappy', 0]] as const) {
      const producer = new Producer({ brokers: cluster.bootstrap, compression, acks, lingerMs: 2 });
      const sends: Promise<RecordMetadata>[] = [];
      for (let i = 0; i < 50; i++) {
        sends.push(producer.send({ topic: 'p-codecs', key: i % 2 ? null : `k${i}`, value: `${compression}-${acks}-${i}`.repeat(5), headers: { codec: compression, n: Buffer.from([i]) }, timestamp: 1_600_000_000_000 + i }));
      }
      const mds = await Promise.all(sends);
      if (acks === 0) expect(mds.every((m) => m.offset === -1)).toBe(true);
      else expect(mds.map((m) => m.offset)).toEqual(Array.from({ length: 50 }, (_, i) => expected + i));
      expected += 50;
      await producer.close();
    }
    const got = await readAll(cluster.bootstrap, 'p-codecs', [0], 250);
    expect(got).toHaveLength(250);
    expect(got.map((r) => r.offset)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    for (const [j, r] of got.entries()) {
      const i = j % 50;
      const codec = r.headers.find((h) => h.key === 'codec')!.value!.toString();
      expect(r.value!.toString()).toMatch(new RegExp(`^${codec}-(1|-1|all|0)-${i}`));
      expect(r.timestamp).toBe(1_600_000_000_000 + i);
      expect(r.headers.find((h) => h.key === 'n')!.value).toEqual(Buffer.from([i]));
      expect(r.key === null ? null : r.key.toString()).toBe(i % 2 ? null : `k${i}`);
    }
  });

  it('keeps keyless records on a sticky partition (or deals them round-robin), honours explicit partitions and a partitioner function', async () => {
    await createTopic(cluster.zk, 'p-spread', { partitions: 4, replicationFactor: 1 });
    const producer = new Producer({ brokers: cluster.bootstrap, partitioner: ({ key, partitionCount }) => (key === 'last' ? partitionCount - 1 : -7) });
    await expect(producer.send({ topic: 'p-spread', key: 'other', value: 'x' })).rejects.toThrow(/partition -7 of topic "p-spread" does not exist \(it has 4\)/);
    expect((await producer.send({ topic: 'p-spread', key: 'last', value: 'x' })).partition).toBe(3);
    expect((await producer.send({ topic: 'p-spread', partition: 2, value: 'x' })).partition).toBe(2);
    await expect(producer.send({ topic: 'p-spread', partition: 9, value: 'x' })).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    await producer.close();
    // the default is sticky for keyless records (KIP-480): one partition while its batches wait
    // for the sender (up to one request's worth), then another
    const sticky = new Producer({ brokers: cluster.bootstrap, batchSize: 2048, lingerMs: 50 });
    const few = await Promise.all(Array.from({ length: 10 }, (_, i) => sticky.send({ topic: 'p-spread', value: `s${i}` })));
    expect(new Set(few.map((m) => m.partition)).size).toBe(1);
    // a burst of ~11 batches of 2 KiB, all waiting for the sender at once: one partition, one request
    const burst = await Promise.all(Array.from({ length: 400 }, (_, i) => sticky.send({ topic: 'p-spread', value: `m${i}-${'x'.repeat(50)}` })));
    expect(new Set(burst.map((m) => m.partition)).size).toBe(1);
    // the sender took that partition's batches: the next records go to another partition
    const next = await sticky.send({ topic: 'p-spread', value: 'after' });
    expect(next.partition).not.toBe(burst[0]!.partition);
    await sticky.close();
    // with a small max.request.size, a sticky partition takes one request's worth, then the next one does
    const small = new Producer({ brokers: cluster.bootstrap, batchSize: 2048, maxRequestSize: 6000, lingerMs: 50 });
    const spread = await Promise.all(Array.from({ length: 400 }, (_, i) => small.send({ topic: 'p-spread', value: `m${i}-${'x'.repeat(50)}` })));
    expect(new Set(spread.map((m) => m.partition)).size).toBeGreaterThan(1);
    for (let i = 1; i < spread.length; i++) {
      // each partition's share is contiguous in send order, at most ~3 batches of 2 KiB
      if (spread[i]!.partition === spread[i - 1]!.partition) expect(spread[i]!.offset).toBe(spread[i - 1]!.offset + 1);
    }
    await small.close();
    const rr = new Producer({ brokers: cluster.bootstrap, partitioner: 'round-robin' });
    const mds = await Promise.all(Array.from({ length: 40 }, (_, i) => rr.send({ topic: 'p-spread', value: `v${i}` })));
    const counts = [0, 0, 0, 0];
    for (const m of mds) counts[m.partition]!++;
    expect(counts).toEqual([10, 10, 10, 10]);
    await rr.close();
    await expect(rr.send({ topic: 'p-spread', value: 'late' })).rejects.toThrow(/closed/);
  });

  it('applies back-pressure with a small buffer, and flush() waits for every record', async () => {
    await createTopic(cluster.zk, 'p-pressure', { partitions: 2, replicationFactor: 1 });
    const producer = new Producer({ brokers: cluster.bootstrap, bufferMemory: 4 * 2048, batchSize: 2048, maxInFlight: 1 });
    let acked = 0;
    let refusedRoom = 0;
    const value = Buffer.alloc(200, 7);
    for (let i = 0; i < 3000; i++) {
      if (!producer.produce({ topic: 'p-pressure', key: `k${i % 10}`, value }, (err) => (err ? undefined : acked++))) {
        refusedRoom++;
        expect(producer.metrics().bufferUsedBytes).toBeLessThanOrEqual(4 * 2048);
        await producer.ready();
      }
    }
    await producer.flush();
    expect(acked).toBe(3000);
    expect(refusedRoom).toBeGreaterThan(10);
    expect(producer.metrics().bufferUsedBytes).toBe(0);
    await producer.close();
  });

  it('bootstraps from ZooKeeper (/brokers/ids)', async () => {
    await createTopic(cluster.zk, 'p-zk', { partitions: 2, replicationFactor: 1 });
    const producer = new Producer({ zookeeper: cluster.zkConnect });
    const md = await producer.send({ topic: 'p-zk', key: 'a', value: 'from zk' });
    expect(md.offset).toBe(0);
    await producer.close();
  });

  it('fails an oversized record alone with MESSAGE_TOO_LARGE naming the limit; its batch-mates are delivered', async () => {
    await createTopic(cluster.zk, 'p-big', { partitions: 1, replicationFactor: 1 });
    const producer = new Producer({ brokers: cluster.bootstrap, lingerMs: 50 });
    const small = Array.from({ length: 30 }, (_, i) => producer.send({ topic: 'p-big', value: `small-${i}-${'.'.repeat(400)}` }));
    const big = producer.send({ topic: 'p-big', value: Buffer.alloc(20_000, 1) });
    const after = Array.from({ length: 10 }, (_, i) => producer.send({ topic: 'p-big', value: `after-${i}` }));
    const err = await big.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).code).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect((err as Error).message).toMatch(/message\.max\.bytes/);
    const mds = await Promise.all([...small, ...after]);
    expect(mds.map((m) => m.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // the client's own limit, max.request.size, is checked before sending
    const tooBig = await producer.send({ topic: 'p-big', value: Buffer.alloc(2_000_000) }).catch((e: unknown) => e);
    expect((tooBig as Error).message).toMatch(/larger than max\.request\.size \(1048576\)/);
    await producer.close();
    const got = await readAll(cluster.bootstrap, 'p-big', [0], 40);
    expect(got.map((r) => r.value!.toString().split('-').slice(0, 2).join('-'))).toEqual([
      ...Array.from({ length: 30 }, (_, i) => `small-${i}`),
      ...Array.from({ length: 10 }, (_, i) => `after-${i}`),
    ]);
  });

  it('fails a send to a missing topic (auto-create off) naming the topic', async () => {
    const producer = new Producer({ brokers: cluster.bootstrap, maxBlockMs: 1500 });
    const err = await producer.send({ topic: 'p-no-such-topic', value: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).code).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((err as Error).message).toMatch(/topic "p-no-such-topic" does not exist/);
    await producer.close();
  });

  it('loses and reorders nothing with acks=1 across a broker restart', async () => {
    await createTopic(cluster.zk, 'p-restart', { partitions: 4, replicationFactor: 1 });
    const producer = new Producer({ brokers: cluster.bootstrap, acks: 1, lingerMs: 1, retryBackoffMs: 50, requestTimeoutMs: 5000 });
    const keys = Array.from({ length: 8 }, (_, i) => `key-${i}`);
    const nextSeq = new Map(keys.map((k) => [k, 0]));
    const failures: unknown[] = [];
    let sent = 0;
    let stop = false;
    const pump = (async () => {
      while (!stop) {
        for (let i = 0; i < 20; i++) {
          const key = keys[sent % keys.length]!;
          const seq = nextSeq.get(key)!;
          nextSeq.set(key, seq + 1);
          const room = producer.produce({ topic: 'p-restart', key, value: String(seq) }, (e) => e && failures.push(e));
          sent++;
          if (!room) await producer.ready();
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await until('some records', () => producer.metrics().recordsSent > 500);
    const port = cluster.brokers.get(1)!.port;
    await cluster.stopBroker(1);
    const probe = new Cluster({ brokers: `127.0.0.1:${cluster.brokers.get(2)!.port}` });
    await until('the controller to see broker 1 gone', async () => (await probe.refresh(['p-restart'])).topics[0]!.partitions.some((p) => p.leader < 0));
    probe.close();
    await cluster.startBroker(1, { listeners: `PLAINTEXT://127.0.0.1:${port}` });
    const sentAtRestart = sent;
    await until('records after the restart', () => producer.metrics().recordsSent > sentAtRestart + 500, 60_000);
    stop = true;
    await pump;
    await producer.flush();
    expect(failures).toEqual([]);
    await producer.close();
    const got = await readAll(cluster.bootstrap, 'p-restart', [0, 1, 2, 3], sent, 60_000);
    const byKey = new Map<string, number[]>();
    for (const r of got) {
      const k = r.key!.toString();
      (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(Number(r.value!.toString()));
    }
    for (const key of keys) {
      const seqs = byKey.get(key) ?? [];
      // at-least-once: a retried request may have been written before its connection died, so
      // drop repeats; what remains must be every sequence number, in order
      const firstSeen: number[] = [];
      const seen = new Set<number>();
      for (const s of seqs) {
        if (!seen.has(s)) firstSeen.push(s);
        seen.add(s);
      }
      expect(firstSeen, key).toEqual(Array.from({ length: nextSeq.get(key)! }, (_, i) => i));
    }
  }, 120_000);
});
