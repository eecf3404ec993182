/**
 * What a Partition does when its leadership ends or its log fails.
 *
 * An acks=all append waiting for the high watermark on a leader that stops leading fails at
 * once with NOT_LEADER_FOR_PARTITION (Kafka's DelayedProduce does the same). Without this, the
 * demoted replica, truncated to the new leader and copying its records, learned a high
 * watermark past the waiting offset, now holding other records, and acknowledged a record
 * that was gone.
 *
 * A log stopped by a failed fsync (log.ts) is told to the replica manager as a storage error,
 * as a failed write is, so that the replica is failed over.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Partition, type LeaderAndIsrState } from '../../src/broker/replica/partition.js';
import { LeaderEpochCache } from '../../src/broker/replica/leader-epoch-cache.js';
import { PartitionLog } from '../../src/storage/log.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { ErrorCode, KafkaError } from '../../src/common/errors.js';
import { cfg, tmpLogDir } from '../storage/helpers.js';
import type { FlushScheduler } from '../../src/storage/flush-scheduler.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function leader(opts: { flushScheduler?: FlushScheduler } = {}): Promise<Partition> {
  const t = tmpLogDir();
  cleanups.push(t.cleanup);
  const dir = path.join(t.dir, 'topic-0');
  const log = await PartitionLog.open(dir, cfg(), undefined, opts);
  const p = new Partition(1, log, await LeaderEpochCache.load(dir), 0, async () => undefined);
  cleanups.push(async () => {
    p.close();
    await log.close();
  });
  await p.makeLeader(state(1, 0), Date.now());
  return p;
}

const state = (leaderId: number, leaderEpoch: number): LeaderAndIsrState => ({ leader: leaderId, leaderEpoch, isr: [1, 2], zkVersion: 0, controllerEpoch: 1, replicas: [1, 2] });
const batch = (values: string[], baseOffset = 0, partitionLeaderEpoch = 0): Buffer => encodeRecordBatch({ records: values.map((value) => ({ value })), baseOffset, partitionLeaderEpoch });

function outcome(p: Promise<unknown>): Promise<string | number> {
  return p.then(
    () => 'acknowledged',
    (e: unknown) => (e instanceof KafkaError ? e.code : String(e)),
  );
}

describe('Partition: appends waiting for the high watermark when leadership ends', () => {
  it('fail with NOT_LEADER_FOR_PARTITION when the leader becomes a follower, and are not acknowledged by the new leader\'s high watermark', async () => {
    const p = await leader();
    const info = await p.appendAsLeader(batch(['mine-0', 'mine-1', 'mine-2']));
    await p.log.flush();
    // follower 2 has not fetched them: the acks=all write waits
    const waiting = outcome(p.waitForHighWatermark(info.lastOffset, 10_000));
    // broker 2 was elected without them; this replica follows it, truncates, copies its records
    p.makeFollower(state(2, 1));
    await p.truncateTo(0);
    await p.appendAsFollower(batch(['theirs-0', 'theirs-1', 'theirs-2', 'theirs-3'], 0, 1));
    await p.log.flush();
    p.updateFollowerHighWatermark(4);
    expect(p.highWatermark).toBe(4);
    expect(await waiting).toBe(ErrorCode.NOT_LEADER_FOR_PARTITION);
  });

  it('fail with NOT_LEADER_FOR_PARTITION when the replica is stopped', async () => {
    const p = await leader();
    const info = await p.appendAsLeader(batch(['a']));
    const waiting = outcome(p.waitForHighWatermark(info.lastOffset, 10_000));
    p.stop();
    expect(await waiting).toBe(ErrorCode.NOT_LEADER_FOR_PARTITION);
  });

  it('are acknowledged while it leads and the followers catch up', async () => {
    const p = await leader();
    const info = await p.appendAsLeader(batch(['a', 'b']));
    await p.log.flush();
    const waiting = outcome(p.waitForHighWatermark(info.lastOffset, 10_000));
    p.recordFollowerFetch(2, info.lastOffset + 1, Date.now());
    expect(await waiting).toBe('acknowledged');
  });
});

describe('Partition: a log stopped by a failed fsync', () => {
  it('is a storage error for the replica manager, and the waiting write fails', async () => {
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', syscall: 'fdatasync' });
    const disk = { run: async (flush: (d: () => Promise<number>) => Promise<unknown>) => void (await flush(async () => Promise.reject(eio)).catch(() => undefined)) } as unknown as FlushScheduler;
    const p = await leader({ flushScheduler: disk });
    const told: string[] = [];
    p.on('storage-error', (e: NodeJS.ErrnoException) => told.push(e.code!));
    const info = await p.appendAsLeader(batch(['a']));
    await expect(p.log.waitForFlush(info.lastOffset)).rejects.toMatchObject({ code: 'EIO' });
    expect(told).toEqual(['EIO']);
    // and the next write is refused as a storage error too (its append fails at once)
    await expect(p.appendAsLeader(batch(['b']))).rejects.toMatchObject({ code: 'EIO' });
    expect(told).toEqual(['EIO', 'EIO']);
  });
});
