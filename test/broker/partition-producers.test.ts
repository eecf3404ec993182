/**
 * A Partition's producer table over a real log on a temporary directory: a follower keeps it from
 * the batches it copies, so as leader it recognises a resend and refuses a gap; after a
 * truncation it reads again what remains of the log; a new Partition on the same log (a restart)
 * learns the producers from the log's tail.
 */
import { mkdirSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Partition, type LeaderAndIsrState } from '../../src/broker/replica/partition.js';
import { LeaderEpochCache } from '../../src/broker/replica/leader-epoch-cache.js';
import { PartitionLog } from '../../src/storage/log.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { ErrorCode, KafkaError } from '../../src/common/errors.js';
import { cfg, tmpLogDir } from '../storage/helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function openPartition(dir: string): Promise<Partition> {
  const log = await PartitionLog.open(dir, cfg());
  const p = new Partition(1, log, await LeaderEpochCache.load(dir), 0, async () => undefined);
  cleanups.push(async () => {
    p.close();
    await log.close().catch(() => undefined); // closed already by a test that restarts it
  });
  return p;
}

const state = (leader: number, leaderEpoch: number): LeaderAndIsrState => ({ leader, leaderEpoch, isr: [1, 2], zkVersion: 0, controllerEpoch: 1, replicas: [1, 2] });

/** A batch of producer 7: sequences seq..seq+n-1, at `offset` when copied by a follower. */
const batch = (seq: number, n: number, offset = 0): Buffer =>
  encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: `s${seq + i}` })), producerId: 7, producerEpoch: 0, baseSequence: seq, baseOffset: offset, partitionLeaderEpoch: 0 });

async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof KafkaError ? e.code : -999),
  );
}

describe('Partition: the idempotent producers it knows', () => {
  it('a follower that becomes leader knows them; after a truncation it reads the log again', async () => {
    const t = tmpLogDir();
    cleanups.push(t.cleanup);
    const p = await openPartition(path.join(t.dir, 'topic-0'));
    p.makeFollower(state(2, 0));
    await p.appendAsFollower(batch(0, 3, 0));
    await p.appendAsFollower(batch(3, 2, 3));
    await p.appendAsFollower(batch(5, 2, 5));
    await p.truncateTo(5); // 5-6 were not the new leader's
    await p.makeLeader(state(1, 1), Date.now());
    await p.log.flush();
    expect(await p.appendAsLeader(batch(3, 2))).toMatchObject({ firstOffset: 3, lastOffset: 4 }); // a resend: nothing appended
    expect(p.log.logEndOffset).toBe(5);
    expect(await codeOf(p.appendAsLeader(batch(7, 1)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // 5-6 are gone
    expect(await p.appendAsLeader(batch(5, 2))).toMatchObject({ firstOffset: 5, lastOffset: 6 });
  });

  it('a restarted leader learns them from the tail of its log', async () => {
    const t = tmpLogDir();
    cleanups.push(t.cleanup);
    const dir = path.join(t.dir, 'topic-0');
    const first = await openPartition(dir);
    await first.makeLeader(state(1, 0), Date.now());
    expect(await first.appendAsLeader(batch(0, 3))).toMatchObject({ firstOffset: 0 });
    expect(await first.appendAsLeader(batch(3, 2))).toMatchObject({ firstOffset: 3 });
    await first.log.flush();
    first.close();
    await first.log.close();
    const again = await openPartition(dir);
    await again.makeLeader(state(1, 1), Date.now());
    expect(again.producers.size).toBe(0); // read on the first append, not before
    expect(await again.appendAsLeader(batch(0, 3))).toMatchObject({ firstOffset: 0, lastOffset: 2 });
    expect(again.log.logEndOffset).toBe(5);
    expect(await codeOf(again.appendAsLeader(batch(9, 1)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await again.appendAsLeader(batch(5, 1))).toMatchObject({ firstOffset: 5 });
  });
});

describe('Partition: the leader epoch checkpoint of a new leader', () => {
  it("the epoch's first append finds its start on disk; a checkpoint that cannot be written fails the epoch's appends (KAFKA_STORAGE_ERROR) until a retry can write it", async () => {
    const t = tmpLogDir();
    cleanups.push(t.cleanup);
    const dir = path.join(t.dir, 'topic-0');
    const p = await openPartition(dir);
    await p.makeLeader(state(1, 2), Date.now());
    await p.makeLeader(state(1, 3), Date.now()); // an epoch with no record: never written
    expect((await LeaderEpochCache.load(dir)).entries).toEqual([]);
    expect(await p.appendAsLeader(batch(0, 2))).toMatchObject({ firstOffset: 0 });
    expect((await LeaderEpochCache.load(dir)).entries).toEqual([
      { epoch: 2, startOffset: 0 },
      { epoch: 3, startOffset: 0 },
    ]);

    // the checkpoint's temporary file cannot be created: a directory is in its way
    const broken = path.join(t.dir, 'topic-1');
    const q = await openPartition(broken);
    mkdirSync(path.join(broken, 'leader-epoch-checkpoint.tmp'));
    await q.makeLeader(state(1, 1), Date.now()); // answers at once: the write goes on meanwhile
    expect(await codeOf(q.appendAsLeader(batch(0, 1)))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(await codeOf(q.appendAsLeader(batch(0, 1)))).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(q.log.logEndOffset).toBe(0);
    // the obstacle gone, the producer's retry writes the checkpoint and then its records
    rmdirSync(path.join(broken, 'leader-epoch-checkpoint.tmp'));
    expect(await q.appendAsLeader(batch(0, 1))).toMatchObject({ firstOffset: 0 });
    expect((await LeaderEpochCache.load(broken)).entries).toEqual([{ epoch: 1, startOffset: 0 }]);
  });
});
