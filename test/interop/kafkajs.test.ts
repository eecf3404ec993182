/**
 * kafkajs 2.2.4 judges ApiVersions negotiation, Metadata, CreateTopics, Produce record
 * batches with headers and gzip, and Fetch (through our own consumer; kafkajs' own group
 * consumer is judged in groups-kafkajs.test.ts and, sharing a group with ours, kafkajs-group.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { TestCluster } from '../helpers/broker-cluster.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';

const require = createRequire(import.meta.url);
const { Kafka, CompressionTypes, logLevel } = require('kafkajs');

describe('kafkajs against the broker', () => {
  let cluster: TestCluster;
  let kafka: any;
  beforeAll(async () => {
    cluster = await new TestCluster('kafkajs').start(2);
    kafka = new Kafka({ clientId: 'interop', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('creates and lists topics through the admin client', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
      expect(created).toBe(true);
      expect(await admin.listTopics()).toContain('kjs-admin');
      const again = await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 3 }] });
      expect(again).toBe(false); // already exists
      const meta = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] });
      expect(meta.topics[0].partitions).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
  });

  it('produces records with headers and gzip that come back byte for byte', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs-data', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 40 }, (_, i) => ({
      key: `k${i}`,
      value: Buffer.from(`value-${i}-\u00e9-${'z'.repeat(i * 3)}`),
      headers: { trace: `t${i}`, bin: Buffer.from([0, 1, 2, i]) },
      partition: i % 2,
    }));
    const sent = await producer.send({ topic: 'kjs-data', compression: CompressionTypes.GZIP, acks: 1, messages });
    await producer.disconnect();
    expect(sent.every((r: { errorCode: number }) => r.errorCode === 0)).toBe(true);

    const client = new Cluster({ brokers: cluster.bootstrap });
    const consumer = new SimpleConsumer(client, { maxWaitMs: 100 });
    await consumer.seek('kjs-data', 0, 'earliest');
    await consumer.seek('kjs-data', 1, 'earliest');
    const got: any[] = [];
    const deadline = Date.now() + 10_000;
    while (got.length < messages.length && Date.now() < deadline) got.push(...(await consumer.poll()));
    client.close();
    for (const m of messages) {
      const r = got.find((x) => x.key?.toString() === m.key);
      expect(r, m.key).toBeDefined();
      expect(r.partition).toBe(m.partition);
      expect(r.value.equals(m.value)).toBe(true);
      const headers = Object.fromEntries(r.headers.map((h: { key: string; value: Buffer }) => [h.key, h.value]));
      expect(headers.trace.toString()).toBe(m.headers.trace);
      expect(headers.bin.equals(m.headers.bin)).toBe(true);
    }
  });

  it('produces with the kafkajs idempotent producer: every record once, in order', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kjs-idem', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let b = 0; b < 10; b++) {
      await producer.send({ topic: 'kjs-idem', acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ value: String(b * 100 + i) })) });
    }
    await producer.disconnect();
    const client = new Cluster({ brokers: cluster.bootstrap });
    const consumer = new SimpleConsumer(client, { maxWaitMs: 100 });
    await consumer.seek('kjs-idem', 0, 'earliest');
    const got: string[] = [];
    const deadline = Date.now() + 10_000;
    while (got.length < 1000 && Date.now() < deadline) got.push(...(await consumer.poll()).map((r) => r.value!.toString()));
    client.close();
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
  });
});
