/**
 * Wildcard subscriptions of the ZooKeeper consumer connector (0.8's createMessageStreamsByFilter)
 * on real brokers and ZooKeeper: the white_list / black_list registration, records of every
 * matching topic on shared streams, a matching topic created later joining through a
 * rebalance (a topic that does not match causing none), internal topics left out, and members
 * with wildcard and static subscriptions sharing partitions in one group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { ConsumerConnector } from '../../src/client/connector/consumer-connector.js';
import { TopicFilter } from '../../src/client/connector/topic-filter.js';
import type { ConsumerRecord, KafkaStream } from '../../src/client/connector/stream.js';
import { consumerIdPath } from '../../src/zk/paths.js';
import { produce } from '../helpers/consumer-process.js';

const FAST = {
  'zookeeper.session.timeout.ms': '4000',
  'rebalance.backoff.ms': '300',
  'rebalance.max.retries': '10',
  'auto.offset.reset': 'smallest',
  'auto.commit.enable': 'false',
};

/** Collects what the streams deliver. */
function drain(streams: KafkaStream[]): ConsumerRecord[] {
  const got: ConsumerRecord[] = [];
  for (const s of streams) void (async () => {
    for await (const r of s) got.push(r);
  })();
  return got;
}

const owned = (c: ConsumerConnector) => c.owned.map((o) => `${o.topic}/${o.partition}`).sort();

