/**
 * kafkajs 2.2.4's `consumer.run()` judges the broker-coordinated groups: FindCoordinator, the
 * group state machine (JoinGroup, SyncGroup with kafkajs's own assignment, Heartbeat,
 * LeaveGroup), OffsetCommit/OffsetFetch in __consumer_offsets, and a coordinator that moves
 * when its broker dies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { partitionForGroup } from '../../src/coordinator/offsets-records.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');

type Consumed = { member: number; partition: number; offset: number; value: string };

describe('kafkajs consumer groups against the brokers', () => {
  let cluster: TestCluster;
  let kafka: any;
  beforeAll(async () => {
    cluster = await new TestCluster('kjs-groups', { 'group.initial.rebalance.delay.ms': '300', 'offsets.topic.num.partitions': '6', 'controlled.shutdown.retry.backoff.ms': '200' }).start(3);
    kafka = new Kafka({ clientId: 'groups', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  async function produce(topic: string, from: number, count: number, partitions: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ value: `v${from + i}`, partition: (from + i) % partitions })) });
    await producer.disconnect();
  }

  async function member(n: number, group: string, topic: string, got: Consumed[]) {
    const c = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10000, maxWaitTimeInMs: 500 });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      autoCommitInterval: 200,
      eachMessage: async ({ partition, message }: any) => {
        got.push({ member: n, partition, offset: Number(message.offset), value: message.value.toString() });
      },
    });
    return c;
  }

  it('three members share the partitions, every record is consumed, and the group survives the loss of its coordinator with its offsets', async () => {
    const topic = `kjs-grp-${Math.random().toString(16).slice(2, 8)}`;
    const group = `g-${topic}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true });
    await produce(topic, 0, 60, 6);

    const got: Consumed[] = [];
    const members = [await member(1, group, topic, got), await member(2, group, topic, got), await member(3, group, topic, got)];
    await until('every record consumed', () => new Set(got.map((g) => g.value)).size === 60, 60_000);
    // once the group is stable each partition has exactly one owner
    const described = await until('a stable group of three', async () => {
      const d = (await admin.describeGroups([group])).groups[0];
      return d.state === 'Stable' && d.members.length === 3 ? d : undefined;
    }, 30_000);
    const { AssignerProtocol } = require('kafkajs');
    const owners = new Map<number, string>();
    for (const m of described.members) {
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      for (const p of a.assignment[topic] ?? []) {
        expect(owners.has(p), `partition ${p} owned twice`).toBe(false);
        owners.set(p, m.memberId);
      }
    }
    expect([...owners.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);

    // the coordinator's broker dies: another broker loads the group's partition and takes over
    const offsetsPartition = partitionForGroup(group, 6);
    const meta = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
    const coordinatorId = meta.topics[0].partitions.find((p: any) => p.partitionId === offsetsPartition).leader;
    await until('offsets committed for every record', async () => {
      const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return committed[0].partitions.reduce((n: number, p: any) => n + Number(p.offset), 0) === 60;
    }, 30_000);
    await admin.disconnect();
    await cluster.stopBroker(coordinatorId, 'SIGKILL');
    await produce(topic, 60, 60, 6);
    await until('every record consumed after the failover', () => new Set(got.map((g) => g.value)).size === 120, 90_000);
    const survivor = [...cluster.brokers.values()].find((b) => b.id !== coordinatorId)!;
    const admin2 = new Kafka({ clientId: 'groups-2', brokers: [`127.0.0.1:${survivor.port}`], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } }).admin();
    await admin2.connect();
    try {
      // the new coordinator answers for the group: its offsets survived and it re-formed with all three members
      await until('the offsets of every record, committed to the new coordinator', async () => {
        const committed = await admin2.fetchOffsets({ groupId: group, topics: [topic] });
        return committed[0].partitions.reduce((n: number, p: any) => n + Number(p.offset), 0) === 120;
      }, 60_000);
      // kafkajs members that lost their coordinator rejoin (some as new members, after a restart of their runner)
      await until('the group stable again with its three members', async () => {
        const g = (await admin2.describeGroups([group])).groups[0];
        return g.state === 'Stable' && g.members.length === 3;
      }, 60_000);
      const meta2 = await admin2.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
      expect(meta2.topics[0].partitions.find((p: any) => p.partitionId === offsetsPartition).leader).not.toBe(coordinatorId);
    } finally {
      await admin2.disconnect();
    }
    for (const m of members) await m.disconnect();
    // every record was consumed; a record consumed twice is one whose commit the dead coordinator had not yet made durable
    const perValue = new Map<string, number>();
    for (const g of got) perValue.set(g.value, (perValue.get(g.value) ?? 0) + 1);
    expect(perValue.size).toBe(120);
  }, 120_000);
});
