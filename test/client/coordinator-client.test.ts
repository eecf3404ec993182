/**
 * CoordinatorClient against real brokers with the broker's default coordinator settings
 * (__consumer_offsets: 50 partitions, replication capped by the 2 live brokers; a 3 s initial
 * rebalance delay): finding the coordinator on a fresh cluster, commits and fetches outside a
 * group, the errors Kafka answers, describe and list, and following a group whose coordinator
 * moves (a stopped broker, then a preferred leader election that makes the old coordinator
 * answer NOT_COORDINATOR).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { Cluster } from '../../src/client/cluster.js';
import { CoordinatorClient, OffsetCommitError } from '../../src/client/group/coordinator-client.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { partitionForGroup } from '../../src/coordinator/offsets-records.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { encodeConsumerProtocolAssignment, encodeConsumerProtocolSubscription } from '../../src/protocol/consumer-protocol.js';
import { ErrorCode, KafkaError } from '../../src/common/errors.js';
import { preferredReplicaElectionPath } from '../../src/zk/paths.js';
import { encodePreferredReplicaElection } from '../../src/zk/payloads.js';

const OFFSETS = '__consumer_offsets';

describe('CoordinatorClient (broker defaults)', () => {
  let cluster: TestCluster;
  let client: Cluster;
  let cc: CoordinatorClient;
  beforeAll(async () => {
    cluster = await new TestCluster('coord-client').start(2);
    await createTopic(cluster.zk, 'cc-t', { partitions: 3, replicationFactor: 2 });
    client = new Cluster({ brokers: cluster.bootstrap, clientId: 'cc-test' });
    await client.topicMetadata('cc-t');
    cc = new CoordinatorClient(client);
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('finds the coordinator on a fresh cluster: __consumer_offsets is created meanwhile, callers asking at once share one answer', async () => {
    const [a, b] = await Promise.all([cc.findCoordinator('cc-g1'), cc.findCoordinator('cc-g1')]);
    expect(b).toBe(a);
    const meta = await client.topicMetadata(OFFSETS);
    expect(meta.partitions).toHaveLength(50);
    expect(meta.partitions[0]!.replicas).toHaveLength(2);
    const p = partitionForGroup('cc-g1', 50);
    expect(a.nodeId).toBe(client.leaderOf(OFFSETS, p));
    expect(a.port).toBe(cluster.brokers.get(a.nodeId)!.port);
    // cached until forgotten
    expect(await cc.findCoordinator('cc-g1')).toBe(a);
    expect(await cc.findCoordinator('cc-g1', { refresh: true })).toEqual(a);
  });

  it('commits outside a group and fetches back: given partitions (-1 where nothing was committed), or every one with null', async () => {
    await cc.commitOffsets('cc-g2', [
      { topic: 'cc-t', partition: 0, offset: 10, metadata: 'ten' },
      { topic: 'cc-t', partition: 2, offset: 7 },
    ]);
    expect(await cc.fetchOffsets('cc-g2', [{ topic: 'cc-t', partition: 2 }, { topic: 'cc-t', partition: 1 }, { topic: 'cc-t', partition: 0 }])).toEqual([
      { topic: 'cc-t', partition: 0, offset: 10, metadata: 'ten' },
      { topic: 'cc-t', partition: 1, offset: -1, metadata: '' },
      { topic: 'cc-t', partition: 2, offset: 7, metadata: '' },
    ]);
    await cc.commitOffsets('cc-g2', [{ topic: 'cc-t', partition: 0, offset: 11 }]);
    expect(await cc.fetchOffsets('cc-g2', null)).toEqual([
      { topic: 'cc-t', partition: 0, offset: 11, metadata: '' },
      { topic: 'cc-t', partition: 2, offset: 7, metadata: '' },
    ]);
    expect(await cc.fetchOffsets('cc-nothing', null)).toEqual([]);
    expect(await cc.fetchOffsets('cc-g2', [])).toEqual([]);
  });

  it("refuses what Kafka refuses: an unknown partition, a generation of a group that does not exist, an empty group id, metadata that is too long", async () => {
    const err1 = await cc.commitOffsets('cc-g3', [{ topic: 'cc-t', partition: 0, offset: 1 }, { topic: 'cc-t', partition: 9, offset: 1 }]).catch((e) => e);
    expect(err1).toBeInstanceOf(OffsetCommitError);
    expect(err1.failed).toEqual([{ topic: 'cc-t', partition: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }]);
    expect(await cc.fetchOffsets('cc-g3', [{ topic: 'cc-t', partition: 0 }])).toEqual([{ topic: 'cc-t', partition: 0, offset: 1, metadata: '' }]);

    const err2 = await cc.commitOffsets('cc-g4', [{ topic: 'cc-t', partition: 0, offset: 1 }], { generationId: 3, memberId: 'm' }).catch((e) => e);
    expect(err2).toBeInstanceOf(OffsetCommitError);
    expect(err2.code).toBe(ErrorCode.ILLEGAL_GENERATION);

    const err3 = await cc.findCoordinator('').catch((e) => e);
    expect(err3).toBeInstanceOf(KafkaError);
    expect(err3.code).toBe(ErrorCode.INVALID_GROUP_ID);

    const err4 = await cc.commitOffsets('cc-g3', [{ topic: 'cc-t', partition: 1, offset: 1, metadata: 'x'.repeat(5000) }]).catch((e) => e);
    expect(err4.code).toBe(ErrorCode.OFFSET_METADATA_TOO_LARGE);
  });

  it('describes a Stable consumer group (subscription and assignment decoded), a commit-only group and an unknown one; lists the groups of both brokers', async () => {
    // one member joins by hand (the default 3 s initial rebalance delay applies) and syncs an assignment
    const join = {
      groupId: 'cc-g5',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: encodeConsumerProtocolSubscription({ version: 0, topics: ['cc-t'], userData: null }) }],
    };
    await cc.commitOffsets('cc-g6', [{ topic: 'cc-t', partition: 1, offset: 3 }]);
    const t0 = Date.now();
    const { response: joined } = await cc.send('cc-g5', API_CODECS[ApiKey.JoinGroup], 2, join, (r) => r.errorCode, { requestTimeoutMs: 20_000 });
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900); // group.initial.rebalance.delay.ms
    const assignment = encodeConsumerProtocolAssignment({ version: 0, topics: [{ topic: 'cc-t', partitions: [0, 1, 2] }], userData: null });
    const { response: synced } = await cc.send(
      'cc-g5',
      API_CODECS[ApiKey.SyncGroup],
      1,
      { groupId: 'cc-g5', generationId: joined.generationId, memberId: joined.memberId, assignments: [{ memberId: joined.memberId, assignment }] },
      (r) => r.errorCode,
    );
    expect(synced.errorCode).toBe(ErrorCode.NONE);
    try {
      const [stable, commitOnly, unknown] = await cc.describeGroups(['cc-g5', 'cc-g6', 'cc-never']);
      expect(stable).toMatchObject({ groupId: 'cc-g5', errorCode: 0, state: 'Stable', protocolType: 'consumer', protocol: 'range' });
      expect(stable!.coordinator).toEqual(await cc.findCoordinator('cc-g5'));
      expect(stable!.members).toHaveLength(1);
      const m = stable!.members[0]!;
      expect(m.memberId).toBe(joined.memberId);
      expect(m.clientId).toBe('cc-test');
      expect(m.subscription).toMatchObject({ version: 0, topics: ['cc-t'] });
      expect(m.assignment).toMatchObject({ version: 0, topics: [{ topic: 'cc-t', partitions: [0, 1, 2] }] });
      expect(m.assignmentBytes.equals(assignment)).toBe(true);
      expect(commitOnly).toMatchObject({ groupId: 'cc-g6', errorCode: 0, state: 'Empty', protocolType: '', members: [] });
      expect(unknown).toMatchObject({ groupId: 'cc-never', errorCode: 0, state: 'Dead', members: [] });

      const listed = await cc.listGroups();
      expect(listed.errors).toEqual([]);
      const names = listed.groups.map((g) => g.groupId);
      for (const g of ['cc-g5', 'cc-g6']) expect(names).toContain(g);
      expect(names).not.toContain('cc-never');
      expect(listed.groups.find((g) => g.groupId === 'cc-g5')).toMatchObject({ protocolType: 'consumer', coordinatorId: stable!.coordinator!.nodeId });
      expect(listed.groups.find((g) => g.groupId === 'cc-g6')).toMatchObject({ protocolType: '' });
      for (const g of listed.groups) expect(g.coordinatorId).toBe((await cc.findCoordinator(g.groupId)).nodeId);
    } finally {
      await cc.send('cc-g5', API_CODECS[ApiKey.LeaveGroup], 1, { groupId: 'cc-g5', memberId: joined.memberId }, (r) => r.errorCode);
    }
    // Kafka is Empty when the LeaveGroup is answered; this broker passes through PreparingRebalance for a timer tick (reported)
    await until('the group to be Empty', async () => (await cc.describeGroups(['cc-g5']))[0]!.state === 'Empty', 5000, 1);
    expect((await cc.describeGroups(['cc-g5']))[0]).toMatchObject({ state: 'Empty', members: [] });
  });

  it('follows a group whose coordinator moves: a stopped broker (lost connection), then a preferred election back (NOT_COORDINATOR from the old one)', async () => {
    const meta = await client.topicMetadata(OFFSETS);
    // a group whose __consumer_offsets partition prefers broker 1
    let group = '';
    for (let i = 0; group === ''; i++) {
      const p = partitionForGroup(`cc-move-${i}`, 50);
      if (meta.partitions.find((x) => x.partition === p)!.replicas[0] === 1) group = `cc-move-${i}`;
    }
    const partition = partitionForGroup(group, 50);
    await until('broker 1 to lead the partition', async () => (await client.refresh([OFFSETS]), client.leaderOf(OFFSETS, partition) === 1));
    await cc.commitOffsets(group, [{ topic: 'cc-t', partition: 0, offset: 5 }]);
    expect((await cc.findCoordinator(group)).nodeId).toBe(1);

    await cluster.stopBroker(1);
    // the cached coordinator is gone: the client finds broker 2 (which loads the partition)
    expect(await cc.fetchOffsets(group, [{ topic: 'cc-t', partition: 0 }])).toEqual([{ topic: 'cc-t', partition: 0, offset: 5, metadata: '' }]);
    expect((await cc.findCoordinator(group)).nodeId).toBe(2);
    await cc.commitOffsets(group, [{ topic: 'cc-t', partition: 0, offset: 6 }]);

    await cluster.startBroker(1);
    await until('broker 1 back in the partition ISR', async () => {
      const t = (await client.refresh([OFFSETS])).topics.find((x) => x.topic === OFFSETS);
      return t?.partitions.find((x) => x.partition === partition)?.isr.includes(1);
    }, 60_000);
    await cluster.zk.create(preferredReplicaElectionPath, encodePreferredReplicaElection([{ topic: OFFSETS, partition }]), { parents: true });
    await until('broker 1 to lead again', async () => (await client.refresh([OFFSETS]), client.leaderOf(OFFSETS, partition) === 1), 60_000);
    // still cached: broker 2, which now answers NOT_COORDINATOR; the commit goes to broker 1
    expect((await cc.findCoordinator(group)).nodeId).toBe(2);
    await cc.commitOffsets(group, [{ topic: 'cc-t', partition: 0, offset: 7 }]);
    expect((await cc.findCoordinator(group)).nodeId).toBe(1);
    expect(await cc.fetchOffsets(group, null)).toEqual([{ topic: 'cc-t', partition: 0, offset: 7, metadata: '' }]);
  });
});
