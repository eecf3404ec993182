import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LeaderEpochCache, LEADER_EPOCH_CHECKPOINT } from '../../src/broker/replica/leader-epoch-cache.js';

describe('leader epoch cache', () => {
  it('answers where an epoch ended, truncates, and survives a reopen in Kafka checkpoint format', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'epochs-'));
    try {
      const c = await LeaderEpochCache.load(dir);
      expect(c.endOffsetFor(0, 10)).toEqual({ epoch: -1, endOffset: -1 });
      await c.assign(0, 0);
      await c.assign(2, 100);
      await c.assign(1, 50); // older than the latest: ignored
      await c.assign(5, 180);
      expect(c.latestEpoch).toBe(5);
      expect(c.endOffsetFor(0, 200)).toEqual({ epoch: 0, endOffset: 100 });
      expect(c.endOffsetFor(1, 200)).toEqual({ epoch: 0, endOffset: 100 });
      expect(c.endOffsetFor(3, 200)).toEqual({ epoch: 2, endOffset: 180 });
      expect(c.endOffsetFor(5, 200)).toEqual({ epoch: 5, endOffset: 200 });
      expect(c.endOffsetFor(9, 200)).toEqual({ epoch: 5, endOffset: 200 });
      expect(readFileSync(path.join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n3\n0 0\n2 100\n5 180\n');
      await c.truncateFromEnd(150);
      expect(c.entries).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 100 }]);
      const again = await LeaderEpochCache.load(dir);
      expect(again.entries).toEqual(c.entries);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failed checkpoint write fails its caller, and the next assign or flush writes everything again', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'epochs-'));
    const file = path.join(dir, LEADER_EPOCH_CHECKPOINT);
    try {
      const c = await LeaderEpochCache.load(dir);
      await c.assign(0, 0);
      mkdirSync(`${file}.tmp`); // the temporary file cannot be opened for writing: EISDIR
      await expect(c.assign(1, 40)).rejects.toThrow(/EISDIR/);
      expect(readFileSync(file, 'utf8')).toBe('0\n1\n0 0\n'); // the old checkpoint stays whole
      await expect(c.flushIfDirty()).rejects.toThrow(/EISDIR/); // still failing: still reported
      rmdirSync(`${file}.tmp`);
      await c.flushIfDirty(); // retried, not the stale rejection
      expect(readFileSync(file, 'utf8')).toBe('0\n2\n0 0\n1 40\n');
      await c.assign(2, 90);
      expect(readFileSync(file, 'utf8')).toBe('0\n3\n0 0\n1 40\n2 90\n');
      await c.flushIfDirty(); // nothing new: resolves
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
