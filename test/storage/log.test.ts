import { promises as fsp, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptDataError, KafkaError } from '../../src/common/errors.js';
import { decodeRecordBatches, encodeRecordBatch, readBatchHeader, splitBatches } from '../../src/protocol/records/record-batch.js';
import { ManualClock } from '../../src/storage/clock.js';
import { PartitionLog } from '../../src/storage/log.js';
import { INLINE_WRITE_MAX } from '../../src/storage/inline-io.js';
import { NEVER } from '../../src/storage/config.js';
import type { FlushScheduler } from '../../src/storage/flush-scheduler.js';
import { batchOf, cfg, readAll, tmpLogDir, vals } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function logDir(): string {
  const t = tmpLogDir();
  cleanups.push(t.cleanup);
  return path.join(t.dir, 'topic-a-0');
}

async function dirSnapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir)) out[f] = (await fsp.readFile(path.join(dir, f))).toString('hex');
  return out;
}

describe('PartitionLog append and read', () => {
  it('appends and reads back across many segment rolls, with the names and the index format', async () => {
    const dir = logDir();
    const log = await PartitionLog.open(dir, cfg({ segmentBytes: 4096, indexIntervalBytes: 512 }));
    expect([log.topic, log.partition]).toEqual(['topic-a', 0]);
    let n = 0;
    for (let i = 0; i < 200; i++) {
      const size = 1 + (i % 7);
      const r = await log.append(batchOf(vals(n, size, 20)));
      expect(r).toEqual({ firstOffset: n, lastOffset: n + size - 1, logAppendTime: -1, recordCount: size });
      n += size;
    }
    await log.flush();
    expect(log.logEndOffset).toBe(n);
    expect(log.flushedOffset).toBe(n);
    expect(log.segmentBaseOffsets.length).toBeGreaterThan(10);
    const files = readdirSync(dir).sort();
    expect(files).toContain('00000000000000000000.log');
    expect(files).toContain('00000000000000000000.index');
    expect(files).toContain('00000000000000000000.timeindex');
    expect(files.filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20)))).toEqual(log.segmentBaseOffsets);
    const recs = await readAll(log);
    expect(recs.map((r) => r.offset)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(recs.map((r) => r.value!.toString())).toEqual(vals(0, n, 20));
    // every segment file is at most segment.bytes
    for (const f of files.filter((x) => x.endsWith('.log'))) expect((await fsp.stat(path.join(dir, f))).size).toBeLessThanOrEqual(4096);
    await log.close();
    // the index pins its format: int32 relative offset, int32 position of that batch in the .log
    const idx = await fsp.readFile(path.join(dir, '00000000000000000000.index'));
    const logBytes = await fsp.readFile(path.join(dir, '00000000000000000000.log'));
    expect(idx.length % 8).toBe(0);
    expect(idx.length).toBeGreaterThan(0);
    for (let at = 0; at < idx.length; at += 8) {
      expect(readBatchHeader(logBytes, idx.readInt32BE(at + 4)).baseOffset).toBe(idx.readInt32BE(at));
    }
    const tix = await fsp.readFile(path.join(dir, '00000000000000000000.timeindex'));
    expect(tix.length % 12).toBe(0);
  });

  it('reads into the buffer a caller lends (a leader reusing its followers\' read buffers), the same bytes as a fresh read', async () => {
    const log = await PartitionLog.open(logDir(), cfg());
    for (let i = 0; i < 20; i++) await log.append(batchOf(vals(i * 10, 10, 200)));
    await log.flush();
    const lent = Buffer.alloc(1 << 20, 0xee);
    const asked: number[] = [];
    const fresh = await log.read(35, 16 * 1024);
    const into = await log.read(35, 16 * 1024, undefined, (n) => {
      asked.push(n);
      return lent.subarray(0, n);
    });
    expect(asked.length).toBe(1);
    expect(into.records.buffer).toBe(lent.buffer);
    expect(into.records.equals(fresh.records)).toBe(true);
    expect(into.nextOffset).toBe(fresh.nextOffset);
    expect(decodeRecordBatches(into.records)[0]!.offset).toBe(30);
    await log.close();
  });

  it('reads from the batch that contains an offset, at every offset and every boundary', async () => {
    const dir = logDir();
    const log = await PartitionLog.open(dir, cfg({ segmentBytes: 2000, indexIntervalBytes: 300 }));
    let n = 0;
    for (let i = 0; i < 60; i++) {
      const size = 1 + (i % 4);
      await log.append(batchOf(vals(n, size, 10)));
      n += size;
    }
    await log.flush();
    for (let off = 0; off < n; off++) {
      const r = await log.read(off, 1);
      const batches = splitBatches(r.records);
      expect(batches).toHaveLength(1);
      const h = batches[0]!.header;
      expect(h.baseOffset).toBeLessThanOrEqual(off);
      expect(h.baseOffset + h.lastOffsetDelta).toBeGreaterThanOrEqual(off);
      expect(r.nextOffset).toBe(h.baseOffset + h.lastOffsetDelta + 1);
      const big = await log.read(off, 100_000);
      expect(decodeRecordBatches(big.records)[0]!.offset).toBe(h.baseOffset);
    }
    expect((await log.read(n, 1000)).records.length).toBe(0);
    await expect(log.read(n + 1, 1000)).rejects.toMatchObject({ code: 1 });
    await expect(log.read(-1, 1000)).rejects.toBeInstanceOf(KafkaError);
    await log.close();
  });

  it('returns at least one whole batch even when it is bigger than maxBytes, and never a partial one', async () => {
    const log = await PartitionLog.open(logDir(), cfg());
    await log.append(batchOf(vals(0, 50, 100)));
    await log.append(batchOf(vals(50, 1)));
    await log.flush();
    const first = await log.read(0, 10);
    expect(first.records.length).toBeGreaterThan(5000);
    expect(splitBatches(first.records).partialBytes).toBe(0);
    expect(first.nextOffset).toBe(50);
    const both = await log.read(0, 1_000_000);
    expect(splitBatches(both.records)).toHaveLength(2);
    const capped = await log.read(0, first.records.length + 10);
    expect(splitBatches(capped.records)).toHaveLength(1);
    await log.close();
  });

  it('refuses a bad batch anywhere in the buffer with nothing changed on disk', async () => {
    const dir = logDir();
    const log = await PartitionLog.open(dir, cfg({ segmentBytes: 4096 }));
    for (let i = 0; i < 30; i++) await log.append(batchOf(vals(i * 3, 3, 30)));
    await log.flush();
    const before = await dirSnapshot(dir);
    const good = batchOf(['a', 'b']);
    const flipped = batchOf(['c']);
    flipped[flipped.length - 1]! ^= 1;
    const longLen = batchOf(['d']);
    longLen.writeInt32BE(longLen.readInt32BE(8) + 100, 8);
    const badMagic = batchOf(['e']);
    badMagic[16] = 1;
    for (const bad of [flipped, Buffer.concat([good, flipped]), Buffer.concat([good, longLen]), badMagic, good.subarray(0, 40), Buffer.alloc(0)]) {
      await expect(log.append(Buffer.from(bad))).rejects.toBeInstanceOf(CorruptDataError);
    }
    expect(log.logEndOffset).toBe(90);
    expect(await dirSnapshot(dir)).toEqual(before);
    // and the log still works
    expect((await log.append(good)).firstOffset).toBe(90);
    await log.close();
  });

  it('a write that fails part way leaves no batch behind for recovery to take back (the file is cut at once)', async () => {
    const dir = logDir();
    const log = await PartitionLog.open(dir, cfg());
    await log.append(batchOf(['x']));
    // three 24 KB batches: one 72 KB write, over INLINE_WRITE_MAX, made on the thread pool with FileHandle.write
    const three = Buffer.concat([0, 1, 2].map((i) => batchOf(vals(i, 1, 24000))));
    expect(three.length).toBeGreaterThan(INLINE_WRITE_MAX);
    const firstTwo = three.length - batchOf(vals(2, 1, 24000)).length;
    const probe = await fsp.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    const realWrite = proto.write;
    proto.write = async function (this: unknown, buf: Buffer, off: number, len: number, pos: number) {
      // the disk fills after two whole batches
      await realWrite.call(this, buf, off, firstTwo, pos);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    try {
      await expect(log.append(three)).rejects.toThrow(/ENOSPC/);
    } finally {
      proto.write = realWrite;
    }
    const sizeAfterFailure = (await fsp.stat(path.join(dir, '00000000000000000000.log'))).size;
    expect(sizeAfterFailure).toBe(log.size);
    // the retry of the first record alone is exactly as long as the first torn batch
    expect((await log.append(batchOf(vals(0, 1, 6000)))).firstOffset).toBe(1);
    await log.flush();
    // no close: recovery scans the whole segment
    const recovered = await PartitionLog.open(dir, cfg(), undefined, { cleanShutdown: false, recoveryPoint: 0 });
    expect(recovered.logEndOffset).toBe(2);
    expect((await readAll(recovered)).map((r) => r.value?.toString().slice(0, 2))).toEqual(['x', 'v0']);
    await recovered.close();
    await log.close().catch(() => undefined);
  });

  it('fails the appends waiting on a segment roll that fails (no new segment file), and rolls once it can', async () => {
    const dir = logDir();
    const log = await PartitionLog.open(dir, cfg({ segmentBytes: 300 }));
    await log.append(batchOf(vals(0, 3, 30)));
    // the new segment's files cannot be made: their directory is gone (as with no room or no descriptors)
    const moved = `${dir}.away`;
    await fsp.rename(dir, moved);
    const both = [log.append(batchOf(vals(3, 3, 30))), log.append(batchOf(vals(6, 3, 30)))];
    const settled = await Promise.race([Promise.allSettled(both), new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 5000))]);
    expect(settled).not.toBe('waiting');
    for (const s of settled as PromiseSettledResult<unknown>[]) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toMatchObject({ code: 'ENOENT', syscall: 'open' });
    }
    expect(log.logEndOffset).toBe(3);
    await fsp.rename(moved, dir);
    expect((await log.append(batchOf(vals(3, 3, 30)))).firstOffset).toBe(3);
    await log.flush();
    expect((await readAll(log)).map((r) => r.value?.toString().slice(0, 2))).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.log'))).toEqual(['00000000000000000000.log', '00000000000000000003.log']);
    await log.close();
  });

  it('keeps a replica\'s offsets (assignOffsets: false): increasing, gaps allowed (a compacted leader); sets log-append time', async () => {
    const log = await PartitionLog.open(logDir(), cfg());
    const b = encodeRecordBatch({ baseOffset: 0, records: [{ value: 'a' }, { value: 'b' }] });
    await log.append(b, { assignOffsets: false });
    const behind = encodeRecordBatch({ baseOffset: 1, records: [{ value: 'x' }] });
    await expect(log.append(behind, { assignOffsets: false })).rejects.toMatchObject({ code: 1 });
    const next = encodeRecordBatch({ baseOffset: 2, records: [{ value: 'c', timestamp: 5 }] });
    const r = await log.append(next, { assignOffsets: false, logAppendTime: 123_456 });
    expect(r).toEqual({ firstOffset: 2, lastOffset: 2, logAppendTime: 123_456, recordCount: 1 });
    const gap = encodeRecordBatch({ baseOffset: 7, records: [{ value: 'd' }] });
    expect(await log.append(gap, { assignOffsets: false })).toMatchObject({ firstOffset: 7, lastOffset: 7 });
    expect(log.logEndOffset).toBe(8);
    await log.flush();
    const recs = await readAll(log);
    expect(recs.map((x) => [x.offset, x.value!.toString()])).toEqual([[0, 'a'], [1, 'b'], [2, 'c'], [7, 'd']]);
    expect(recs[2]!.timestamp).toBe(123_456);
    // a read from inside the gap starts at the next batch
    const fromGap = await log.read(4, 1 << 20);
    expect(decodeRecordBatches(fromGap.records).map((x) => x.offset)).toEqual([7]);
    // truncating into the gap leaves the end there, not at the next batch
    await log.truncateTo(5);
    expect(log.logEndOffset).toBe(5);
    await log.close();
  });

  it('offsetNearEnd: an indexed offset about n bytes before the end of the last segment, where a tail scan starts', async () => {
    const dir = logDir();
    const log = await PartitionLog.open(dir, cfg({ segmentBytes: 64 * 1024, indexIntervalBytes: 256 }));
    cleanups.push(() => void log.close());
    let n = 0;
    for (let i = 0; i < 100; i++) {
      await log.append(batchOf(vals(n, 3, 40)));
      n += 3;
    }
    await log.flush();
    expect(log.segmentBaseOffsets).toEqual([0]);
    expect(log.offsetNearEnd(1 << 30)).toBe(0); // the segment is smaller: all of it
    const size = log.size;
    const at = log.offsetNearEnd(2000);
    expect(at).toBeGreaterThan(0);
    // reading from there to the end covers at least the last 2000 bytes, and not much more
    let bytes = 0;
    for (let o = at; o < n; ) {
      const r = await log.read(o, 1 << 20);
      bytes += r.records.length;
      o = r.nextOffset;
    }
    expect(bytes).toBeGreaterThanOrEqual(2000);
    expect(bytes).toBeLessThan(2000 + 256 + 400);
    expect(bytes).toBeLessThan(size);
  });

  it('finds offsets by timestamp', async () => {
    const log = await PartitionLog.open(logDir(), cfg({ segmentBytes: 1500, indexIntervalBytes: 200 }));
    for (let i = 0; i < 100; i++) await log.append(batchOf([`v${i}`], 1000 + i * 10));
    await log.flush();
    expect(await log.offsetForTimestamp(0)).toBe(0);
    expect(await log.offsetForTimestamp(1000)).toBe(0);
    expect(await log.offsetForTimestamp(1001)).toBe(1);
    expect(await log.offsetForTimestamp(1500)).toBe(50);
    expect(await log.offsetForTimestamp(1990)).toBe(99);
    expect(await log.offsetForTimestamp(1991)).toBeUndefined();
    // with the timestamp of the record found (ListOffsets v1+ answers it)
    expect(await log.recordForTimestamp(0)).toEqual({ offset: 0, timestamp: 1000 });
    expect(await log.recordForTimestamp(1001)).toEqual({ offset: 1, timestamp: 1010 });
    expect(await log.recordForTimestamp(1500)).toEqual({ offset: 50, timestamp: 1500 });
    expect(await log.recordForTimestamp(1991)).toBeUndefined();
    await log.close();
  });

  it('truncateTo drops everything at and after an offset, across segments', async () => {
    const log = await PartitionLog.open(logDir(), cfg({ segmentBytes: 1000, indexIntervalBytes: 100 }));
    for (let i = 0; i < 100; i++) await log.append(batchOf([`v${i}`]));
    await log.flush();
    await log.truncateTo(37);
    expect(log.logEndOffset).toBe(37);
    expect(log.flushedOffset).toBe(37);
    expect((await readAll(log)).map((r) => r.offset)).toEqual(Array.from({ length: 37 }, (_, i) => i));
    expect((await log.append(batchOf(['new']))).firstOffset).toBe(37);
    await log.flush();
    expect((await readAll(log)).at(-1)!.value!.toString()).toBe('new');
    await log.truncateTo(0);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([0, 0]);
    expect((await log.append(batchOf(['again']))).firstOffset).toBe(0);
    await log.close();
  });

  it('truncateTo fails those waiting for the flush of records it cut off, and only them', async () => {
    const clock = new ManualClock();
    const log = await PartitionLog.open(logDir(), cfg({ flushIntervalMessages: 1_000_000, flushIntervalMs: 5000 }), clock);
    for (let i = 0; i < 3; i++) await log.append(batchOf([`mine-${i}`]));
    const outcome = (o: number) => log.waitForFlush(o).then(() => 'flushed', (e: unknown) => (e instanceof KafkaError ? e.code : String(e)));
    const kept = outcome(0);
    const cut = [outcome(1), outcome(2)];
    await log.truncateTo(1);
    // the offsets are written and flushed again, with other records: no acknowledgement for the cut ones
    for (let i = 1; i < 4; i++) expect((await log.append(batchOf([`theirs-${i}`]))).firstOffset).toBe(i);
    await log.flush();
    expect(await kept).toBe('flushed');
    expect(await Promise.all(cut)).toEqual([6, 6]); // NOT_LEADER_FOR_PARTITION: retriable, the producer finds the leader
    await log.close();
  });
});

