import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlushScheduler, type GroupSync } from '../../src/storage/flush-scheduler.js';
import { FileSyncBatcher, FileSystemSync, SYNCFS_HELPERS, kernelReportsSyncfsErrors } from '../../src/storage/syncfs.js';
import { promises as fsp, writeFileSync } from 'node:fs';
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
    expect(s.stats).toEqual({ flushes: 6, fsyncs: 6, syncfs: 0, appends: 6, queued: 0, running: 0 });
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

  describe('group flushes (one syncfs for many logs)', () => {
    /** A GroupSync that records its calls and is held until opened. */
    function recordingSync(): GroupSync & { calls: string[][]; gate: ReturnType<typeof gate>; fail?: Error } {
      const g = gate();
      const r = {
        calls: [] as string[][],
        gate: g,
        fail: undefined as Error | undefined,
        async sync(dirs: string[]) {
          r.calls.push(dirs);
          await g.wait;
          if (r.fail) throw r.fail;
        },
      };
      return r;
    }

    async function logsIn(dir: string, n: number, s: FlushScheduler): Promise<PartitionLog[]> {
      return Promise.all(Array.from({ length: n }, (_, i) => PartitionLog.open(path.join(dir, `g-${i}`), cfg({ flushIntervalMessages: 1 }), undefined, { flushScheduler: s })));
    }

    it('logs waiting together flush through one syncfs of their log dir, and nothing is exposed before it', async () => {
      const t = tmpLogDir();
      cleanups.push(t.cleanup);
      const s = new FlushScheduler(1);
      const sync = recordingSync();
      s.groupFlushes(sync, 4);
      const logs = await logsIn(t.dir, 10, s);
      // one slot held: every log's flush queues behind it
      const busy = gate();
      const holder = s.run(async () => {
        await busy.wait;
        return { appends: 0, fsyncs: 0 };
      });
      // (each wait is wrapped: an async function returning the promise itself would await it)
      const acks = await Promise.all(logs.map(async (log, i) => ({ flushed: log.waitForFlush((await log.append(batchOf([`a${i}`, `b${i}`]))).lastOffset) })));
      expect(s.stats.queued).toBe(10);
      busy.open();
      await holder;
      await until(() => sync.calls.length === 1);
      expect(sync.calls[0]).toEqual([t.dir]); // the log dir, once, not one call per partition
      for (const log of logs) expect(log.flushedOffset).toBe(0);
      sync.gate.open();
      await Promise.all(acks.map((a) => a.flushed));
      for (const log of logs) expect(log.flushedOffset).toBe(2);
      expect(s.stats).toMatchObject({ syncfs: 1, fsyncs: 0, appends: 10, queued: 0, running: 0 });
      for (const log of logs) expect((await readAll(log)).length).toBe(2);
      await Promise.all(logs.map((l) => l.close()));
    });

    it('fewer waiting logs than the threshold keep their own fdatasyncs', async () => {
      const t = tmpLogDir();
      cleanups.push(t.cleanup);
      const s = new FlushScheduler(1);
      const sync = recordingSync();
      s.groupFlushes(sync, 4);
      const logs = await logsIn(t.dir, 3, s);
      await Promise.all(logs.map(async (log) => log.waitForFlush((await log.append(batchOf(['x']))).lastOffset)));
      expect(sync.calls).toEqual([]);
      expect(s.stats).toMatchObject({ syncfs: 0, fsyncs: 3 });
      await Promise.all(logs.map((l) => l.close()));
    });

    it('a failed syncfs fails every member\'s flush (nothing exposed) and frees the slot', async () => {
      const t = tmpLogDir();
      cleanups.push(t.cleanup);
      const s = new FlushScheduler(1);
      const sync = recordingSync();
      sync.fail = new Error('EIO from syncfs');
      s.groupFlushes(sync, 2);
      const logs = await logsIn(t.dir, 5, s);
      const busy = gate();
      const holder = s.run(async () => {
        await busy.wait;
        return { appends: 0, fsyncs: 0 };
      });
      const acks = await Promise.all(logs.map(async (log) => ({ flushed: log.waitForFlush((await log.append(batchOf(['y']))).lastOffset).then(() => 'flushed', (e: Error) => e.message) })));
      busy.open();
      await holder;
      sync.gate.open();
      expect(await Promise.all(acks.map((a) => a.flushed))).toEqual(Array(5).fill('EIO from syncfs'));
      for (const log of logs) expect(log.flushedOffset).toBe(0);
      await until(() => s.stats.running === 0);
      await s.run(async () => ({ appends: 0, fsyncs: 0 }));
    });

    it('checkpoint fsyncs asked for in one turn share one syncfs when there are enough of them', async () => {
      const t = tmpLogDir();
      cleanups.push(t.cleanup);
      const calls: string[][] = [];
      const fake = { sync: async (dirs: string[]) => void calls.push(dirs) } as unknown as FileSystemSync;
      const b = new FileSyncBatcher(fake, 4);
      const open = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => fsp.open(path.join(t.dir, `cp-${n}-${i}`), 'w')));
      const many = await open(6);
      await Promise.all(many.map((fh) => b.sync(fh, t.dir)));
      expect(calls).toEqual([[t.dir, t.dir, t.dir, t.dir, t.dir, t.dir]]);
      const few = await open(2);
      await Promise.all(few.map((fh) => b.sync(fh, t.dir))); // below the threshold: their own fsyncs
      expect(calls.length).toBe(1);
      for (const fh of [...many, ...few]) await fh.close();
    });

    for (const [helper, failure] of [
      ['native', /syncfs of .*missing dir.* failed: .*missing dir: No such file or directory/],
      ['python3', /syncfs of .*missing dir.* failed \(status 1\): .*missing dir: No such file or directory/],
      ['sh', /syncfs of .*missing dir.* failed \(sync -f exit 1\)/],
    ] as const) {
      it.runIf(kernelReportsSyncfsErrors())(`FileSystemSync runs syncfs through ${helper} and reports a failure with its message`, async () => {
        const t = tmpLogDir();
        cleanups.push(t.cleanup);
        const fss = await FileSystemSync.probe(t.dir, [helper]);
        expect(fss?.helper).toBe(helper);
        await fss!.sync([t.dir, t.dir]);
        await expect(fss!.sync([path.join(t.dir, 'missing dir')])).rejects.toThrow(failure);
        await expect(fss!.sync(["it's\nbad"])).rejects.toThrow(/newline/);
        if (helper === 'native') await expect(fss!.sync([`${t.dir}\0/elsewhere`])).rejects.toThrow(/NUL byte/);
        await fss!.sync([t.dir]); // still working after a failure
        fss!.close();
      });
    }

    it('ZKAFKA_SYNCFS=helper leaves the native module out', async () => {
      vi.stubEnv('ZKAFKA_SYNCFS', 'helper');
      vi.resetModules();
      try {
        const fresh = await import('../../src/storage/syncfs.js');
        expect(fresh.SYNCFS_HELPERS).toEqual(['python3', 'sh']);
        await expect(new fresh.FileSystemSync('native').sync(['.'])).rejects.toThrow(/native syncfs module is not built/);
      } finally {
        vi.unstubAllEnvs();
        vi.resetModules();
      }
    });

    it.runIf(kernelReportsSyncfsErrors())('FileSystemSync.probe takes the native module first, then python3, and falls back to the shell when a helper cannot run', async () => {
      const t = tmpLogDir();
      cleanups.push(t.cleanup);
      // setup builds the module here (gcc and Node's headers are part of it)
      expect(SYNCFS_HELPERS).toEqual(['native', 'python3', 'sh']);
      const preferred = await FileSystemSync.probe(t.dir);
      expect(preferred?.helper).toBe('native');
      const helper = await FileSystemSync.probe(t.dir, ['python3', 'sh']);
      expect(helper?.helper).toBe('python3'); // python3 is part of this project's setup
      preferred!.close();
      helper!.close();
      // a python3 first on PATH that exits at once, as one without ctypes' syncfs would
      writeFileSync(path.join(t.dir, 'python3'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
      const path0 = process.env.PATH;
      process.env.PATH = `${t.dir}:${path0}`;
      try {
        const fallback = await FileSystemSync.probe(t.dir, ['python3', 'sh']);
        expect(fallback?.helper).toBe('sh');
        fallback?.close();
      } finally {
        process.env.PATH = path0;
      }
    });

    it('a helper that stops reading fails the sync sent to it (no unhandled EPIPE) and the next sync starts a new one', async () => {
      const t = tmpLogDir();
      cleanups.push(t.cleanup);
      // answers the first request, then closes its stdin while it keeps running
      writeFileSync(path.join(t.dir, 'python3'), '#!/bin/sh\nread line\nexec 0<&-\necho "|0"\nsleep 5\n', { mode: 0o755 });
      const path0 = process.env.PATH;
      process.env.PATH = `${t.dir}:${path0}`;
      try {
        const fss = new FileSystemSync('python3');
        await fss.sync([t.dir]);
        await expect(fss.sync([t.dir])).rejects.toThrow(/syncfs helper stopped reading: .*EPIPE/);
        await fss.sync([t.dir]); // a new helper answers
        fss.close();
      } finally {
        process.env.PATH = path0;
      }
    });
  });
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
