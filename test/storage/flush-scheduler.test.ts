import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FlushScheduler } from '../../src/storage/flush-scheduler.js';
import { PartitionLog } from '../../src/storage/log.js';
import { batchOf, cfg, readAll, tmpLogDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('FlushScheduler', () => {
  it('runs at most `concurrency` flushes at once, the waiting ones in arrival order', async () => {
    const s = new FlushScheduler(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const gates = Array.from({ length: 6 }, gate);
    const done = gates.map((g, i) =>
      s.run(async () => {
        order.push(i);
        running++;
        most = Math.max(most, running);
        await g.wait;
        running--;
        return { appends: 1, fsyncs: 1 };
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([0, 1]);
    expect(s.stats).toMatchObject({ running: 2, queued: 4 });
    gates[1]!.open();
    await done[1];
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    await Promise.all(done);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(s.stats).toEqual({ flushes: 6, fsyncs: 6, appends: 6, queued: 0, running: 0 });
  });

  it('frees the slot when a flush fails', async () => {
    const s = new FlushScheduler(1);
    await expect(s.run(() => Promise.reject(new Error('EIO')))).rejects.toThrow('EIO');
    await s.run(async () => ({ appends: 0, fsyncs: 0 }));
    expect(s.stats.running).toBe(0);
  });

  it('tells observers the wait, the fsync time and the group size', async () => {
    const s = new FlushScheduler(1);
    const seen: number[] = [];
    const off = s.observe((o) => {
      expect(o.waitMs).toBeGreaterThanOrEqual(0);
      expect(o.flushMs).toBeGreaterThanOrEqual(0);
      seen.push(o.appends);
    });
    await s.run(async () => ({ appends: 3, fsyncs: 1 }));
    off();
    await s.run(async () => ({ appends: 5, fsyncs: 1 }));
    expect(seen).toEqual([3]);
  });

  it('a log that waits for a slot fixes its target then: one fsync covers every append made while it waited', async () => {
    const t = tmpLogDir();
    cleanups.push(t.cleanup);
    const s = new FlushScheduler(1);
    const log = await PartitionLog.open(path.join(t.dir, 'waits-0'), cfg({ flushIntervalMessages: 1 }), undefined, { flushScheduler: s });
    // another log's fsync holds the only slot
    const busy = gate();
    const holder = s.run(async () => {
      await busy.wait;
      return { appends: 0, fsyncs: 0 };
    });
    const acks = [];
    for (let i = 0; i < 20; i++) {
      const r = await log.append(batchOf([`v${i}`]));
      acks.push(log.waitForFlush(r.lastOffset));
    }
    expect(log.flushedOffset).toBe(0); // nothing is exposed before its fsync
    busy.open();
    await holder;
    await Promise.all(acks);
    expect(log.flushedOffset).toBe(20);
    expect(log.flushStats.fsyncs).toBe(1);
    expect(s.stats).toMatchObject({ flushes: 2, appends: 20 });
    expect((await readAll(log)).length).toBe(20);
    await log.close();
  });
});
