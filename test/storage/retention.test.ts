import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { ManualClock } from '../../src/storage/clock.js';
import { PartitionLog } from '../../src/storage/log.js';
import { batchOf, cfg, readAll, tmpLogDir, vals } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function logDir(): string {
  const t = tmpLogDir();
  cleanups.push(t.cleanup);
  return path.join(t.dir, 'ret-0');
}
const HOUR = 3_600_000;

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe('retention', () => {
  it('by time: deletes whole old segments (largest timestamp), renames to .deleted, removes after the delay', async () => {
    const clock = new ManualClock();
    const dir = logDir();
    const log = await PartitionLog.open(dir, cfg({ segmentBytes: 1500, retentionMs: HOUR, fileDeleteDelayMs: 1000 }), clock);
    const old = clock.now() - 3 * HOUR;
    for (let i = 0; i < 60; i++) await log.append(batchOf(vals(i, 1, 50), old));
    const firstNew = log.logEndOffset;
    for (let i = 0; i < 60; i++) await log.append(batchOf(vals(60 + i, 1, 50), clock.now()));
    await log.flush();
    const segsBefore = log.segmentBaseOffsets;
    const deleted = await log.deleteOldSegments();
    expect(deleted).toBeGreaterThan(0);
    // only segments whose largest timestamp is old go: the first survivor holds a new record
    expect(log.logStartOffset).toBeLessThanOrEqual(firstNew);
    expect(log.segmentBaseOffsets).toEqual(segsBefore.slice(deleted));
    expect(readdirSync(dir).filter((f) => f.endsWith('.deleted')).length).toBe(deleted * 3);
    await expect(log.read(0, 100)).rejects.toMatchObject({ code: 1 });
    const recs = await readAll(log);
    expect(recs[0]!.offset).toBe(log.logStartOffset);
    expect(recs.at(-1)!.offset).toBe(119);
    clock.advance(1000);
    await until(() => readdirSync(dir).filter((f) => f.endsWith('.deleted')).length === 0);
    // everything expires: the log rolls, keeps its end offset, and is empty
    clock.advance(10 * HOUR);
    await log.deleteOldSegments();
    expect(log.logStartOffset).toBe(120);
    expect(log.logEndOffset).toBe(120);
    expect((await log.append(batchOf(['x']))).firstOffset).toBe(120);
    await log.close();
  });

  it('by time without timestamps uses the file mtime; never deletes the only (active) segment when empty', async () => {
    const clock = new ManualClock(Date.now());
    const log = await PartitionLog.open(logDir(), cfg({ segmentBytes: 1000, retentionMs: HOUR }), clock);
    for (let i = 0; i < 20; i++) await log.append(encodeRecordBatch({ records: [{ value: 'y'.repeat(100), timestamp: -1 }] }));
    await log.flush();
    expect(await log.deleteOldSegments()).toBe(0);
    clock.advance(2 * HOUR);
    expect(await log.deleteOldSegments()).toBeGreaterThan(0);
    expect(log.logStartOffset).toBe(20);
    expect(await log.deleteOldSegments()).toBe(0);
    expect(log.segmentBaseOffsets).toEqual([20]);
    await log.close();
  });

  it('by size: oldest segments go while the log stays at or above retention.bytes', async () => {
    const log = await PartitionLog.open(logDir(), cfg({ segmentBytes: 1000, retentionBytes: 3000, retentionMs: -1 }));
    for (let i = 0; i < 100; i++) await log.append(batchOf(vals(i, 1, 80)));
    await log.flush();
    const before = log.size;
    const n = await log.deleteOldSegments();
    expect(n).toBeGreaterThan(0);
    expect(log.size).toBeGreaterThanOrEqual(3000);
    expect(log.size).toBeLessThan(before);
    expect(await log.deleteOldSegments()).toBe(0);
    const recs = await readAll(log);
    expect(recs.at(-1)!.offset).toBe(99);
    expect(recs[0]!.offset).toBe(log.logStartOffset);
    await log.close();
    expect(existsSync(log.dir)).toBe(true);
  });
});
