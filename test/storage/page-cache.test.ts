import path from 'node:path';
import { openSync, closeSync, writeFileSync, fsyncSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ENTRY_MAX_BYTES, ENTRY_MIN_BYTES, PageCacheBudget, nativeDropCache, type CachedFile } from '../../src/storage/page-cache.js';
import { PartitionLog } from '../../src/storage/log.js';
import { batchOf, cfg, readAll, tmpLogDir, vals } from './helpers.js';
import { waitFor } from '../helpers/wait.js';
import { cachedBytes } from '../helpers/page-cache.js';

const MiB = 1 << 20;

/** A drop function that records its calls. */
function recording(): { calls: [number, number, number][]; drop: (fd: number, offset: number, length: number) => Promise<void> } {
  const calls: [number, number, number][] = [];
  return { calls, drop: async (fd, offset, length) => void calls.push([fd, offset, length]) };
}

const file = (fd: number | undefined): CachedFile => ({ cacheFd: fd });

describe('PageCacheBudget (the accounting)', () => {
  it('counts flushed data from 1 MiB on, and drops the oldest once more than the budget is retained', () => {
    const r = recording();
    const b = new PageCacheBudget();
    b.configure(4 * MiB, r.drop);
    const a = file(10);
    const c = file(11);
    b.flushed(a, MiB / 2); // under 1 MiB: not counted yet
    expect(b.stats.retainedBytes).toBe(0);
    b.flushed(a, 3 * MiB);
    b.flushed(c, 2 * MiB); // 5 MiB retained, over by 1: the oldest entry goes whole (a's first 3 MiB)
    expect(r.calls).toEqual([[10, 0, 3 * MiB]]);
    expect(b.stats).toMatchObject({ retainedBytes: 2 * MiB, drops: 1, droppedBytes: 3 * MiB });
    b.flushed(a, 6 * MiB); // 3 MiB more of a, after c's entry: retained 5 MiB -> c's goes
    expect(r.calls).toEqual([
      [10, 0, 3 * MiB],
      [11, 0, 2 * MiB],
    ]);
    expect(b.stats.retainedBytes).toBe(3 * MiB);
  });

  it('merges one file flushed in a row up to 8 MiB an entry, and splits a larger flush', () => {
    const r = recording();
    const b = new PageCacheBudget();
    b.configure(64 * MiB, r.drop);
    const a = file(3);
    for (let to = 1; to <= 20; to++) b.flushed(a, to * MiB);
    b.flushed(a, 40 * MiB); // 20 MiB at once: 8 + 8 + 4
    b.configure(0, r.drop);
    b.configure(1, r.drop); // nothing retained after a reset
    expect(r.calls).toEqual([]);
    const b2 = new PageCacheBudget();
    b2.configure(0.5 * MiB, r.drop);
    b2.flushed(a, 20 * MiB);
    // every entry is over the budget: dropped in entries of at most 8 MiB, oldest first
    expect(r.calls).toEqual([
      [3, 0, ENTRY_MAX_BYTES],
      [3, 8 * MiB, 8 * MiB],
      [3, 16 * MiB, 4 * MiB],
    ]);
  });

  it('skips a closed file, starts a truncated file again where it was cut, and does nothing while off', () => {
    const r = recording();
    const b = new PageCacheBudget();
    b.flushed(file(1), 10 * MiB); // off (never configured)
    expect(b.enabled).toBe(false);
    b.configure(MiB, undefined); // no way to drop: off
    expect(b.enabled).toBe(false);
    b.configure(MiB, r.drop);
    const closed = { cacheFd: 5 as number | undefined };
    b.flushed(closed, 2 * MiB);
    expect(r.calls).toEqual([[5, 0, 2 * MiB]]);
    const t = file(6);
    b.flushed(t, ENTRY_MIN_BYTES);
    b.flushed(t, MiB / 4); // truncated
    b.flushed(t, MiB / 4 + 2 * MiB);
    expect(r.calls.at(-1)).toEqual([6, MiB / 4, 2 * MiB]);
    closed.cacheFd = undefined;
    b.flushed(closed, 4 * MiB);
    expect(r.calls.filter(([fd]) => fd === 5)).toHaveLength(1);
    expect(b.stats.retainedBytes).toBeLessThanOrEqual(MiB);
  });
});

const native = nativeDropCache;

describe.skipIf(!native)('PageCacheBudget with the native fadvise, on a real log', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('the module drops a file\'s flushed pages, and rejects with the reason for a closed descriptor', async () => {
    const t = tmpLogDir();
    cleanups.push(t.cleanup);
    const f = path.join(t.dir, 'data');
    writeFileSync(f, Buffer.alloc(4 * MiB, 7));
    const fd = openSync(f, 'r');
    fsyncSync(fd);
    expect(cachedBytes(f)).toBe(4 * MiB);
    await native!(fd, 0, 4 * MiB);
    expect(cachedBytes(f)).toBe(0);
    closeSync(fd);
    await expect(native!(fd, 0, MiB)).rejects.toThrow(/^fadvise: Bad file descriptor/);
    expect(() => native!(-1, 0, MiB)).toThrow(/expected \(fd >= 0/);
  });

  it('a log keeps about the budget of its newest flushed data cached, and reads the dropped part back from the disk intact', async () => {
    const t = tmpLogDir();
    cleanups.push(t.cleanup);
    const budget = new PageCacheBudget();
    budget.configure(2 * MiB, native);
    const log = await PartitionLog.open(path.join(t.dir, 'pc-0'), cfg(), undefined, { cleanShutdown: true, recoveryPoint: 0, pageCache: budget });
    const segment = path.join(t.dir, 'pc-0', '00000000000000000000.log');
    // 8 MiB in 16 appends of 64 records of ~8 KiB, each flushed
    for (let i = 0; i < 16; i++) {
      await log.append(batchOf(vals(i * 64, 64, 8000)));
      await log.flush();
    }
    expect(budget.stats.droppedBytes).toBeGreaterThanOrEqual(5 * MiB);
    await waitFor(() => cachedBytes(segment) <= 3 * MiB + 64 * 1024, { what: 'the older flushed pages to leave the page cache' });
    const all = await readAll(log, 0, 256 * 1024);
    expect(all).toHaveLength(16 * 64);
    expect(all.map((x) => x.value?.toString())).toEqual(vals(0, 16 * 64, 8000));
    expect(budget.stats.failures).toBe(0);
    await log.close();
  });
});
