/**
 * GroupConsumer members of one broker-coordinated group on real brokers: the partitions are
 * shared (each owned by exactly one member once stable), every record is consumed; a member
 * that closes hands its partitions over at its commit (nothing lost, nothing twice); a member
 * that dies without LeaveGroup is replaced after its session timeout, its successor going on
 * from the last commit (duplicates only from what it had not committed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { produce, type Produced } from '../helpers/consumer-process.js';
import { startMember, type Consumed, type Member } from '../helpers/group-member.js';
import { addPartitions, createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';
import { CoordinatorClient } from '../../src/client/group/coordinator-client.js';
import { GroupConsumer, NoOffsetForPartitionError } from '../../src/client/group/group-consumer.js';
import { ErrorCode, KafkaError } from '../../src/common/errors.js';
import { partitionForGroup } from '../../src/coordinator/offsets-records.js';

const BROKER = { 'offsets.topic.num.partitions': '4', 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '500' };

const tp = (r: { topic: string; partition: number }) => `${r.topic}-${r.partition}`;
const id = (r: { topic: string; partition: number; offset: number }) => `${r.topic}-${r.partition}@${r.offset}`;

/** Every partition of `topic` owned by exactly one of the members, all in one generation. */
function stableOver(members: Member[], partitions: string[]): boolean {
  const gens = new Set(members.map((m) => m.assigned.at(-1)?.generationId));
  if (gens.size !== 1 || gens.has(undefined)) return false;
  const owned = members.flatMap((m) => m.owned());
  return owned.length === partitions.length && new Set(owned).size === owned.length && partitions.every((p) => owned.includes(p));
}

function consumedOnce(all: Consumed[], produced: Produced[]): void {
  const seen = new Map<string, number>();
  for (const r of all) seen.set(id(r), (seen.get(id(r)) ?? 0) + 1);
  const missing = produced.filter((p) => !seen.has(id(p)));
  expect(missing.map(id)).toEqual([]);
}

