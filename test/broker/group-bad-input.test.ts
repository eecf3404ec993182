/**
 * Bad input to the group coordinator over the wire: empty or unknown protocols, an empty and a
 * 32 KiB group id, a stale generation, unknown members, commits for partitions that do not
 * exist or to a broker that is not the coordinator, and clients that join and never sync. Each
 * gets Kafka's error code; a well-behaved member of another group is unaffected throughout, and
 * the abandoned groups are forgotten (memory stays bounded).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { KafkaConnection } from '../../src/network/client-connection.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/common/errors.js';
import { partitionForGroup } from '../../src/coordinator/offsets-records.js';

type Codec = (typeof API_CODECS)[keyof typeof API_CODECS];

describe('group coordinator bad input', () => {
  let cluster: TestCluster;
  const conns: KafkaConnection[] = [];
  beforeAll(async () => {
    cluster = await new TestCluster('group-bad', {
      'offsets.topic.num.partitions': '4',
      'group.initial.rebalance.delay.ms': '0',
      'group.min.session.timeout.ms': '200',
      'offsets.retention.check.interval.ms': '500',
    }).start(2);
  });
  afterAll(async () => {
    for (const c of conns) c.close();
    await cluster?.stop();
  });

  function connect(port: number): KafkaConnection {
    const c = new KafkaConnection('127.0.0.1', port, { clientId: 'bad-input', timeoutMs: 15_000 });
    conns.push(c);
    return c;
  }

  async function send<K extends keyof typeof API_CODECS>(conn: KafkaConnection, key: K, version: number, req: Parameters<(typeof API_CODECS)[K]['encodeRequest']>[2]): Promise<any> {
    const codec = API_CODECS[key] as Codec;
    const r = await conn.request(codec.apiKey, version, (w) => void (codec.encodeRequest as any)(w, version, req));
    return (codec.decodeResponse as any)(r!, version);
  }

  /** A connection to the group's coordinator (creating __consumer_offsets on first use). */
  async function coordinatorOf(group: string): Promise<{ conn: KafkaConnection; nodeId: number }> {
    const any = connect([...cluster.brokers.values()][0]!.port);
    const res = await until(`a coordinator for ${group.slice(0, 20)}`, async () => {
      const r = await send(any, ApiKey.FindCoordinator, 1, { groupId: group, keyType: 0 });
      return r.errorCode === ErrorCode.NONE ? r : undefined;
    });
    return { conn: connect(res.port), nodeId: res.nodeId };
  }

  const join = (conn: KafkaConnection, groupId: string, extra: Record<string, unknown> = {}) =>
    send(conn, ApiKey.JoinGroup, 1, { groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]) }], ...extra });

  it("answers Kafka's error codes and leaves a healthy member of another group alone; abandoned groups are forgotten", async () => {
    const topic = `gbad-${Math.random().toString(16).slice(2, 8)}`;
    await createTopic(cluster.zk, topic, { partitions: 2, replicationFactor: 1 });
    // a healthy group that heartbeats throughout
    const healthy = await coordinatorOf('healthy');
    const h = await join(healthy.conn, 'healthy');
    expect(h.errorCode).toBe(ErrorCode.NONE);
    expect((await send(healthy.conn, ApiKey.SyncGroup, 1, { groupId: 'healthy', generationId: h.generationId, memberId: h.memberId, assignments: [{ memberId: h.memberId, assignment: Buffer.from('x') }] })).errorCode).toBe(ErrorCode.NONE);
    let stop = false;
    const beats: number[] = [];
    const beating = (async () => {
      while (!stop) {
        beats.push((await send(healthy.conn, ApiKey.Heartbeat, 1, { groupId: 'healthy', generationId: h.generationId, memberId: h.memberId })).errorCode);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    beating.catch(() => undefined); // awaited below; a failure before that must not go unhandled
    try {

      const { conn, nodeId } = await coordinatorOf('bad');
      const any = connect([...cluster.brokers.values()][0]!.port);
      expect((await send(any, ApiKey.FindCoordinator, 1, { groupId: '', keyType: 0 })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
      expect((await join(conn, 'bad', { protocols: [] })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      expect((await join(conn, 'bad', { protocolType: '' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      expect((await join(conn, 'bad', { sessionTimeoutMs: 1 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
      expect((await join(conn, 'bad', { memberId: 'made-up' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      expect((await join(conn, '')).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
      // the healthy group's protocol type cannot be joined with another
      expect((await join(healthy.conn, 'healthy', { protocolType: 'connect' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

      const m = await join(conn, 'bad', { sessionTimeoutMs: 300 });
      expect(m.errorCode).toBe(ErrorCode.NONE);
      expect((await send(conn, ApiKey.SyncGroup, 1, { groupId: 'bad', generationId: m.generationId + 1, memberId: m.memberId, assignments: [] })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
      expect((await send(conn, ApiKey.Heartbeat, 1, { groupId: 'bad', generationId: m.generationId, memberId: 'nobody' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      expect((await send(conn, ApiKey.LeaveGroup, 1, { groupId: 'bad', memberId: 'nobody' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);

      // commits: a partition that does not exist; a broker that is not the coordinator
      const commit = (c: KafkaConnection, groupId: string, t: string, partition: number) =>
        send(c, ApiKey.OffsetCommit, 2, { groupId, generationId: -1, memberId: '', retentionTimeMs: -1, topics: [{ topic: t, partitions: [{ partition, offset: 5, timestamp: -1, metadata: null }] }] });
      const simple = await coordinatorOf('simple-committer');
      const res = await commit(simple.conn, 'simple-committer', topic, 7);
      expect(res.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect((await commit(simple.conn, 'simple-committer', 'no-such-topic', 0)).topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      // nothing valid was committed, so no group was made (one would be empty, and expired at once)
      expect((await send(simple.conn, ApiKey.DescribeGroups, 1, { groups: ['simple-committer'] })).groups[0].groupState).toBe('Dead');
      expect((await commit(simple.conn, 'simple-committer', topic, 1)).topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
      const other = [...cluster.brokers.values()].find((b) => b.id !== simple.nodeId)!;
      expect((await commit(connect(other.port), 'simple-committer', topic, 1)).topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);

      // a 32 KiB group id works like any other
      const huge = 'g'.repeat(32_000);
      const hc = await coordinatorOf(huge);
      expect((await join(hc.conn, huge, { sessionTimeoutMs: 300 })).errorCode).toBe(ErrorCode.NONE);

      // clients that join and never sync (nor heartbeat): 50 groups on the coordinator of 'bad'
      const abandoned = Array.from({ length: 200 }, (_, i) => `abandoned-${i}`).filter((g) => partitionForGroup(g, 4) === partitionForGroup('bad', 4)).slice(0, 50);
      for (const g of abandoned) expect((await join(conn, g, { sessionTimeoutMs: 3000 })).errorCode).toBe(ErrorCode.NONE);
      const listed = async () => (await send(conn, ApiKey.ListGroups, 1, {})).groups.map((g: { groupId: string }) => g.groupId) as string[];
      expect((await listed()).filter((g) => g.startsWith('abandoned-'))).toHaveLength(abandoned.length);
      // their members expire, then the empty groups are forgotten
      await until('the abandoned groups forgotten', async () => (await listed()).every((g) => !g.startsWith('abandoned-') && g !== 'bad'), 20_000);
      const described = await send(conn, ApiKey.DescribeGroups, 1, { groups: ['bad', abandoned[0]] });
      expect(described.groups.map((g: { groupState: string }) => g.groupState)).toEqual(['Dead', 'Dead']);
      expect(nodeId).toBeGreaterThan(0);

    } finally {
      stop = true;
    }
    await beating;
    // the healthy member heard NONE on every heartbeat while all of this went on
    expect(beats.length).toBeGreaterThan(5);
    expect(beats.every((c) => c === ErrorCode.NONE)).toBe(true);
    const d = await send(healthy.conn, ApiKey.DescribeGroups, 1, { groups: ['healthy'] });
    expect(d.groups[0].groupState).toBe('Stable');
    expect(d.groups[0].members.map((x: { memberAssignment: Buffer }) => x.memberAssignment.toString())).toEqual(['x']);
  }, 90_000);
});
