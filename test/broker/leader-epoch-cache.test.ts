import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
});
