/**
 * The consumer connector under faults and bad input, with brokers and consumers as processes:
 * a restart faster than the session timeout, a consumer that dies before committing, the two
 * delivery patterns, out-of-range offsets, registrations written by other clients, and bad
 * configuration refused before anything is registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { rangeAssign, consumerIdOfThread } from '../../src/client/connector/assignors.js';
import { ConsumerConnector } from '../../src/client/connector/consumer-connector.js';
import { consumerGroupPath, consumerIdPath, offsetPath, ownerPath } from '../../src/zk/paths.js';
import { ZkClient } from '../../src/zk/client.js';
import { expireSession } from '../helpers/zk.js';
import type { ConsumerRecord } from '../../src/client/connector/stream.js';
import {
  CONSUMER_MAIN,
  FAST_GROUP_PROPS,
  allOwners,
  checkDelivery,
  checkNoOverlap,
  memberIds,
  owners,
  produce,
  startConsumer,
  type ConsumerProcess,
  type Produced,
} from '../helpers/consumer-process.js';

function rangeOwners(ids: string[], topic: string, partitions: number): string[] {
  return rangeAssign({ consumers: new Map(ids.map((id) => [id, { [topic]: 1 }])), partitions: new Map([[topic, Array.from({ length: partitions }, (_, i) => i)]]) }).map((o) => o.threadId);
}

describe('consumer connector: faults and bad input', () => {
  let cluster: TestCluster;
  const consumers: ConsumerProcess[] = [];
  const start = (group: string, topics: string[], props: Record<string, string> = {}, args: string[] = []) => {
    const c = startConsumer({ zk: cluster.zkConnect, group, topics, props, args });
    consumers.push(c);
    return c;
  };
  beforeAll(async () => {
    cluster = await new TestCluster('connector-faults').start(1);
  });
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await cluster?.stop();
  });

  it('a consumer restarted faster than its session timeout rejoins without cleanup; no orphan owner remains', async () => {
    const topic = 'restart';
    const group = 'g-restart';
    await createTopic(cluster.zk, topic, { partitions: 6, replicationFactor: 1 });
    const produced: Produced[] = await produce(cluster.bootstrap, topic, 6, 30, 'r1');
    const group3 = [start(group, [topic]), start(group, [topic]), start(group, [topic])];
    await Promise.all(group3.map((c) => c.started));
    const stable = async (live: ConsumerProcess[]) => {
      const ids = await memberIds(cluster.zk, group);
      if (ids.join() !== live.map((c) => c.id).sort().join()) return false;
      const have = await owners(cluster.zk, group, topic, 6);
      return JSON.stringify(have) === JSON.stringify(rangeOwners(ids, topic, 6));
    };
    await until('3 consumers to settle', () => stable(group3), 30_000);

    // Kill one and start its replacement at once: the old registration and owner znodes linger.
    const old = group3[0]!;
    old.kill('SIGKILL');
    await old.exited;
    const replacement = start(group, [topic]);
    await replacement.started;
    const live = [replacement, group3[1]!, group3[2]!];
    // While the old session lives, every owner znode belongs to a registered member.
    let samples = 0;
    const strays: string[] = [];
    await until(
      'the replacement to take its share after the old session expired',
      async () => {
        const ids = new Set(await memberIds(cluster.zk, group));
        for (const [tp, owner] of await allOwners(cluster.zk, group)) if (!ids.has(consumerIdOfThread(owner))) strays.push(`${tp}=${owner}`);
        samples++;
        return stable(live);
      },
      30_000,
      100,
    );
    expect(samples).toBeGreaterThan(3);
    expect(strays).toEqual([]);
    // The final state: exactly the 6 owner znodes of the formula, none of the dead consumer.
    const final = await allOwners(cluster.zk, group);
    expect(final.size).toBe(6);
    for (const owner of final.values()) expect(consumerIdOfThread(owner)).not.toBe(old.id);

    produced.push(...(await produce(cluster.bootstrap, topic, 6, 30, 'r2')));
    await until('every record consumed', () => { try { return checkDelivery(produced, consumers.filter((c) => c.events.some((e) => e.ev === 'rec' && e.topic === topic))); } catch { return false; } }, 30_000, 200);
    checkNoOverlap(consumers);
    await Promise.all(live.map((c) => c.stop()));
  });

  it('a consumer that stops before committing is succeeded at the committed offset, with no gap', async () => {
    const topic = 'succession';
    const group = 'g-succession';
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1 });
    const produced = await produce(cluster.bootstrap, topic, 1, 100, 's');
    // Manual commits after every 10 records; it dies (SIGKILL) after 25: offset 20 is committed.
    const first = start(group, [topic], { 'auto.commit.enable': 'false' }, ['--commit-every', '10', '--die-after', '25']);
    await first.exited;
    expect(first.records().map((r) => r.o)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect((await cluster.zk.get(offsetPath(group, topic, 0)))?.data.toString()).toBe('20');

    const second = start(group, [topic]);
    await until('the successor to read to the end', () => second.records().length >= 80, 30_000, 100);
    expect(second.records()[0]!.o).toBe(20); // the committed offset: no gap, 5 records again
    checkDelivery(produced, [first, second]);
    await second.stop();
    // a clean close commits what was processed
    expect((await cluster.zk.get(offsetPath(group, topic, 0)))?.data.toString()).toBe('100');
  });

  it('publish-subscribe across groups, point-to-point within a group', async () => {
    const topic = 'patterns';
    await createTopic(cluster.zk, topic, { partitions: 4, replicationFactor: 1 });
    const x = [start('g-x', [topic]), start('g-x', [topic])];
    const y = [start('g-y', [topic])];
    await Promise.all([...x, ...y].map((c) => c.started));
    await until('both groups to own all partitions', async () => {
      const ox = await owners(cluster.zk, 'g-x', topic, 4);
      const oy = await owners(cluster.zk, 'g-y', topic, 4);
      return ox.every(Boolean) && oy.every(Boolean) && new Set(ox).size === 2;
    }, 30_000);
    const produced = await produce(cluster.bootstrap, topic, 4, 100, 'm');
    const all = (cs: ConsumerProcess[]) => () => { try { return checkDelivery(produced, cs); } catch { return false; } };
    await until('group x to receive every record', all(x), 30_000, 100);
    await until('group y to receive every record', all(y), 30_000, 100);
    // membership was stable: each record went to exactly one member of g-x
    expect(checkDelivery(produced, x).duplicates).toBe(0);
    expect(x[0]!.records().length).toBeGreaterThan(0);
    expect(x[1]!.records().length).toBeGreaterThan(0);
    expect(x[0]!.records().length + x[1]!.records().length).toBe(400);
    expect(y[0]!.records().length).toBe(400);
    await Promise.all([...x, ...y].map((c) => c.stop()));
  });

  it('an out-of-range committed offset is reset by auto.offset.reset and logged', async () => {
    const topic = 'oor';
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1 });
    await produce(cluster.bootstrap, topic, 1, 10, 'o');
    await cluster.zk.create(offsetPath('g-oor-s', topic, 0), '5000', { parents: true });
    await cluster.zk.create(offsetPath('g-oor-l', topic, 0), '5000', { parents: true });

    const smallest = start('g-oor-s', [topic], { 'auto.offset.reset': 'smallest' });
    await until('the smallest consumer to read from 0', () => smallest.records().length >= 10, 30_000, 100);
    expect(smallest.records().map((r) => r.o)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(smallest.events).toContainEqual({ ev: 'reset', topic, p: 0, from: 5000, to: 0 });
    expect(smallest.stderr()).toMatch(/offset 5000 is out of range; reset to 0 \(auto.offset.reset=smallest\)/);

    const largest = start('g-oor-l', [topic], { 'auto.offset.reset': 'largest' });
    await until('the largest consumer to reset', () => largest.events.some((e) => e.ev === 'reset'), 30_000, 100);
    expect(largest.events).toContainEqual({ ev: 'reset', topic, p: 0, from: 5000, to: 10 });
    await produce(cluster.bootstrap, topic, 1, 3, 'late');
    await until('the largest consumer to read only the new records', () => largest.records().length >= 3, 30_000, 100);
    expect(largest.records().map((r) => r.v)).toEqual(['late-0-0', 'late-0-1', 'late-0-2']);
    await Promise.all([smallest.stop(), largest.stop()]);
    // the reset offsets were committed
    expect((await cluster.zk.get(offsetPath('g-oor-l', topic, 0)))?.data.toString()).toBe('13');
  });

  it('reads other clients\' registrations leniently and never takes a partition someone else owns', async () => {
    const topic = 'lenient';
    const group = 'g-lenient';
    await createTopic(cluster.zk, topic, { partitions: 4, replicationFactor: 1 });
    const foreign = await ZkClient.connect({ connectString: cluster.zkConnect, sessionTimeoutMs: 4000 });
    try {
      // kafka-node's registration (white_list, topic names as keys), and garbage.
      await foreign.create(consumerIdPath(group, 'kafka-node-a'), `{"version":1,"subscription":{"${topic}":1},"pattern":"white_list","timestamp":"1"}`, { mode: 'ephemeral', parents: true });
      await foreign.create(consumerIdPath(group, 'broken'), 'this is not json', { mode: 'ephemeral' });
      // Someone else holds partition 0, which the formula gives the connector (its id,
      // "g-lenient_...", sorts before "kafka-node-a"): no assignment until it lets go.
      await foreign.create(ownerPath(group, topic, 0), 'kafka-node-a', { mode: 'ephemeral', parents: true });
      // listening before the streams are made: on a slow machine the attempts can all fail
      // before createMessageStreams returns, and a listener added after would wait forever
      const connector = await ConsumerConnector.create({ ...FAST_GROUP_PROPS, 'rebalance.max.retries': '2', 'zookeeper.connect': cluster.zkConnect, 'group.id': group });
      const gaveUp = new Promise((r) => connector.once('rebalanceFailed', r));
      try {
        const streams = await connector.createMessageStreams({ [topic]: 1 });
        const mine = rangeAssign({
          consumers: new Map<string, Record<string, number>>([[connector.consumerId, { [topic]: 1 }], ['kafka-node-a', { [topic]: 1 }], ['broken', {}]]),
          partitions: new Map([[topic, [0, 1, 2, 3]]]),
        }).filter((o) => o.threadId.startsWith(connector.consumerId));
        expect(mine.map((o) => o.partition)).toEqual([0, 1]);
        const failures: number[] = [];
        connector.on('assigned', (owned) => failures.push(owned.length));
        await gaveUp; // its attempts failed on partition 0 and released what they had claimed
        expect(connector.owned).toEqual([]);
        expect(failures).toEqual([]);
        expect((await cluster.zk.get(ownerPath(group, topic, 0)))?.data.toString()).toBe('kafka-node-a');
        // no orphan from the failed attempts: partition 1 is not held while 0 is not ours
        expect(await cluster.zk.get(ownerPath(group, topic, 1))).toBeUndefined();
        await foreign.delete(ownerPath(group, topic, 0));
        await until('the connector to own its share', () => connector.owned.length === 2, 15_000);
        expect(connector.owned.map((o) => o.partition)).toEqual([0, 1]);
        expect(streams.get(topic)).toHaveLength(1);
      } finally {
        await connector.close();
      }
      // its owner znodes and registration went with its session (another client's server may
      // apply the session's close a moment later: ZooKeeper orders, it does not synchronise, reads)
      await until('the owner znodes to be gone', async () => (await Promise.all([0, 1, 2, 3].map((p) => cluster.zk.get(ownerPath(group, topic, p))))).every((n) => n === undefined), 5000);
    } finally {
      await foreign.close();
    }
  });

  it('after a session expiry the consumer stops fetching, re-registers and rebalances', async () => {
    const topic = 'expiry';
    const group = 'g-expiry';
    await createTopic(cluster.zk, topic, { partitions: 4, replicationFactor: 1 });
    const produced = await produce(cluster.bootstrap, topic, 4, 20, 'e1');
    const props = { ...FAST_GROUP_PROPS, 'zookeeper.connect': cluster.zkConnect, 'group.id': group };
    const a = await ConsumerConnector.subscribe(props, [topic]);
    const b = await ConsumerConnector.subscribe(props, [topic]);
    const got: ConsumerRecord[] = [];
    const drain = (s: AsyncIterable<ConsumerRecord>) => void (async () => { for await (const r of s) got.push(r); })();
    drain(a.streams.get(topic)![0]!);
    drain(b.streams.get(topic)![0]!);
    try {
      const settled = async () => {
        const ids = await memberIds(cluster.zk, group);
        return ids.length === 2 && JSON.stringify(await owners(cluster.zk, group, topic, 4)) === JSON.stringify(rangeOwners(ids, topic, 4));
      };
      await until('both to own 2 partitions', settled, 30_000);
      const revoked: number[] = [];
      a.connector.on('revoked', (o) => revoked.push(o.length));
      const before = a.connector.rebalanceCount;
      const oldSession = a.connector.zk.sessionIdHex;
      await expireSession(a.connector.zk);
      await until('the expired consumer to re-register and rebalance', async () => a.connector.zk.sessionIdHex !== oldSession && a.connector.rebalanceCount > before && (await settled()), 30_000);
      expect(revoked[0]).toBe(2); // fetching stopped when the session (and its owner znodes) went
      const reg = await cluster.zk.get(consumerIdPath(group, a.connector.consumerId));
      expect(reg?.stat.ephemeralOwner).toBe(a.connector.zk.sessionId.readBigInt64BE(0));
      produced.push(...(await produce(cluster.bootstrap, topic, 4, 20, 'e2')));
      await until('every record consumed', () => produced.every((p) => got.some((r) => r.partition === p.partition && r.offset === p.offset && r.value?.toString() === p.value)), 30_000, 100);
    } finally {
      await Promise.all([a.connector.close(), b.connector.close()]);
    }
  });

  it('a broken configuration or subscription is a clear error before anything is registered', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [CONSUMER_MAIN, '--zookeeper', cluster.zkConnect, ...args], { encoding: 'utf8', timeout: 30_000 });
    const cases: [string[], RegExp][] = [
      [['--group', 'g-bad', '--topic', 't', '--property', 'auto.offset.reset=sometimes'], /auto.offset.reset must be smallest or largest, got "sometimes"/],
      [['--group', 'g-bad', '--topic', 't', '--property', 'partition.assignment.strategy=sticky'], /partition.assignment.strategy must be range or roundrobin/],
      [['--group', 'g-bad', '--topic', 't', '--property', 'rebalance.backoff.ms=soon'], /rebalance.backoff.ms must be an integer/],
      [['--group', 'g-bad', '--topic', 'bad topic!'], /bad subscription: invalid topic name "bad topic!"/],
      [['--group', 'g-bad'], /the subscription names no topic/],
      [['--topic', 't'], /group.id is required/],
      [['--group', 'bad/group', '--topic', 't'], /group.id "bad\/group" is not a valid group name/],
    ];
    for (const [args, msg] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
    return cluster.zk.exists(consumerGroupPath('g-bad')).then((s) => expect(s).toBeUndefined());
  });
});
