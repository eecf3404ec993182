/**
 * The connector's offsets.storage=kafka and dual.commit.enabled (0.8.2), with a real ZooKeeper
 * and real brokers: offsets committed to the group's offset manager (__consumer_offsets) and
 * resumed from there; a group migrated from ZooKeeper to Kafka through dual commit resumes
 * exactly at its offsets at every step (no record twice, none skipped), restarted one member
 * after another or with members on both storages at once; the console consumer's ZooKeeper
 * path takes the property; bad configurations are refused before anything is registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { FAST_GROUP_PROPS, produce, type Produced } from '../helpers/consumer-process.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleProducer } from '../../src/client/simple-producer.js';
import { CoordinatorClient } from '../../src/client/group/coordinator-client.js';
import { ConsumerConnector } from '../../src/client/connector/consumer-connector.js';
import { consumerConfig } from '../../src/client/connector/config.js';
import type { ConsumerRecord } from '../../src/client/connector/stream.js';
import { ConfigError } from '../../src/common/errors.js';
import { consumerGroupPath, consumerOffsetsRootPath, offsetPath } from '../../src/zk/paths.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin');

/** Takes exactly `n` records from a connector's one stream, then marks the last processed. */
async function take(connector: ConsumerConnector, stream: AsyncIterable<ConsumerRecord>, n: number): Promise<ConsumerRecord[]> {
  const got: ConsumerRecord[] = [];
  if (n === 0) return got;
  for await (const r of stream) {
    got.push(r);
    if (got.length >= n) break;
  }
  connector.markProcessed(got[got.length - 1]!);
  return got;
}

/** "<partition>:<offset>=<value>", sorted: two deliveries compare as sets with their offsets. */
const keys = (rs: readonly (ConsumerRecord | Produced)[]): string[] =>
  rs.map((r) => `${r.partition}:${r.offset}=${typeof r.value === 'string' ? r.value : r.value?.toString()}`).sort();

