/**
 * kafka-node 2.6.1's ZooKeeper `Client` judges the 0.8 registries and the oldest wire versions:
 * it discovers the brokers from /brokers/ids, produces with Produce v0 (MessageSet v0),
 * consumes with Fetch v0 and commits offsets with OffsetCommit v0, which the broker stores in
 * /consumers/<G>/offsets/<T>/<P>.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { offsetPath } from '../../src/zk/paths.js';

const require = createRequire(import.meta.url);
const kafka = require('kafka-node');

function promisify<T>(fn: (cb: (err: unknown, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

describe('kafka-node (ZooKeeper Client) against the broker', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('kafka-node').start(2);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('discovers brokers from ZooKeeper, produces, consumes and commits offsets', async () => {
    const topic = 'kn-topic';
    await createTopic(cluster.zk, topic, { partitions: 2, replicationFactor: 1 });
    const client = new kafka.Client(cluster.zkConnect, 'kn-interop', { sessionTimeout: 10000 });
    try {
      const producer = new kafka.Producer(client, { requireAcks: 1 });
      await new Promise<void>((resolve, reject) => {
        producer.on('ready', resolve);
        producer.on('error', reject);
      });
      await until('kafka-node to see the topic', () =>
        promisify<unknown>((cb) => client.refreshMetadata([topic], cb)).then(() => client.topicMetadata[topic] && Object.keys(client.topicMetadata[topic]).length === 2),
      );
      const values = Array.from({ length: 30 }, (_, i) => `kn-${i}-${'q'.repeat(i)}`);
      const result = await promisify<Record<string, Record<string, number>>>((cb) =>
        producer.send([{ topic, partition: 0, messages: values.slice(0, 15) }, { topic, partition: 1, messages: values.slice(15), attributes: 1 /* gzip */ }], cb),
      );
      expect(Object.keys(result[topic]!).sort()).toEqual(['0', '1']);

      const received: { partition: number; offset: number; value: string }[] = [];
      const consumer = new kafka.Consumer(client, [{ topic, partition: 0, offset: 0 }, { topic, partition: 1, offset: 0 }], {
        groupId: 'kn-group',
        autoCommit: false,
        fromOffset: true,
        fetchMaxWaitMs: 100,
      });
      consumer.on('message', (m: { partition: number; offset: number; value: string }) => received.push(m));
      consumer.on('error', () => undefined);
      await until('kafka-node to consume every record', () => received.length >= values.length, 20_000);
      expect(received.map((m) => m.value).sort()).toEqual([...values].sort());
      expect(received.filter((m) => m.partition === 0).map((m) => m.offset)).toEqual(Array.from({ length: 15 }, (_, i) => i));

      await promisify((cb) => consumer.setOffset(topic, 0, 15) ?? cb(null, null));
      await promisify((cb) => consumer.commit(true, cb));
      const stored = await until('the committed offset in ZooKeeper', async () => (await cluster.zk.get(offsetPath('kn-group', topic, 0)))?.data.toString());
      expect(stored).toBe('15');
      await promisify((cb) => consumer.close(false, cb));
    } finally {
      await promisify((cb) => client.close(cb)).catch(() => undefined);
    }
  });
});