/** The files under `dir` this process holds open, by name (Linux /proc). */
function openFilesIn(dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir + path.sep)) out.push(path.basename(target));
    } catch {
      /* closed meanwhile */
    }
  }
  return out.sort();
}

describe('file descriptors', () => {
  it('a rolled segment keeps only its .log open: its indexes are closed once synced at roll, and opened again to be cut', async () => {
    const dir = logDir();
    const log = await PartitionLog.open(dir, cfg({ segmentBytes: 4096, indexIntervalBytes: 256 }));
    let n = 0;
    for (let i = 0; i < 300; i++) {
      await log.append(batchOf(vals(n, 3, 30), 1_000 + n));
      n += 3;
    }
    await log.flush();
    const bases = log.segmentBaseOffsets;
    expect(bases.length).toBeGreaterThan(10);
    const open = openFilesIn(dir);
    // one .log per segment; index files at most for the active segment (written at close)
    expect(open.filter((f) => f.endsWith('.log'))).toEqual(bases.map((b) => `${String(b).padStart(20, '0')}.log`));
    const active = String(bases[bases.length - 1]).padStart(20, '0');
    expect(open.filter((f) => !f.endsWith('.log') && !f.startsWith(active))).toEqual([]);
    // the closed indexes still serve: offsets and timestamps in old segments
    const third = bases[2]!;
    const r = await log.read(third + 1, 64);
    expect(decodeRecordBatches(r.records).find((x) => x.offset === third + 1)?.value?.toString()).toBe(vals(third + 1, 1, 30)[0]);
    expect(await log.offsetForTimestamp(1_000 + third)).toBe(third);
    // truncating into an old segment reopens and cuts its index
    await log.truncateTo(third + 3); // a batch boundary (batches of 3)
    expect(log.logEndOffset).toBe(third + 3);
    await log.close();
    const again = await PartitionLog.open(dir, cfg({ segmentBytes: 4096, indexIntervalBytes: 256 }), undefined, { cleanShutdown: true, recoveryPoint: third + 3 });
    expect(again.logEndOffset).toBe(third + 3);
    expect((await readAll(again)).map((x) => x.offset)).toEqual(Array.from({ length: third + 3 }, (_, i) => i));
    await again.close();
    expect(openFilesIn(dir)).toEqual([]);
  });
});