describe('consumer connector: offsets.storage=kafka and dual.commit.enabled', () => {
  let cluster: TestCluster;
  let client: Cluster;
  let cc: CoordinatorClient;
  beforeAll(async () => {
    cluster = await new TestCluster('connector-offsets', { 'offsets.topic.num.partitions': '4' }).start(2);
    client = new Cluster({ brokers: cluster.bootstrap, clientId: 'offsets-storage-test' });
    cc = new CoordinatorClient(client);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  const props = (group: string, extra: Record<string, string>): Record<string, string> => ({
    ...FAST_GROUP_PROPS,
    'auto.commit.interval.ms': '600000', // commits come from commitOffsets() and close() only
    'consumer.timeout.ms': '20000', // a skipped record fails the test instead of hanging it
    'zookeeper.connect': cluster.zkConnect,
    'group.id': group,
    ...extra,
  });
  const kafkaOffsets = async (group: string, topic: string, partitions: number): Promise<number[]> =>
    (await cc.fetchOffsets(group, Array.from({ length: partitions }, (_, partition) => ({ topic, partition })))).map((o) => o.offset);
  /**
   * Brings the test's ZooKeeper server up to date: the shared ensemble has 3 servers, and a
   * session on a follower may not have seen the connector's last commit yet; a write of its own
   * is answered only once the server applied everything before it.
   */
  const catchUp = async (): Promise<void> => {
    await cluster.zk.delete(await cluster.zk.create('/catch-up-', '', { mode: 'ephemeral_sequential' }));
  };
  const zkOffsets = async (group: string, topic: string, partitions: number): Promise<(number | undefined)[]> => {
    await catchUp();
    return Promise.all(
      Array.from({ length: partitions }, async (_, p) => {
        const n = await cluster.zk.get(offsetPath(group, topic, p));
        return n ? Number(n.data.toString()) : undefined;
      }),
    );
  };
  const offsetsInZk = async (group: string): Promise<boolean> => {
    await catchUp();
    return (await cluster.zk.exists(consumerOffsetsRootPath(group))) !== undefined;
  };
  /** Subscribes, takes exactly `expected` (compared with their offsets), commits, closes. */
  const consumeRun = async (group: string, topic: string, extra: Record<string, string>, expected: Produced[]): Promise<string> => {
    const { connector, streams } = await ConsumerConnector.subscribe(props(group, extra), [topic]);
    try {
      const got = await take(connector, streams.get(topic)![0]!, expected.length);
      expect(keys(got)).toEqual(keys(expected));
      await connector.commitOffsets();
      return connector.offsetsStorage;
    } finally {
      await connector.close();
    }
  };

  it('offsets.storage=kafka: commits land in __consumer_offsets, not in ZooKeeper; a restarted connector resumes there', async () => {
    const topic = 'os-kafka';
    const group = 'g-os-kafka';
    await createTopic(cluster.zk, topic, { partitions: 3, replicationFactor: 2 });
    const first = await produce(cluster.bootstrap, topic, 3, 20, 'a');
    const kafkaOnly = { 'offsets.storage': 'kafka', 'dual.commit.enabled': 'false' };

    expect(await consumeRun(group, topic, kafkaOnly, first)).toBe('kafka');
    expect(await kafkaOffsets(group, topic, 3)).toEqual([20, 20, 20]);
    expect(await offsetsInZk(group)).toBe(false);
    // the registration and owner znodes were ZooKeeper's as ever (gone with the session)
    expect(await cluster.zk.exists(consumerGroupPath(group))).toBeDefined();

    // restarted (auto.offset.reset=smallest: a lost offset would deliver the first 60 again)
    const second = await produce(cluster.bootstrap, topic, 3, 7, 'b');
    await consumeRun(group, topic, kafkaOnly, second);
    expect(await kafkaOffsets(group, topic, 3)).toEqual([27, 27, 27]);
    expect(await offsetsInZk(group)).toBe(false);

    // offsets.storage=kafka alone means dual commit (0.8.2's default): ZooKeeper is written too
    const third = await produce(cluster.bootstrap, topic, 3, 3, 'c');
    expect(await consumeRun(group, topic, { 'offsets.storage': 'kafka' }, third)).toBe('kafka+zookeeper');
    expect(await kafkaOffsets(group, topic, 3)).toEqual([30, 30, 30]);
    expect(await zkOffsets(group, topic, 3)).toEqual([30, 30, 30]);
  });

  it('a group migrated from offsets.storage=zookeeper to kafka with dual.commit.enabled resumes exactly at its offsets', async () => {
    const topic = 'os-migrate';
    const group = 'g-os-migrate';
    await createTopic(cluster.zk, topic, { partitions: 4, replicationFactor: 2 });
    /** `n` records to each of the partitions `ps` only. */
    const toPartitions = async (ps: number[], n: number, tag: string): Promise<Produced[]> => {
      const c = new Cluster({ brokers: cluster.bootstrap, clientId: 'test-producer' });
      try {
        const producer = new SimpleProducer(c, { acks: 1 });
        const out = await Promise.all(
          ps.map(async (p) => {
            const values = Array.from({ length: n }, (_, i) => `${tag}-${p}-${i}`);
            const [res] = await producer.send(topic, values.map((value) => ({ partition: p, value })));
            return values.map((value, i) => ({ topic, partition: p, offset: res!.baseOffset + i, value }));
          }),
        );
        return out.flat();
      } finally {
        c.close();
      }
    };

    // 1. ZooKeeper storage, as before 0.8.2
    const a = await produce(cluster.bootstrap, topic, 4, 10, 'a');
    expect(await consumeRun(group, topic, {}, a)).toBe('zookeeper');
    expect(await zkOffsets(group, topic, 4)).toEqual([10, 10, 10, 10]);
    expect(await kafkaOffsets(group, topic, 4)).toEqual([-1, -1, -1, -1]);

    // 2. offsets.storage=kafka + dual.commit.enabled=true: resumes at the ZooKeeper offsets
    //    (Kafka has none), commits to both; partition 3 gets no record, and Kafka gets its offset all the same
    const b = await toPartitions([0, 1, 2], 6, 'b');
    expect(await consumeRun(group, topic, { 'offsets.storage': 'kafka', 'dual.commit.enabled': 'true' }, b)).toBe('kafka+zookeeper');
    expect(await kafkaOffsets(group, topic, 4)).toEqual([16, 16, 16, 10]);
    expect(await zkOffsets(group, topic, 4)).toEqual([16, 16, 16, 10]);

    // 3. dual commit off: resumes from Kafka exactly; ZooKeeper no longer advances
    const c = await produce(cluster.bootstrap, topic, 4, 5, 'c');
    expect(await consumeRun(group, topic, { 'offsets.storage': 'kafka', 'dual.commit.enabled': 'false' }, c)).toBe('kafka');
    expect(await kafkaOffsets(group, topic, 4)).toEqual([21, 21, 21, 15]);
    expect(await zkOffsets(group, topic, 4)).toEqual([16, 16, 16, 10]);

    // 4. dual commit on again, ZooKeeper now behind: the larger (Kafka's) wins, nothing is delivered twice,
    //    and ZooKeeper catches up
    const d = await produce(cluster.bootstrap, topic, 4, 2, 'd');
    await consumeRun(group, topic, { 'offsets.storage': 'kafka' }, d);
    expect(await kafkaOffsets(group, topic, 4)).toEqual([23, 23, 23, 17]);
    expect(await zkOffsets(group, topic, 4)).toEqual([23, 23, 23, 17]);
  });

  it('a rolling migration: members on zookeeper and on kafka+dual storage hand partitions to each other with no record twice and none skipped', async () => {
    const topic = 'os-rolling';
    const group = 'g-os-rolling';
    await createTopic(cluster.zk, topic, { partitions: 4, replicationFactor: 2 });
    const members: { name: string; connector: ConsumerConnector; got: ConsumerRecord[] }[] = [];
    const join = async (name: string, extra: Record<string, string>) => {
      const { connector, streams } = await ConsumerConnector.subscribe(props(group, { ...extra, 'consumer.timeout.ms': '-1' }), [topic]);
      const m = { name, connector, got: [] as ConsumerRecord[] };
      members.push(m);
      // the loop asks for the next record at once: everything taken counts as processed
      void (async () => {
        for await (const r of streams.get(topic)![0]!) m.got.push(r);
      })();
      return m;
    };
    const produced: Produced[] = [];
    const batch = async (tag: string) => {
      produced.push(...(await produce(cluster.bootstrap, topic, 4, 5, tag)));
      await until(`batch ${tag} consumed`, () => members.reduce((n, m) => n + m.got.length, 0) >= produced.length, 30_000);
    };
    try {
      const a = await join('a', {}); // not migrated yet: ZooKeeper only
      const b = await join('b', { 'offsets.storage': 'kafka' }); // migrated: Kafka, and ZooKeeper too (dual commit by default)
      await until('a and b to own 2 each', () => a.connector.owned.length === 2 && b.connector.owned.length === 2, 30_000);
      await batch('1');
      await b.connector.close(); // a takes b's partitions at what b dual-committed to ZooKeeper
      await until('a to own all 4', () => a.connector.owned.length === 4, 30_000);
      await batch('2');
      // A joining member reads its partitions' offsets before claiming them, as 0.8 did, and so
      // possibly before their owner's rebalance commit: commit first (a leaving member commits
      // at close, before its registration goes, so there is no such race there).
      await a.connector.commitOffsets();
      const b2 = await join('b2', { 'offsets.storage': 'kafka' });
      await until('a and b2 to own 2 each', () => a.connector.owned.length === 2 && b2.connector.owned.length === 2, 30_000);
      await batch('3');
      await a.connector.close(); // b2 takes a's partitions at a's ZooKeeper offsets (Kafka has older ones, or none)
      await until('b2 to own all 4', () => b2.connector.owned.length === 4, 30_000);
      await batch('4');
      await b2.connector.commitOffsets();
      const all = members.flatMap((m) => m.got);
      expect(all.length).toBe(produced.length);
      expect(keys(all)).toEqual(keys(produced));
      expect(await kafkaOffsets(group, topic, 4), 'Kafka').toEqual([20, 20, 20, 20]);
      expect(await zkOffsets(group, topic, 4), 'ZooKeeper').toEqual([20, 20, 20, 20]);
    } finally {
      await Promise.all(members.map((m) => m.connector.close()));
    }
  });

  it("the console consumer's ZooKeeper path takes --consumer-property offsets.storage=kafka", async () => {
    const topic = 'os-console';
    const group = 'g-os-console';
    await createTopic(cluster.zk, topic, { partitions: 2, replicationFactor: 1 });
    await produce(cluster.bootstrap, topic, 2, 5, 'v');
    const run = (args: string[]): Promise<{ code: number | null; out: string; err: string }> =>
      new Promise((resolve, reject) => {
        const p = spawn(path.join(BIN, 'kafka-console-consumer.sh'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
        p.on('error', reject);
        p.on('close', (code) => {
          clearTimeout(t);
          resolve({ code, out, err });
        });
      });
    const base = ['--zookeeper', cluster.zkConnect, '--group', group, '--topic', topic, '--consumer-property', 'offsets.storage=kafka', '--consumer-property', 'dual.commit.enabled=false'];
    const r1 = await run([...base, '--from-beginning', '--max-messages', '10']);
    expect(r1.code, r1.err).toBe(0);
    expect(r1.out.trim().split('\n').sort()).toEqual(['v-0-0', 'v-0-1', 'v-0-2', 'v-0-3', 'v-0-4', 'v-1-0', 'v-1-1', 'v-1-2', 'v-1-3', 'v-1-4']);
    expect(await kafkaOffsets(group, topic, 2)).toEqual([5, 5]);
    expect(await offsetsInZk(group)).toBe(false);
    await produce(cluster.bootstrap, topic, 2, 1, 'w');
    const r2 = await run([...base, '--from-beginning', '--max-messages', '2']);
    expect(r2.code, r2.err).toBe(0);
    expect(r2.out.trim().split('\n').sort()).toEqual(['w-0-0', 'w-1-0']);
    expect(await kafkaOffsets(group, topic, 2)).toEqual([6, 6]);
  });

  it('refuses a bad offsets.storage or dual.commit.enabled before anything is registered', async () => {
    const base = { 'group.id': 'g', 'zookeeper.connect': '127.0.0.1:2181' };
    expect(consumerConfig(base)).toMatchObject({ offsetsStorage: 'zookeeper', dualCommitEnabled: false, offsetsChannelBackoffMs: 1000, offsetsChannelSocketTimeoutMs: 10000, offsetsCommitMaxRetries: 5 });
    expect(consumerConfig({ ...base, 'offsets.storage': 'kafka' })).toMatchObject({ offsetsStorage: 'kafka', dualCommitEnabled: true });
    expect(consumerConfig({ ...base, 'offsets.storage': 'Kafka', 'dual.commit.enabled': 'false' })).toMatchObject({ offsetsStorage: 'kafka', dualCommitEnabled: false });
    expect(consumerConfig({ ...base, 'dual.commit.enabled': 'false' })).toMatchObject({ offsetsStorage: 'zookeeper', dualCommitEnabled: false });
    const bad: [Record<string, string>, RegExp][] = [
      [{ 'offsets.storage': 'cassandra' }, /offsets.storage must be zookeeper or kafka, got "cassandra"/],
      [{ 'dual.commit.enabled': 'true' }, /dual.commit.enabled=true needs offsets.storage=kafka/],
      [{ 'offsets.storage': 'zookeeper', 'dual.commit.enabled': 'true' }, /dual.commit.enabled=true needs offsets.storage=kafka/],
      [{ 'offsets.storage': 'kafka', 'dual.commit.enabled': 'yes' }, /dual.commit.enabled must be true or false, got "yes"/],
      [{ 'offsets.channel.backoff.ms': '-1' }, /offsets.channel.backoff.ms must be an integer >= 0/],
      [{ 'offsets.channel.socket.timeout.ms': '0' }, /offsets.channel.socket.timeout.ms must be an integer >= 1/],
      [{ 'offsets.commit.max.retries': 'many' }, /offsets.commit.max.retries must be an integer >= 0/],
    ];
    for (const [p, msg] of bad) {
      expect(() => consumerConfig({ ...base, ...p }), JSON.stringify(p)).toThrow(msg);
      expect(() => consumerConfig({ ...base, ...p })).toThrow(ConfigError);
    }
    // through the connector: nothing registered in ZooKeeper
    await expect(ConsumerConnector.subscribe(props('g-os-bad', { 'offsets.storage': 'hdfs' }), ['t'])).rejects.toThrow(/offsets.storage must be zookeeper or kafka/);
    await expect(ConsumerConnector.subscribe(props('g-os-bad', { 'dual.commit.enabled': 'true' }), ['t'])).rejects.toThrow(ConfigError);
    expect(await cluster.zk.exists(consumerGroupPath('g-os-bad'))).toBeUndefined();
  });
});
