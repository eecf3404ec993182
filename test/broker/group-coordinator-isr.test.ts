/**
 * The coordinator keeps its groups when the controller bumps the leader epoch of an offsets
 * partition it still leads (a follower died and was dropped from the ISR): a rebalance in flight
 * at that moment completes, its waiting JoinGroup is answered with the next generation, not
 * NOT_COORDINATOR.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { KafkaConnection } from '../../src/network/client-connection.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { ErrorCode } from '../../src/common/errors.js';
import { partitionStatePath } from '../../src/zk/paths.js';
import { decodePartitionState } from '../../src/zk/payloads.js';
import { partitionForGroup } from '../../src/coordinator/offsets-records.js';

type Codec = (typeof API_CODECS)[keyof typeof API_CODECS];

describe('group coordinator and ISR changes of its partition', () => {
  let cluster: TestCluster;
  const conns: KafkaConnection[] = [];
  beforeAll(async () => {
    // replica.lag.time.max.ms high: only the controller (on the follower's death, with a new
    // leader epoch) shrinks the ISR; under load the leader's own shrink (same epoch) came first
    cluster = await new TestCluster('group-isr', {
      'offsets.topic.num.partitions': '2',
      'group.initial.rebalance.delay.ms': '0',
      'offsets.topic.replication.factor': '3',
      'replica.lag.time.max.ms': '120000',
    }).start(3);
  });
  afterAll(async () => {
    for (const c of conns) c.close();
    await cluster?.stop();
  });

  async function send(conn: KafkaConnection, key: number, version: number, req: unknown): Promise<any> {
    const codec = (API_CODECS as Record<number, Codec>)[key]!;
    const r = await conn.request(codec.apiKey, version, (w) => void (codec.encodeRequest as any)(w, version, req));
    return (codec.decodeResponse as any)(r!, version);
  }
  const connect = (port: number) => {
    const c = new KafkaConnection('127.0.0.1', port, { clientId: 'isr-test', timeoutMs: 60_000 });
    conns.push(c);
    return c;
  };
  const join = (conn: KafkaConnection, memberId = '') =>
    send(conn, ApiKey.JoinGroup, 1, { groupId: 'g', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000, memberId, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]) }] });

  it('a rebalance in flight completes across a leader epoch bump of the offsets partition', async () => {
    const any = connect([...cluster.brokers.values()][0]!.port);
    const coord = await until('a coordinator', async () => {
      const r = await send(any, ApiKey.FindCoordinator, 1, { groupId: 'g', keyType: 0 });
      return r.errorCode === ErrorCode.NONE ? r : undefined;
    });
    const partition = partitionForGroup('g', 2);
    const statePath = partitionStatePath('__consumer_offsets', partition);
    const state = async () => decodePartitionState((await cluster.zk.get(statePath))!.data);
    await until('all three replicas in the ISR', async () => (await state()).isr.length === 3);
    const conn = connect(coord.port);
    const a = await join(conn);
    expect(a.errorCode).toBe(ErrorCode.NONE);
    expect((await send(conn, ApiKey.SyncGroup, 1, { groupId: 'g', generationId: a.generationId, memberId: a.memberId, assignments: [] })).errorCode).toBe(ErrorCode.NONE);

    // a second member joins: the coordinator holds its JoinGroup until the first rejoins
    const b = join(connect(coord.port));
    await until('the group preparing to rebalance', async () => (await send(conn, ApiKey.Heartbeat, 1, { groupId: 'g', generationId: a.generationId, memberId: a.memberId })).errorCode === ErrorCode.REBALANCE_IN_PROGRESS);

    // a follower of the offsets partition dies: the controller drops it from the ISR with a new leader epoch
    const before = await state();
    const follower = before.isr.find((id: number) => id !== coord.nodeId)!;
    await cluster.stopBroker(follower, 'SIGKILL');
    await until('the ISR shrunk with a new leader epoch, same leader', async () => {
      const s = await state();
      return !s.isr.includes(follower) && s.leader === coord.nodeId && s.leaderEpoch > before.leaderEpoch;
    }, 30_000);
    const epoch = (await state()).leaderEpoch;
    const coordinator = cluster.brokers.get(coord.nodeId)!;
    await until('the coordinator applied the new leader epoch', () =>
      new RegExp(`became leader topic=__consumer_offsets partition=${partition} leaderEpoch=${epoch}\\b`).test(coordinator.output()),
    );
    // the group kept its rebalance: still in progress, not reloaded from the log
    expect((await send(conn, ApiKey.Heartbeat, 1, { groupId: 'g', generationId: a.generationId, memberId: a.memberId })).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);

    // the first member rejoins: the held JoinGroup completes with the next generation
    const [a2, b2] = await Promise.all([join(conn, a.memberId), b]);
    expect(a2.errorCode).toBe(ErrorCode.NONE);
    expect(b2.errorCode).toBe(ErrorCode.NONE);
    expect(b2.generationId).toBe(a.generationId + 1);
    expect(a2.generationId).toBe(a.generationId + 1);
  }, 90_000);
});