describe('flushing', () => {
  it('writes no index entries on flushes; after an unclean stop the active segment is scanned and its index rebuilt', async () => {
    const dir = logDir();
    const config = cfg({ segmentBytes: 1024 * 1024, indexIntervalBytes: 256 });
    const log = await PartitionLog.open(dir, config);
    for (let i = 0; i < 200; i++) await log.append(batchOf(vals(i * 2, 2, 40)));
    await log.flush();
    expect(log.flushedOffset).toBe(400);
    // flushed, yet the index file holds nothing: its entries are in memory until roll or close
    const indexFile = path.join(dir, '00000000000000000000.index');
    const onDisk = await fsp.stat(indexFile).then((st) => st.size, () => 0);
    expect(onDisk).toBe(0);
    // no close: the recovery point a checkpoint would hold is the flushed end
    const again = await PartitionLog.open(dir, config, undefined, { cleanShutdown: false, recoveryPoint: 400 });
    expect(again.loadInfo.recoveredSegments).toBe(1);
    expect(again.logEndOffset).toBe(400);
    expect((await fsp.stat(indexFile)).size).toBeGreaterThan(8 * 50);
    for (const at of [0, 1, 57, 200, 333, 399]) {
      const r = await again.read(at, 64);
      const first = decodeRecordBatches(r.records).find((x) => x.offset === at);
      expect(first?.value?.toString()).toBe(`v${at}` + 'x'.repeat(40));
    }
    await again.close();
    await log.close().catch(() => undefined);
  });

  it('exposes only flushed data: with flushing off nothing is visible until a flush (interval or explicit)', async () => {
    const clock = new ManualClock();
    const log = await PartitionLog.open(logDir(), cfg({ flushIntervalMessages: 1_000_000, flushIntervalMs: 5000 }), clock);
    for (let i = 0; i < 10; i++) await log.append(batchOf([`v${i}`]));
    expect(log.logEndOffset).toBe(10);
    expect(log.flushedOffset).toBe(0);
    expect((await log.read(0, 10_000)).records.length).toBe(0);
    expect(log.flushStats.fsyncs).toBe(0);
    const seen: number[] = [];
    log.onFlush((o) => seen.push(o));
    const waiting = log.waitForFlush(9);
    clock.advance(5000);
    await waiting;
    expect(seen).toEqual([10]);
    expect(log.flushedOffset).toBe(10);
    expect(await readAll(log)).toHaveLength(10);
    await log.append(batchOf(['late']));
    expect(log.flushedOffset).toBe(10);
    // an explicit read up to the log end still stops at the given upTo
    expect(decodeRecordBatches((await log.read(0, 100_000, 5)).records).at(-1)!.offset).toBe(4);
    await log.flush();
    expect(log.flushedOffset).toBe(11);
    await log.close();
  });

  it('never lets a read see past flushedOffset while appends race with flushes', async () => {
    const log = await PartitionLog.open(logDir(), cfg());
    let stop = false;
    let violations = 0;
    let nonEmptyReads = 0;
    const reader = (async () => {
      while (!stop) {
        const upTo = log.flushedOffset;
        const r = await log.read(0, 10_000_000);
        if (r.records.length > 0) nonEmptyReads++;
        for (const b of splitBatches(r.records)) if (b.header.baseOffset + b.header.lastOffsetDelta >= Math.max(upTo, log.flushedOffset)) violations++;
        await new Promise((res) => setImmediate(res));
      }
    })();
    // waves of concurrent appends, with the reader running between them
    for (let wave = 0; wave < 30; wave++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(batchOf([`v${wave}-${i}`]))));
      await new Promise((res) => setTimeout(res, 2));
    }
    await log.flush();
    await new Promise((res) => setTimeout(res, 5));
    stop = true;
    await reader;
    expect(nonEmptyReads).toBeGreaterThan(0);
    expect(violations).toBe(0);
    await log.close();
  });

  it('a failed fsync stops the log: no more writes, nothing more exposed, even if a later fsync succeeds; a reopen recovers it', async () => {
    const dir = logDir();
    // the disk: the first fsync fails with EIO (the kernel reports a writeback error once), the rest succeed
    let fsyncs = 0;
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });
    const disk = {
      run: async (flush: (durable: (segs: readonly { flush(): Promise<void> }[]) => Promise<number>) => Promise<unknown>) => {
        await flush(async (segs) => {
          if (fsyncs++ === 0) throw eio;
          await Promise.all(segs.map((x) => x.flush()));
          return segs.length;
        });
      },
    } as unknown as FlushScheduler;
    const log = await PartitionLog.open(dir, cfg({ flushIntervalMessages: 1_000_000, flushIntervalMs: NEVER }), undefined, { flushScheduler: disk });
    const failures: string[] = [];
    log.onFailure((e) => failures.push(e.code!));
    for (let i = 0; i < 3; i++) await log.append(batchOf([`v${i}`]));
    const waiting = log.waitForFlush(2).then(() => 'flushed', (e: NodeJS.ErrnoException) => e.code);
    await expect(log.flush()).rejects.toThrow('EIO');
    expect(await waiting).toBe('EIO');
    expect(failures).toEqual(['EIO']);
    // no more writes, and no wait for a flush that will not come
    await expect(log.append(batchOf(['late']))).rejects.toMatchObject({ code: 'EIO', syscall: 'fdatasync', message: expect.stringMatching(/a flush failed .*until the broker restarts/) });
    await expect(log.waitForFlush(2)).rejects.toMatchObject({ code: 'EIO' });
    await expect(log.flush()).rejects.toMatchObject({ code: 'EIO' });
    expect(fsyncs).toBe(1); // nothing flushed again: a later fsync's success would prove nothing
    expect(log.flushedOffset).toBe(0);
    expect((await log.read(0, 100_000)).records.length).toBe(0);
    expect(log.logEndOffset).toBe(3);
    await log.close();
    // a restart: recovery reads what reached the disk
    const again = await PartitionLog.open(dir, cfg());
    expect(again.logEndOffset).toBe(3);
    expect((await again.append(batchOf(['next']))).firstOffset).toBe(3);
    await again.close();
  });

  it('a write that lands while the failing fsync runs does not keep the stopped log flushing', { timeout: 10_000 }, async () => {
    // the disk: the first fsync fails with EIO, once a second append has been written behind it
    let runs = 0;
    let landed!: () => void;
    const secondWritten = new Promise<void>((res) => (landed = res));
    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });
    const disk = {
      run: async (flush: (durable: () => Promise<number>) => Promise<unknown>) => {
        // after the first round, through the event loop: a log that kept asking for rounds
        // would count up here (and fail below) instead of starving the timers
        if (runs++ > 0) await new Promise((res) => setImmediate(res));
        await flush(async () => {
          await secondWritten;
          throw eio;
        });
      },
    } as unknown as FlushScheduler;
    const log = await PartitionLog.open(logDir(), cfg({ flushIntervalMessages: 1, flushIntervalMs: NEVER }), undefined, { flushScheduler: disk });
    const first = log.waitForFlush((await log.append(batchOf(['a']))).lastOffset).then(() => 'flushed', (e: NodeJS.ErrnoException) => e.code);
    await log.append(batchOf(['b'])); // asks for another round while the first one's fsync runs
    landed();
    expect(await first).toBe('EIO');
    // a stopped log's round does nothing: it must not be asked for again and again (a loop of
    // promises that never lets timers run)
    await new Promise((res) => setTimeout(res, 50));
    expect(runs).toBeLessThanOrEqual(2);
    expect(log.failure?.code).toBe('EIO');
    await log.close();
  });

  it('group-commits: many concurrent appends with flush-every-message take far fewer fsyncs', async () => {
    const log = await PartitionLog.open(logDir(), cfg({ flushIntervalMessages: 1 }));
    const n = 500;
    const acks = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const r = await log.append(batchOf([`v${i}`]));
        await log.waitForFlush(r.lastOffset);
        return r.lastOffset;
      }),
    );
    expect(new Set(acks).size).toBe(n);
    const s = log.flushStats;
    expect(s.appends).toBe(n);
    expect(s.fsyncs).toBeGreaterThan(0);
    expect(s.fsyncs).toBeLessThan(n / 3);
    expect(log.flushedOffset).toBe(n);
    await log.close();
  });
});
