/**
 * kafkajs 2.2.4's group consumer (consumer.run) and our GroupConsumer in one
 * broker-coordinated group. kafkajs ships only its own 'RoundRobinAssigner', so it is given a
 * 'range' assigner written here on its AssignerProtocol (Kafka's RangeAssignor): the two
 * clients agree on the protocol, read each other's subscription and assignment bytes, share
 * the partitions whichever of them leads, and each goes on from the other's commits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { produce } from '../helpers/consumer-process.js';
import { startMember, type Member } from '../helpers/group-member.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster } from '../../src/client/cluster.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel, AssignerProtocol } = require('kafkajs');
const { MemberMetadata, MemberAssignment } = AssignerProtocol;

/** Kafka's RangeAssignor as a kafkajs partition assigner named 'range'. */
const KafkaRangeAssigner = ({ cluster }: any) => ({
  name: 'range',
  version: 0,
  async assign({ members, topics }: { members: { memberId: string; memberMetadata: Buffer }[]; topics: string[] }) {
    const subs = members.map((m) => ({ memberId: m.memberId, topics: MemberMetadata.decode(m.memberMetadata).topics as string[] }));
    const out: Record<string, Record<string, number[]>> = Object.fromEntries(subs.map((s) => [s.memberId, {}]));
    for (const topic of topics) {
      const ids = subs.filter((s) => s.topics.includes(topic)).map((s) => s.memberId).sort();
      const parts = cluster.findTopicPartitionMetadata(topic).map((p: { partitionId: number }) => p.partitionId).sort((a: number, b: number) => a - b);
      const q = Math.floor(parts.length / ids.length);
      const r = parts.length % ids.length;
      ids.forEach((id, i) => {
        const start = q * i + Math.min(i, r);
        out[id]![topic] = parts.slice(start, start + q + (i < r ? 1 : 0));
      });
    }
    return Object.entries(out).map(([memberId, assignment]) => ({ memberId, memberAssignment: MemberAssignment.encode({ version: 0, assignment }) }));
  },
  protocol({ topics }: { topics: string[] }) {
    return { name: 'range', metadata: MemberMetadata.encode({ version: 0, topics }) };
  },
});

interface KjsMember {
  consumer: any;
  records: { topic: string; partition: number; offset: number; value: string }[];
  joins: { memberId: string; isLeader: boolean; groupProtocol: string; memberAssignment: Record<string, number[]> }[];
  owned(): string[];
}

const tp = (r: { topic: string; partition: number }) => `${r.topic}-${r.partition}`;
const id = (r: { topic: string; partition: number; offset: number }) => `${r.topic}-${r.partition}@${r.offset}`;