describe('consumer connector: whitelist and blacklist', () => {
  let cluster: TestCluster;
  const open: ConsumerConnector[] = [];
  const connect = async (group: string, filter: TopicFilter, streams = 1) => {
    const r = await ConsumerConnector.subscribeByFilter({ ...FAST, 'group.id': group, 'zookeeper.connect': cluster.zkConnect }, filter, streams);
    open.push(r.connector);
    return r;
  };
  beforeAll(async () => {
    cluster = await new TestCluster('connector-wildcard').start(1);
    await createTopic(cluster.zk, 'wc.a', { partitions: 2, replicationFactor: 1 });
    await createTopic(cluster.zk, 'wc.b', { partitions: 1, replicationFactor: 1 });
    await createTopic(cluster.zk, 'other', { partitions: 1, replicationFactor: 1 });
    await createTopic(cluster.zk, '__consumer_offsets', { partitions: 1, replicationFactor: 1 });
    await produce(cluster.bootstrap, 'wc.a', 2, 5, 'a');
    await produce(cluster.bootstrap, 'wc.b', 1, 5, 'b');
    await produce(cluster.bootstrap, 'other', 1, 5, 'o');
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await cluster?.stop();
  });

  it('a whitelist registers white_list, reads every matching topic on its streams, and takes a matching topic created later', async () => {
    const { connector, streams } = await connect('wl', TopicFilter.whitelist('wc\\..*, __consumer_offsets'));
    expect(streams).toHaveLength(1);
    // through the test's own session, which may be on a server a moment behind the connector's
    const reg = JSON.parse((await until('the registration', async () => (await cluster.zk.get(consumerIdPath('wl', connector.consumerId)))?.data))!.toString());
    expect(reg).toMatchObject({ version: 1, subscription: { 'wc\\..*|__consumer_offsets': 1 }, pattern: 'white_list' });
    const got = drain(streams);
    await until('15 records of wc.a and wc.b', () => got.length === 15, 30_000);
    expect(owned(connector)).toEqual(['wc.a/0', 'wc.a/1', 'wc.b/0']); // no internal topic, no "other"
    expect(new Set(got.map((r) => r.topic))).toEqual(new Set(['wc.a', 'wc.b']));

    // a topic that does not match changes nothing; one that matches joins with its records
    const before = connector.rebalanceCount;
    await createTopic(cluster.zk, 'not-wc', { partitions: 1, replicationFactor: 1 });
    await createTopic(cluster.zk, 'wc.c', { partitions: 3, replicationFactor: 1 });
    await produce(cluster.bootstrap, 'wc.c', 3, 4, 'c');
    await until('the records of wc.c', () => got.filter((r) => r.topic === 'wc.c').length === 12, 30_000);
    expect(owned(connector)).toEqual(['wc.a/0', 'wc.a/1', 'wc.b/0', 'wc.c/0', 'wc.c/1', 'wc.c/2']);
    expect(connector.rebalanceCount).toBe(before + 1);
    // nothing was committed (auto-commit off): after the rebalance wc.a and wc.b are read again
    expect(new Set(got.map((r) => `${r.topic}/${r.partition}@${r.offset}`)).size).toBe(27);
  });

  it('a blacklist takes every topic it does not match, internal ones aside', async () => {
    const { connector, streams } = await connect('bl', TopicFilter.blacklist('wc\\.a|other|not-.*'));
    // through the test's own session, which may be on a server a moment behind the connector's
    const reg = JSON.parse((await until('the registration', async () => (await cluster.zk.get(consumerIdPath('bl', connector.consumerId)))?.data))!.toString());
    expect(reg).toMatchObject({ subscription: { 'wc\\.a|other|not-.*': 1 }, pattern: 'black_list' });
    const got = drain(streams);
    await until('wc.b and wc.c', () => owned(connector).length === 4 && got.length === 17, 30_000);
    expect(owned(connector)).toEqual(['wc.b/0', 'wc.c/0', 'wc.c/1', 'wc.c/2']);
  });

  it('wildcard members of one group share the partitions, every record read once (thread n reads into stream n)', async () => {
    const filter = TopicFilter.whitelist('wc\\.(a|b|c)');
    const one = await connect('shared', filter, 2);
    const two = await connect('shared', filter, 2);
    const all = async () => [...owned(one.connector), ...owned(two.connector)].sort();
    await until('the two members to own all 6 partitions once', async () => {
      const o = await all();
      return JSON.stringify(o) === JSON.stringify(['wc.a/0', 'wc.a/1', 'wc.b/0', 'wc.c/0', 'wc.c/1', 'wc.c/2']) && owned(one.connector).length > 0 && owned(two.connector).length > 0;
    }, 30_000);
    for (const c of [one.connector, two.connector]) {
      for (const o of c.owned) expect(o.threadId).toMatch(new RegExp(`^${c.consumerId}-[01]$`));
    }
    const got = drain([...one.streams, ...two.streams]);
    await until('every record once', () => got.length === 27, 30_000);
    expect(new Set(got.map((r) => `${r.topic}/${r.partition}@${r.offset}`)).size).toBe(27);

  });

  it('a wildcard member and a static member of one group split the topic they share (range)', async () => {
    const wild = await connect('mixed', TopicFilter.whitelist('wc\.(a|b|c)'));
    await until('the wildcard member to own all 6 partitions', () => owned(wild.connector).length === 6, 30_000);
    const { connector: fixed } = await ConsumerConnector.subscribe({ ...FAST, 'group.id': 'mixed', 'zookeeper.connect': cluster.zkConnect }, ['wc.c']);
    open.push(fixed);
    // wc.c's threads, sorted: the wildcard member's (started first) takes 2, the static one 1
    await until('wc.c split 2 + 1, wc.a and wc.b kept', () => {
      const w = owned(wild.connector);
      return JSON.stringify(w) === JSON.stringify(['wc.a/0', 'wc.a/1', 'wc.b/0', 'wc.c/0', 'wc.c/1']) && JSON.stringify(owned(fixed)) === JSON.stringify(['wc.c/2']);
    }, 30_000);
  });

  it('refuses a stream count outside 1..1000 before registering', async () => {
    await expect(ConsumerConnector.subscribeByFilter({ ...FAST, 'group.id': 'bad', 'zookeeper.connect': cluster.zkConnect }, TopicFilter.whitelist('x'), 0)).rejects.toThrow(
      'the number of streams must be from 1 to 1000',
    );
    expect(await cluster.zk.exists('/consumers/bad')).toBeUndefined();
  });
});
