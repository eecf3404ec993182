/**
 * SimpleConsumer's pipelined fetches and its batch-level API against a real broker: poll()
 * delivers every record once and in order while the next Fetch is already out; a seek drops
 * the Fetch sent ahead; pollBatches() + recordStats() count exactly what poll() decodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleConsumer, recordStats, type ConsumedRecord } from '../../src/client/simple-consumer.js';
import { Producer } from '../../src/client/producer/index.js';

const N = 6000;

describe('SimpleConsumer pipelining and pollBatches', () => {
  let cluster: TestCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await new TestCluster('consumer-pipeline', { 'auto.create.topics.enable': 'false' }).start(1);
    await createTopic(cluster.zk, 'pipe', { partitions: 2, replicationFactor: 1 });
    for (const compression of ['none', 'snappy'] as const) {
      const producer = new Producer({ brokers: cluster.bootstrap, compression, batchSize: 4096, lingerMs: 2 });
      await producer.sendBatch(
        Array.from({ length: N / 2 }, (_, i) => ({
          topic: 'pipe',
          partition: i % 2,
          key: i % 3 === 0 ? null : `k${i}`,
          value: i % 7 === 0 ? null : 'v'.repeat(i % 150),
          headers: i % 5 === 0 ? { h: `x${i}` } : undefined,
        })),
      );
      await producer.close();
    }
    client = new Cluster({ brokers: cluster.bootstrap });
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  async function readAll(c: SimpleConsumer, want: number): Promise<ConsumedRecord[]> {
    const out: ConsumedRecord[] = [];
    const deadline = Date.now() + 30_000;
    while (out.length < want && Date.now() < deadline) out.push(...(await c.poll()));
    return out;
  }

  it('poll() delivers every record once, in offset order per partition, over many pipelined fetches', async () => {
    const c = new SimpleConsumer(client, { maxWaitMs: 50, maxBytes: 8192 });
    await c.seek('pipe', 0, 'earliest');
    await c.seek('pipe', 1, 'earliest');
    const got = await readAll(c, N);
    expect(got).toHaveLength(N);
    for (const p of [0, 1]) {
      const offsets = got.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual(Array.from({ length: N / 2 }, (_, i) => i));
    }
    expect(c.position('pipe', 0)).toBe(N / 2);
    // nothing more: an empty round (the Fetch sent ahead long-polls and finds nothing)
    expect(await c.poll()).toEqual([]);
  });

  it('a seek between polls drops the Fetch sent ahead', async () => {
    const c = new SimpleConsumer(client, { maxWaitMs: 50, maxBytes: 4096 });
    await c.seek('pipe', 0, 10);
    const first = await c.poll();
    expect(first[0]!.offset).toBe(10);
    const last = first[first.length - 1]!.offset;
    await c.seek('pipe', 0, 3);
    const again = await c.poll();
    expect(again[0]!.offset).toBe(3);
    await c.seek('pipe', 0, last + 500);
    expect((await c.poll())[0]!.offset).toBe(last + 500);
  });

  it('pollBatches() + recordStats() count the records and key/value bytes poll() decodes, from a mid-batch offset', async () => {
    const decoded = new SimpleConsumer(client, { maxWaitMs: 50, maxBytes: 16384 });
    const counted = new SimpleConsumer(client, { maxWaitMs: 50, maxBytes: 16384 });
    for (const c of [decoded, counted]) {
      await c.seek('pipe', 0, 7);
      await c.seek('pipe', 1, 'earliest');
    }
    const want = N - 7;
    const recs = await readAll(decoded, want);
    expect(recs).toHaveLength(want);
    const bytes = recs.reduce((s, r) => s + (r.key ? r.key.length : 0) + (r.value ? r.value.length : 0), 0);
    let n = 0;
    let b = 0;
    const deadline = Date.now() + 30_000;
    while (n < want && Date.now() < deadline) {
      for (const f of await counted.pollBatches()) {
        expect(f.records.length).toBeGreaterThan(0);
        expect(f.nextOffset).toBeGreaterThan(f.fetchOffset);
        const s = recordStats(f);
        n += s.records;
        b += s.keyBytes + s.valueBytes;
      }
    }
    expect(n).toBe(want);
    expect(b).toBe(bytes);
    expect(counted.position('pipe', 0)).toBe(N / 2);
  });

  it('recordStats stops at its limit', async () => {
    const c = new SimpleConsumer(client, { maxWaitMs: 50 });
    await c.seek('pipe', 1, 'earliest');
    const [f] = await c.pollBatches();
    expect(recordStats(f!, 5).records).toBe(5);
    expect(recordStats(f!).records).toBeGreaterThan(5);
  });
});