describe('kafkajs and our group consumer in one group', () => {
  let cluster: TestCluster;
  let client: Cluster;
  let kafka: any;
  const running: { stop(): Promise<unknown> }[] = [];
  beforeAll(async () => {
    cluster = await new TestCluster('kafkajs-group', { 'offsets.topic.num.partitions': '4', 'group.initial.rebalance.delay.ms': '0' }).start(2);
    client = new Cluster({ brokers: cluster.bootstrap });
    kafka = new Kafka({ clientId: 'kjs', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop().catch(() => undefined);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  async function startKafkajs(group: string, topic: string): Promise<KjsMember> {
    const consumer = kafka.consumer({ groupId: group, partitionAssigners: [KafkaRangeAssigner], heartbeatInterval: 300, sessionTimeout: 10_000, maxWaitTimeInMs: 100 });
    const m: KjsMember = {
      consumer,
      records: [],
      joins: [],
      owned: () => Object.entries(m.joins.at(-1)?.memberAssignment ?? {}).flatMap(([t, ps]) => ps.map((p) => `${t}-${p}`)),
    };
    consumer.on(consumer.events.GROUP_JOIN, (e: any) => m.joins.push(e.payload));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic: t, partition, message }: any) => {
        m.records.push({ topic: t, partition, offset: Number(message.offset), value: message.value.toString() });
      },
    });
    running.push({ stop: () => consumer.disconnect() });
    return m;
  }
  function startOurs(name: string, group: string, topic: string): Member {
    const m = startMember(name, { 'bootstrap.servers': cluster.bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest', 'heartbeat.interval.ms': '300', 'fetch.max.wait.ms': '100', 'auto.commit.interval.ms': '300' }, [topic]);
    running.push({ stop: () => m.stop() });
    return m;
  }
  const shared = (a: string[], b: string[], partitions: string[]) =>
    a.length > 0 && b.length > 0 && a.length + b.length === partitions.length && new Set([...a, ...b]).size === partitions.length;

  it('kafkajs leads: the two share four partitions by range; ours leaves and kafkajs goes on from its commits', async () => {
    const topic = 'kjsg-1';
    await createTopic(cluster.zk, topic, { partitions: 4, replicationFactor: 2 });
    await client.topicMetadata(topic);
    const partitions = Array.from({ length: 4 }, (_, p) => `${topic}-${p}`);
    const kjs = await startKafkajs('kjsg-g1', topic);
    await until('kafkajs to own the topic alone', () => kjs.owned().length === 4, 30_000);
    const ours = startOurs('ours-1', 'kjsg-g1', topic);
    await until('the two to share the partitions', () => shared(kjs.owned(), ours.owned(), partitions), 30_000);
    const mine = ours.assigned.at(-1)!;
    expect(mine.isLeader).toBe(false);
    expect(mine.protocol).toBe('range');
    expect(kjs.joins.at(-1)).toMatchObject({ isLeader: true, groupProtocol: 'range', leaderId: mine.leaderId });
    // Kafka's range: the member id sorted first takes partitions 0 and 1
    const first = [kjs.joins.at(-1)!.memberId, mine.memberId].sort()[0];
    expect((first === mine.memberId ? ours.owned() : kjs.owned()).sort()).toEqual([`${topic}-0`, `${topic}-1`]);

    const a = await produce(cluster.bootstrap, topic, 4, 10, 'a');
    await until('every record consumed', () => new Set([...kjs.records, ...ours.records].map(id)).size === a.length, 30_000);
    for (const r of ours.records) expect(ours.owned()).toContain(tp(r));
    for (const r of kjs.records) expect(kjs.owned()).toContain(tp(r));
    expect(kjs.records.length + ours.records.length).toBe(a.length);

    const oursHad = ours.owned();
    await ours.stop();
    await until('kafkajs to own the topic again', () => kjs.owned().length === 4, 30_000);
    const b = await produce(cluster.bootstrap, topic, 4, 5, 'b');
    await until('the new records consumed', () => b.every((r) => kjs.records.some((x) => id(x) === id(r))), 30_000);
    // nothing of ours consumed again: kafkajs started our partitions from our commits
    const again = kjs.records.filter((r) => oursHad.includes(tp(r)) && r.value.startsWith('a-'));
    expect(again).toEqual([]);
  });

  it('ours leads: kafkajs joins, gets its range share from our assignment, and starts from the offsets we committed', async () => {
    const topic = 'kjsg-2';
    await createTopic(cluster.zk, topic, { partitions: 4, replicationFactor: 1 });
    await client.topicMetadata(topic);
    const partitions = Array.from({ length: 4 }, (_, p) => `${topic}-${p}`);
    const ours = startOurs('ours-2', 'kjsg-g2', topic);
    await until('ours to own the topic alone', () => ours.owned().length === 4, 30_000);
    const a = await produce(cluster.bootstrap, topic, 4, 10, 'a');
    await until('ours to consume everything', () => ours.records.length === a.length, 30_000);

    const kjs = await startKafkajs('kjsg-g2', topic);
    await until('the two to share the partitions', () => shared(kjs.owned(), ours.owned(), partitions), 30_000);
    expect(ours.assigned.at(-1)).toMatchObject({ isLeader: true, protocol: 'range' });
    expect(kjs.joins.at(-1)).toMatchObject({ isLeader: false, groupProtocol: 'range', leaderId: ours.consumer.memberId });
    const b = await produce(cluster.bootstrap, topic, 4, 5, 'b');
    await until('the new records consumed', () => new Set([...kjs.records, ...ours.records].map(id)).size === a.length + b.length, 30_000);
    // kafkajs read only its partitions' new records: it started from our commit at the rebalance
    expect(kjs.records.length).toBeGreaterThan(0);
    for (const r of kjs.records) {
      expect(kjs.owned()).toContain(tp(r));
      expect(r.value.startsWith('b-')).toBe(true);
    }
  });
});
