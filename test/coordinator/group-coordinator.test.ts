/**
 * The group coordinator's state machine and its log, over an in-memory __consumer_offsets
 * partition (the pure algorithm: the broker's real log is exercised by test/interop/groups*).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, KafkaError } from '../../src/common/errors.js';
import { Logger } from '../../src/common/logger.js';
import { groupCoordinatorConfigFromProperties, type GroupCoordinatorConfig } from '../../src/coordinator/config.js';
import { GroupCoordinator, type JoinGroupArgs } from '../../src/coordinator/group-coordinator.js';
import { GroupMetadataManager, type OffsetsLog } from '../../src/coordinator/group-metadata-manager.js';
import { decodeRecordBatches, encodeRecordBatch, splitBatches } from '../../src/protocol/records/record-batch.js';
import { decodeOffsetsRecord } from '../../src/coordinator/offsets-records.js';

/** Batches appended to one partition, kept in memory with their offsets. */
class MemoryOffsetsLog implements OffsetsLog {
  readonly batches = new Map<number, Buffer[]>();
  failWith: number | undefined;
  /** While set, appends wait for it (a write to the offsets topic in flight). */
  hold: Promise<void> | undefined;
  async append(partition: number, records: { key: Buffer; value: Buffer | null }[]): Promise<void> {
    if (this.hold) await this.hold;
    if (this.failWith !== undefined) throw new KafkaError(this.failWith, 'injected');
    const list = this.batches.get(partition) ?? [];
    const base = list.reduce((n, b) => n + splitBatches(b).reduce((m, x) => m + x.header.lastOffsetDelta + 1, 0), 0);
    list.push(encodeRecordBatch({ baseOffset: base, records }));
    this.batches.set(partition, list);
  }
  reader(partition: number) {
    const list = this.batches.get(partition) ?? [];
    return {
      logStartOffset: 0,
      read: async (offset: number) => {
        const all = Buffer.concat(list);
        if (offset > 0 || all.length === 0) return { records: Buffer.alloc(0), nextOffset: offset };
        return { records: all, nextOffset: list.length === 0 ? 0 : 1e9 };
      },
    };
  }
  records(partition: number) {
    return (this.batches.get(partition) ?? []).flatMap((b) => decodeRecordBatches(b).map((r) => decodeOffsetsRecord(r.key, r.value)));
  }
}

const quiet = new Logger('test');
const running: GroupCoordinator[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.shutdown();
});

function setup(overrides: Record<string, string> = {}, log = new MemoryOffsetsLog()) {
  const cfg: GroupCoordinatorConfig = groupCoordinatorConfigFromProperties(
    new Map(Object.entries({ 'offsets.topic.num.partitions': '1', 'group.min.session.timeout.ms': '10', 'group.initial.rebalance.delay.ms': '0', ...overrides })),
  );
  const manager = new GroupMetadataManager({ numPartitions: 1, commitTimeoutMs: 1000, loadBufferSize: 1 << 20 }, log, quiet);
  const c = new GroupCoordinator(cfg, manager, quiet);
  running.push(c);
  return { c, manager, log };
}