describe('GroupConsumer in a broker-coordinated group', () => {
  let cluster: TestCluster;
  let client: Cluster;
  const members: Member[] = [];
  beforeAll(async () => {
    cluster = await new TestCluster('group-consumer', BROKER).start(2);
    client = new Cluster({ brokers: cluster.bootstrap });
  });
  afterAll(async () => {
    for (const m of members) await m.kill().catch(() => undefined);
    client?.close();
    await cluster?.stop();
  });

  const props = (group: string, extra: Record<string, string> = {}) => ({
    'bootstrap.servers': cluster.bootstrap,
    'group.id': group,
    'auto.offset.reset': 'earliest',
    'session.timeout.ms': '3000',
    'heartbeat.interval.ms': '300',
    'fetch.max.wait.ms': '100',
    'auto.commit.interval.ms': '500',
    ...extra,
  });
  const start = (name: string, p: Record<string, string>, topics: string[]) => {
    const m = startMember(name, p, topics);
    members.push(m);
    return m;
  };

  it('three members share six partitions; one closes: the others take its partitions from its commit, every record once', async () => {
    const topic = 'gc-share';
    await createTopic(cluster.zk, topic, { partitions: 6, replicationFactor: 2 });
    await client.topicMetadata(topic);
    const partitions = Array.from({ length: 6 }, (_, p) => `${topic}-${p}`);
    const produced = await produce(cluster.bootstrap, topic, 6, 50, 'a');

    const [a, b, c] = ['a', 'b', 'c'].map((n) => start(`share-${n}`, props('gc-g1'), [topic])) as [Member, Member, Member];
    await until('the three to share the partitions', () => stableOver([a, b, c], partitions), 30_000);
    for (const m of [a, b, c]) expect(m.owned()).toHaveLength(2); // range: 6 over 3
    const leaders = [a, b, c].filter((m) => m.assigned.at(-1)!.isLeader);
    expect(leaders).toHaveLength(1);
    expect(a.assigned.at(-1)!.protocol).toBe('range');
    await until('every record consumed', () => new Set([a, b, c].flatMap((m) => m.records.map(id))).size === produced.length, 30_000);

    const more = await produce(cluster.bootstrap, topic, 6, 30, 'b');
    await until('some of the new records consumed by c', () => c.records.some((r) => r.value?.startsWith('b-')), 30_000);
    const cOwned = c.owned();
    await c.stop();
    await until('a and b to share all six', () => stableOver([a, b], partitions), 30_000);
    // a and b start c's partitions where c committed at close: right after what c consumed
    for (const p of cOwned) {
      const next = [a, b].map((m) => m.assigned.at(-1)!.positions.find((x) => tp(x) === p)).find((x) => x)!;
      const cLast = Math.max(...c.records.filter((r) => tp(r) === p).map((r) => r.offset));
      expect(next).toMatchObject({ from: 'committed', offset: cLast + 1 });
    }
    const all = [a, b, c].flatMap((m) => m.records);
    await until('every record consumed', () => new Set([a, b, c].flatMap((m) => m.records.map(id))).size === produced.length + more.length, 30_000);
    consumedOnce(all, [...produced, ...more]);
    // a clean close and commits before each revocation: nothing twice
    const ids = [a, b, c].flatMap((m) => m.records.map(id));
    expect(ids.length).toBe(new Set(ids).size);
    for (const m of [a, b, c]) expect(m.error()).toBeUndefined();
    // the committed offsets are the log ends
    const committed = await new CoordinatorClient(client).fetchOffsets('gc-g1', null);
    expect(committed.map((x) => x.offset)).toEqual(Array(6).fill(80));
    await a.stop();
    await b.stop();
  });

  it('a member that dies without LeaveGroup is replaced after its session timeout; its successor goes on from the last commit', async () => {
    const topic = 'gc-kill';
    await createTopic(cluster.zk, topic, { partitions: 4, replicationFactor: 1 });
    await client.topicMetadata(topic);
    const partitions = Array.from({ length: 4 }, (_, p) => `${topic}-${p}`);
    // a long auto-commit interval: the dead member leaves records it consumed uncommitted
    const p = props('gc-g2', { 'auto.commit.interval.ms': '60000' });
    const x = start('kill-x', p, [topic]);
    const y = start('kill-y', p, [topic]);
    await until('x and y to share the partitions', () => stableOver([x, y], partitions), 30_000);
    const first = await produce(cluster.bootstrap, topic, 4, 20, 'a');
    await until('the first records consumed', () => new Set([x, y].flatMap((m) => m.records.map(id))).size === first.length, 30_000);
    // commit what y consumed so far, then let it consume more that it never commits
    await y.consumer.commitSync();
    const committedByY = new Map(y.owned().map((q) => [q, y.consumer.position(q.replace(/-\d+$/, ''), Number(q.split('-').at(-1)))!]));
    const second = await produce(cluster.bootstrap, topic, 4, 20, 'b');
    await until('the second records consumed', () => new Set([x, y].flatMap((m) => m.records.map(id))).size === first.length + second.length, 30_000);
    const yOwned = y.owned();
    const killedAt = Date.now();
    await y.kill();

    await until('x to own all four', () => x.owned().length === 4, 30_000);
    const takeover = x.assigned.at(-1)!;
    // not at once: only when the coordinator gave up on y's session (3 s)
    expect(takeover.t - killedAt).toBeGreaterThanOrEqual(2500);
    for (const q of yOwned) {
      expect(takeover.positions.find((s) => tp(s) === q)).toMatchObject({ from: 'committed', offset: committedByY.get(q) });
    }
    const third = await produce(cluster.bootstrap, topic, 4, 10, 'c');
    const everything = [...first, ...second, ...third];
    await until('every record consumed', () => new Set([x, y].flatMap((m) => m.records.map(id))).size === everything.length, 30_000);
    consumedOnce([...x.records, ...y.records], everything);
    // the records consumed twice are exactly y's uncommitted ones
    const yIds = new Set(y.records.map(id));
    const twice = x.records.filter((r) => yIds.has(id(r)));
    const expected = y.records.filter((r) => r.offset >= committedByY.get(tp(r))!);
    expect(twice.map(id).sort()).toEqual(expected.map(id).sort());
    expect(twice.length).toBe(second.filter((r) => yOwned.includes(tp(r))).length);
    await x.stop();
  });

  it('reports what cannot work: an assignor no other member has, a session timeout the broker refuses', async () => {
    const topic = 'gc-bad';
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1 });
    await client.topicMetadata(topic);
    const r = start('bad-range', props('gc-g3', { 'partition.assignment.strategy': 'range' }), [topic]);
    await until('the range member to join', () => r.owned().length === 1, 30_000);
    const rr = new GroupConsumer(props('gc-g3', { 'partition.assignment.strategy': 'roundrobin' }));
    rr.subscribe([topic]);
    const err = await rr.poll(100).catch((e) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect(err.code).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    await rr.close();
    await r.stop();

    const tooShort = new GroupConsumer(props('gc-g4', { 'session.timeout.ms': '100', 'heartbeat.interval.ms': '50' }));
    tooShort.subscribe([topic]);
    const err2 = await tooShort.poll(100).catch((e) => e);
    expect(err2.code).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    await tooShort.close();
  });

  it('a committed offset out of range is reset by auto.offset.reset; with none, poll() says which partition has no offset', async () => {
    const topic = 'gc-range';
    await createTopic(cluster.zk, topic, { partitions: 1, replicationFactor: 1 });
    await client.topicMetadata(topic);
    const produced = await produce(cluster.bootstrap, topic, 1, 5, 'r');
    await new CoordinatorClient(client).commitOffsets('gc-g8', [{ topic, partition: 0, offset: 1000 }]);
    const m = start('range-m', props('gc-g8'), [topic]);
    await until('the records consumed from the earliest offset', () => m.records.length === produced.length, 30_000);
    expect(m.assigned.at(-1)!.positions).toEqual([{ topic, partition: 0, offset: 1000, from: 'committed' }]);
    expect(m.records.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
    await m.stop();

    const none = new GroupConsumer(props('gc-g9', { 'auto.offset.reset': 'none' }));
    none.subscribe([topic]);
    const err = await none.poll(100).catch((e) => e);
    expect(err).toBeInstanceOf(NoOffsetForPartitionError);
    expect(err.message).toBe(`${topic}-0: no committed offset and auto.offset.reset is none`);
    await none.close();
  });

  it('the leader sees partitions added (metadata.max.age.ms) and rebalances: the new partitions are consumed too', async () => {
    const topic = 'gc-grow';
    await createTopic(cluster.zk, topic, { partitions: 2, replicationFactor: 1 });
    await client.topicMetadata(topic);
    const p = props('gc-g5', { 'metadata.max.age.ms': '500' });
    const a = start('grow-a', p, [topic]);
    const b = start('grow-b', p, [topic]);
    await until('a and b to share two partitions', () => stableOver([a, b], [`${topic}-0`, `${topic}-1`]), 30_000);
    await addPartitions(cluster.zk, topic, 4);
    const four = Array.from({ length: 4 }, (_, q) => `${topic}-${q}`);
    await until('a and b to share four partitions', () => stableOver([a, b], four), 30_000);
    await client.topicMetadata(topic);
    const produced = await produce(cluster.bootstrap, topic, 4, 5, 'g');
    await until('every record consumed', () => new Set([a, b].flatMap((m) => m.records.map(id))).size === produced.length, 30_000);
    for (const m of [a, b]) for (const r of m.records) expect(m.owned()).toContain(tp(r));
    await a.stop();
    await b.stop();
  });

  it('a consumer not polled for max.poll.interval.ms leaves the group; its next poll rejoins as a new member', async () => {
    const topic = 'gc-slow';
    await createTopic(cluster.zk, topic, { partitions: 2, replicationFactor: 1 });
    await client.topicMetadata(topic);
    const busy = start('slow-busy', props('gc-g6'), [topic]);
    const slow = new GroupConsumer({ ...props('gc-g6', { 'max.poll.interval.ms': '1500' }), 'client.id': 'slow' });
    const slowAssigned: string[][] = [];
    slow.on('assigned', (e) => slowAssigned.push(e.partitions.map(tp)));
    slow.subscribe([topic]);
    await until('slow to get a partition', async () => (await slow.poll(100), slowAssigned.length > 0 && busy.owned().length === 1), 30_000);
    const firstId = slow.memberId;
    // slow does not poll: after 1.5 s its heartbeat leaves the group and busy gets both partitions
    const t0 = Date.now();
    await until('busy to own both partitions', () => busy.owned().length === 2, 30_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    await until('slow to rejoin as a new member', async () => (await slow.poll(100), busy.owned().length === 1 && slowAssigned.length === 2), 30_000);
    expect(slow.memberId).not.toBe(firstId);
    await slow.close();
    await busy.stop();
  });

  it('members follow the group to a new coordinator when its broker stops, and go on consuming', async () => {
    const topic = 'gc-move';
    await createTopic(cluster.zk, topic, { partitions: 4, replicationFactor: 2 });
    await client.topicMetadata(topic);
    const four = Array.from({ length: 4 }, (_, q) => `${topic}-${q}`);
    const group = 'gc-g7';
    const a = start('move-a', props(group), [topic]);
    const b = start('move-b', props(group), [topic]);
    await until('a and b to share', () => stableOver([a, b], four), 30_000);
    const first = await produce(cluster.bootstrap, topic, 4, 10, 'a');
    await until('the first records consumed', () => new Set([a, b].flatMap((m) => m.records.map(id))).size === first.length, 30_000);
    const coordinator = (await new CoordinatorClient(client).findCoordinator(group)).nodeId;
    const offsetsPartition = partitionForGroup(group, 4);
    await cluster.stopBroker(coordinator);
    const other = [...cluster.brokers.keys()].find((k) => k !== coordinator)!;
    await until('the other broker to lead the group', async () => (await client.refresh(['__consumer_offsets', topic]), client.leaderOf('__consumer_offsets', offsetsPartition) === other), 30_000);
    await until('the data partitions led by the live broker', async () => (await client.refresh([topic]), [0, 1, 2, 3].every((q) => client.leaderOf(topic, q) === other)), 30_000);
    const second = await produce(`127.0.0.1:${cluster.brokers.get(other)!.port}`, topic, 4, 10, 'b');
    const everything = [...first, ...second];
    await until('every record consumed', () => new Set([a, b].flatMap((m) => m.records.map(id))).size === everything.length, 60_000);
    consumedOnce([...a.records, ...b.records], everything);
    await until('a and b to share again under the new coordinator', () => stableOver([a, b], four), 30_000);
    expect((await new CoordinatorClient(client).findCoordinator(group)).nodeId).toBe(other);
    for (const m of [a, b]) expect(m.error()).toBeUndefined();
    await a.stop();
    await b.stop();
    const committed = await new CoordinatorClient(client).fetchOffsets(group, null);
    expect(committed.map((x) => x.offset)).toEqual(Array(4).fill(20));
  });
});