const proto = (name = 'range', meta = 'm') => [{ name, metadata: Buffer.from(meta) }];
function join(c: GroupCoordinator, a: Partial<JoinGroupArgs> = {}) {
  return c.joinGroup({ groupId: 'g', memberId: '', clientId: 'cli', clientHost: '/127.0.0.1', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 2_000, protocolType: 'consumer', protocols: proto(), ...a });
}
const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('GroupCoordinator', () => {
  it('answers NOT_COORDINATOR before it owns the partition, then forms a group: one generation, the leader gets every subscription, SyncGroup hands out each share', async () => {
    const { c, manager } = setup();
    expect((await join(c)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    await manager.onElection(0);
    const a = await join(c, { protocols: proto('range', 'A') });
    expect(a.errorCode).toBe(ErrorCode.NONE);
    expect(a.generationId).toBe(1);
    expect(a.leaderId).toBe(a.memberId);
    expect(a.memberId).toMatch(/^cli-/);
    // a second member: the group rebalances; the first rejoins with its id
    const bJoin = join(c, { protocols: [{ name: 'roundrobin', metadata: Buffer.from('B') }, { name: 'range', metadata: Buffer.from('B2') }] });
    await until(() => c.describeGroup('g').state === 'PreparingRebalance');
    expect(c.heartbeat('g', a.memberId, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const [a2, b] = await Promise.all([join(c, { memberId: a.memberId, protocols: proto('range', 'A') }), bJoin]);
    expect(a2.generationId).toBe(2);
    expect(b.generationId).toBe(2);
    expect(a2.protocolName).toBe('range'); // the only protocol both support
    const leader = a2.leaderId === a2.memberId ? a2 : b;
    const follower = leader === a2 ? b : a2;
    expect(leader.members.map((m) => m.metadata.toString()).sort()).toEqual(['A', 'B2']);
    expect(follower.members).toEqual([]);
    const followerSync = c.syncGroup('g', 2, follower.memberId, new Map());
    expect(c.describeGroup('g').state).toBe('CompletingRebalance');
    const leaderSync = await c.syncGroup('g', 2, leader.memberId, new Map([[leader.memberId, Buffer.from('L')], [follower.memberId, Buffer.from('F')]]));
    expect(leaderSync).toEqual({ errorCode: ErrorCode.NONE, assignment: Buffer.from('L') });
    expect(await followerSync).toEqual({ errorCode: ErrorCode.NONE, assignment: Buffer.from('F') });
    const d = c.describeGroup('g');
    expect(d.state).toBe('Stable');
    expect(d.members.map((m) => m.assignment.toString()).sort()).toEqual(['F', 'L']);
    expect(c.heartbeat('g', a.memberId, 2)).toBe(ErrorCode.NONE);
    expect(c.listGroups().groups).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Stable' }]);
  });

  it("refuses bad input with Kafka's error codes and leaves the group's members alone", async () => {
    const { c, manager } = setup({ 'group.max.session.timeout.ms': '60000' });
    await manager.onElection(0);
    const a = await join(c);
    await c.syncGroup('g', a.generationId, a.memberId, new Map([[a.memberId, Buffer.from('x')]]));
    expect((await join(c, { groupId: '' })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await join(c, { protocols: [] })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join(c, { protocolType: 'connect' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join(c, { protocols: proto('sticky') })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join(c, { sessionTimeoutMs: 5 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await join(c, { sessionTimeoutMs: 60_001 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await join(c, { memberId: 'nobody' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await join(c, { groupId: 'other', memberId: 'nobody' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.syncGroup('g', a.generationId - 1, a.memberId, new Map())).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await c.syncGroup('g', a.generationId, 'nobody', new Map())).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.heartbeat('g', 'nobody', a.generationId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.heartbeat('g', a.memberId, a.generationId + 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(c.leaveGroup('g', 'nobody')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const commit = await c.commitOffsets({ groupId: 'g', generationId: a.generationId, memberId: a.memberId, retentionMs: -1, offsets: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: 'x'.repeat(4097) }] });
    expect([...commit.values()]).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE]);
    expect([...(await c.commitOffsets({ groupId: 'g', generationId: 99, memberId: a.memberId, retentionMs: -1, offsets: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] })).values()]).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    // through all of it the member kept its generation and assignment
    const d = c.describeGroup('g');
    expect(d.state).toBe('Stable');
    expect(d.members.map((m) => [m.memberId, m.assignment.toString()])).toEqual([[a.memberId, 'x']]);
    expect(c.heartbeat('g', a.memberId, a.generationId)).toBe(ErrorCode.NONE);
  });

  it('drops a member whose session expires; a leader that joins and never syncs is dropped and the waiting members are told to rejoin', async () => {
    const { c, manager } = setup();
    await manager.onElection(0);
    const first = await join(c, { sessionTimeoutMs: 150 });
    // second member: both rejoin, the first stays leader
    const secondJoin = join(c, { sessionTimeoutMs: 10_000, clientId: 'two' });
    const [leader, second] = await Promise.all([join(c, { memberId: first.memberId, sessionTimeoutMs: 150 }), secondJoin]);
    expect(leader.leaderId).toBe(first.memberId);
    // the follower syncs and waits; the leader never syncs and never heartbeats
    const waiting = c.syncGroup('g', second.generationId, second.memberId, new Map());
    expect((await waiting).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await until(() => c.describeGroup('g').members.length === 1);
    expect(c.describeGroup('g').members[0]!.memberId).toBe(second.memberId);
    // the survivor rejoins and leads the next generation alone
    const again = await join(c, { memberId: second.memberId, clientId: 'two' });
    expect(again.generationId).toBe(second.generationId + 1);
    expect(again.leaderId).toBe(second.memberId);
    // leaving empties the group
    await c.syncGroup('g', again.generationId, again.memberId, new Map());
    expect(c.leaveGroup('g', again.memberId)).toBe(ErrorCode.NONE);
    expect(c.describeGroup('g').state).toBe('Empty'); // at once, before the LeaveGroup is answered
  });

  it('waits group.initial.rebalance.delay.ms for more members before the first generation', async () => {
    const { c, manager } = setup({ 'group.initial.rebalance.delay.ms': '150' });
    await manager.onElection(0);
    const started = Date.now();
    const one = join(c);
    await new Promise((r) => setTimeout(r, 50));
    const two = join(c);
    const [a, b] = await Promise.all([one, two]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(a.generationId).toBe(1);
    expect(b.generationId).toBe(1);
  });

  it('commits go to the log before they are answered; a new coordinator loads offsets and the stable group from it; tombstones delete', async () => {
    const log = new MemoryOffsetsLog();
    const { c, manager } = setup({}, log);
    await manager.onElection(0);
    // a commit outside group management (generation -1)
    const simple = await c.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', retentionMs: -1, offsets: [{ topic: 't', partition: 0, offset: 42, leaderEpoch: -1, metadata: 'md' }] });
    expect([...simple.values()]).toEqual([ErrorCode.NONE]);
    const a = await join(c);
    await c.syncGroup('g', a.generationId, a.memberId, new Map([[a.memberId, Buffer.from('asg')]]));
    await c.commitOffsets({ groupId: 'g', generationId: a.generationId, memberId: a.memberId, retentionMs: -1, offsets: [{ topic: 't', partition: 1, offset: 7, leaderEpoch: -1, metadata: null }] });
    expect(c.fetchOffsets('simple', null).offsets).toEqual([{ topic: 't', partition: 0, offset: 42, leaderEpoch: -1, metadata: 'md', errorCode: 0 }]);
    const kinds = log.records(0).map((r) => `${r.kind}:${r.group}`);
    expect(kinds).toEqual(['offset:simple', 'group:g', 'offset:g']); // the group is written once its leader syncs

    // a failed write is answered with Kafka's mapping and changes nothing
    log.failWith = ErrorCode.NOT_LEADER_FOR_PARTITION;
    const failed = await c.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', retentionMs: -1, offsets: [{ topic: 't', partition: 0, offset: 99, leaderEpoch: -1, metadata: null }] });
    expect([...failed.values()]).toEqual([ErrorCode.NOT_COORDINATOR]);
    log.failWith = undefined;

    // leading the partition again (a new leader epoch, same leader) keeps the groups as they are
    await manager.onElection(0);
    expect(c.describeGroup('g').state).toBe('Stable');
    expect(c.heartbeat('g', a.memberId, a.generationId)).toBe(ErrorCode.NONE);

    // the partition moves to another broker: it loads what was written
    manager.onResignation(0);
    expect(c.heartbeat('g', a.memberId, a.generationId)).toBe(ErrorCode.NOT_COORDINATOR);
    const other = setup({}, log);
    await other.manager.onElection(0);
    expect(other.c.fetchOffsets('simple', [{ topic: 't', partition: 0 }]).offsets[0]!.offset).toBe(42);
    expect(other.c.fetchOffsets('g', [{ topic: 't', partition: 1 }, { topic: 't', partition: 9 }]).offsets.map((o) => o.offset)).toEqual([7, -1]);
    const d = other.c.describeGroup('g');
    expect(d.state).toBe('Stable');
    expect(d.members.map((m) => [m.memberId, m.assignment.toString()])).toEqual([[a.memberId, 'asg']]);
    expect(other.c.heartbeat('g', a.memberId, a.generationId)).toBe(ErrorCode.NONE);

    // an empty group can be deleted; its offsets go with it, also after another load
    expect(await other.c.deleteGroup('g')).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect(await other.c.deleteGroup('simple')).toBe(ErrorCode.NONE);
    expect(await other.c.deleteGroup('simple')).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    const third = setup({}, log);
    await third.manager.onElection(0);
    expect(third.c.fetchOffsets('simple', [{ topic: 't', partition: 0 }]).offsets[0]!.offset).toBe(-1);
    expect(third.c.listGroups().groups.map((g) => g.groupId)).toEqual(['g']);
  });

  it('expires the offsets of an empty group after offsets.retention.minutes, and keeps those of a group with members', async () => {
    const { c, manager } = setup({ 'offsets.retention.minutes': '1' });
    await manager.onElection(0);
    await c.commitOffsets({ groupId: 'old', generationId: -1, memberId: '', retentionMs: -1, offsets: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] });
    const a = await join(c);
    await c.syncGroup('g', a.generationId, a.memberId, new Map());
    await c.commitOffsets({ groupId: 'g', generationId: a.generationId, memberId: a.memberId, retentionMs: -1, offsets: [{ topic: 't', partition: 0, offset: 5, leaderEpoch: -1, metadata: null }] });
    // an explicit retention (OffsetCommit v2) expires on its own clock
    await c.commitOffsets({ groupId: 'short', generationId: -1, memberId: '', retentionMs: 0, offsets: [{ topic: 't', partition: 0, offset: 3, leaderEpoch: -1, metadata: null }] });
    // a group whose only member joined and left again, with nothing committed
    const gone = await join(c, { groupId: 'gone' });
    expect(c.leaveGroup('gone', gone.memberId)).toBe(ErrorCode.NONE);
    await until(() => c.describeGroup('gone').state === 'Empty');
    expect(await c.expireOffsets()).toBe(1);
    expect(c.fetchOffsets('short', null).offsets).toEqual([]);
    expect(c.fetchOffsets('old', null).offsets.length).toBe(1);
    expect(c.fetchOffsets('g', null).offsets.length).toBe(1);
    // the empty groups without offsets are gone; the others stay
    expect(c.listGroups().groups.map((x) => x.groupId).sort()).toEqual(['g', 'old']);
  });

  it('a commit to a group being deleted is told COORDINATOR_NOT_AVAILABLE (retry), and the retry after it makes a new group', async () => {
    const { c, manager, log } = setup();
    await manager.onElection(0);
    const gone = await join(c, { groupId: 'gone' });
    expect(c.leaveGroup('gone', gone.memberId)).toBe(ErrorCode.NONE);
    await until(() => c.describeGroup('gone').state === 'Empty');
    let release!: () => void;
    log.hold = new Promise<void>((r) => (release = r));
    // expiry deletes the empty group: Dead at once, gone from the coordinator once its tombstone is written
    const expiring = c.expireOffsets();
    await until(() => c.describeGroup('gone').state === 'Dead');
    const commit = () => c.commitOffsets({ groupId: 'gone', generationId: -1, memberId: '', retentionMs: -1, offsets: [{ topic: 't', partition: 0, offset: 9, leaderEpoch: -1, metadata: null }] });
    expect([...(await commit()).values()]).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    // so are a join, a sync, a heartbeat and a leave (Kafka 2.0+), not UNKNOWN_MEMBER_ID: the member retries
    expect((await join(c, { groupId: 'gone' })).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await c.syncGroup('gone', gone.generationId, gone.memberId, new Map())).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(c.heartbeat('gone', gone.memberId, gone.generationId)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(c.leaveGroup('gone', gone.memberId)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    log.hold = undefined;
    release();
    await expiring;
    expect([...(await commit()).values()]).toEqual([ErrorCode.NONE]);
    expect(c.fetchOffsets('gone', null).offsets.map((o) => o.offset)).toEqual([9]);
  });

  it('a join refused for its protocol (none, or no protocol type) creates no group', async () => {
    const { c, manager } = setup();
    await manager.onElection(0);
    expect((await join(c, { groupId: 'p', protocols: [] })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join(c, { groupId: 'p', protocolType: '' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await join(c, { groupId: 'p', memberId: 'made-up' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.listGroups().groups.map((x) => x.groupId)).toEqual([]);
    expect((await join(c, { groupId: 'p' })).errorCode).toBe(ErrorCode.NONE);
  });
});
