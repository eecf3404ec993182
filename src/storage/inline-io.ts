/**
 * Small page-cache reads and writes done on the calling (main) thread, as Kafka's request
 * threads write with FileChannel.write: on this kind of machine handing a small operation to
 * libuv's thread pool costs more than the operation itself. Measured on the 2-core VM of
 * issue 11 (Node 20): submitting a 200-byte FileHandle.write costs the main thread 22-51 us
 * and takes 85-120 us to complete (a sleeping pool thread is woken on another vCPU), where
 * writeSync of 200 B takes 2.7 us, of 16 KiB 7.9 us, of 64 KiB 17.6 us, and readSync of page-
 * cached data 1.6-15 us. A broker at 10,000 msg/s made ~2,500 such calls a second (the
 * segment write, two index writes, two reads for a consumer's fetch).
 *
 * Only what rarely blocks, and then briefly, is done inline:
 *   - writes up to INLINE_WRITE_MAX bytes: a few batches of a producer's default batch.size
 *     (16384). They land in the page cache, but a write that grows a file can wait for ext4's
 *     journal while an fsync commits. Measured here (Node 20, session 17) with fsyncs running
 *     back to back: on the same file, writeSync of 4 KB took 6-7 us on average (p99.9 60 us,
 *     max 0.9 ms), of 16 KB 12-13 us (p99.9 0.12-0.17 ms, max 0.9-2.9 ms); over 512 files
 *     with syncfs running, 4 KB 9 us (max 3-4.8 ms), 14 KB 13-15 us (max 1.6-5.9 ms). An earlier
 *     measurement saw single waits of 8.7-14.9 ms for 8-16 KiB, so larger group writes (many
 *     appends merged, up to megabytes) stay on the pool, where such a wait stalls a pool thread,
 *     not the loop. Handing a 14 KB write to the pool costs the main thread more than making
 *     it: with keyed records over 512 partitions (a produce request writes ~70 logs, a batch
 *     each) the broker spent ~26 us per write submitting them, 0.36-0.41 s of main-thread time
 *     per 2 M records; with these writes inline, broker CPU per 2 M records fell from 1.95 s
 *     to 1.47 s (mean of six and four runs) and throughput rose from 0.61 to 0.70 M records/s.
 *     The limit was one batch (16 KiB) until session 27: a keyed request then carried ~38
 *     partitions of ~1.7 batches each, so most of its writes still went to the pool. With 64 KiB,
 *     alternating brokers of each limit 4 times (12 keyed runs of 2 M records each): keyed
 *     1.30 -> 1.38 M records/s, broker CPU per run 0.94 -> 0.84 s, one partition unchanged
 *     (2.94 / 2.98 M records/s, its megabyte writes still on the pool). The stalls do not grow
 *     with the size: writeSync over 512 files beside 4 fdatasyncs at a time and a syncfs every
 *     5 ms, 91,560 writes of each size taking turns for 20 s: 16 KiB p50 8 us, p99 34, p99.9 116
 *     us, max 177 ms; 48 KiB 13 / 44 / 169 us, max 206 ms; 64 KiB 16 / 48 / 180 us, max 129 ms;
 *     fsyncs always run on the pool;
 *   - reads up to INLINE_READ_MAX bytes of data written recently (the last RECENT_BYTES of a
 *     segment), which is in the page cache. Older data may need the disk: it is read on the pool.
 *     A follower's fetch reads up to a megabyte of the newest data each round, and under acks=all
 *     the producer waits for those rounds: with reads of up to 128 KiB inline, a follower's
 *     fetch spent 1.8 ms (mean) of local time in the leader, its megabyte read going to the pool
 *     (which also runs the flushes) and back to a busy event loop; with a megabyte inline, RF=3
 *     acks=all rose from 1.43-1.57 to 1.56-1.63 M records/s (scripts/bench-ab.sh, 3 rounds each).
 * Larger operations go to the pool as before, where the copy runs beside the event loop.
 */
import { promises as fsp, readSync, writeSync, writevSync } from 'node:fs';

export const INLINE_WRITE_MAX = 64 * 1024;
export const INLINE_READ_MAX = 1024 * 1024;
export const RECENT_BYTES = 16 * 1024 * 1024;

/** Writes all of `bufs` at `position`: inline when small, else on the thread pool. */
export async function writeAllAt(fh: fsp.FileHandle, bufs: readonly Buffer[], position: number): Promise<void> {
  const total = bufs.length === 1 ? bufs[0]!.length : bufs.reduce((n, b) => n + b.length, 0);
  if (total === 0) return;
  let written: number;
  if (total <= INLINE_WRITE_MAX) {
    written = bufs.length === 1 ? writeSync(fh.fd, bufs[0]!, 0, total, position) : writevSync(fh.fd, bufs as Buffer[], position);
    while (written < total) {
      const rest = Buffer.concat(bufs as Buffer[]).subarray(written);
      written += writeSync(fh.fd, rest, 0, rest.length, position + written);
    }
    return;
  }
  // one buffer: write(), which costs the main thread less than writev() of a one-element list
  written = (bufs.length === 1 ? await fh.write(bufs[0]!, 0, total, position) : await fh.writev(bufs as Buffer[], position)).bytesWritten;
  if (written < total) {
    const rest = Buffer.concat(bufs as Buffer[]).subarray(written);
    while (written < total) written += (await fh.write(rest, written - (total - rest.length), total - written, position + written)).bytesWritten;
  }
}

/**
 * Reads up to `length` bytes at `position` (fewer at the end of the file). Inline when small
 * and within the last RECENT_BYTES before `fileSize` (page-cached), else on the thread pool.
 */
export async function readAt(fh: fsp.FileHandle, position: number, length: number, fileSize: number, alloc?: (n: number) => Buffer): Promise<Buffer> {
  const buf = alloc ? alloc(length) : Buffer.allocUnsafe(length);
  let got = 0;
  if (length <= INLINE_READ_MAX && position >= fileSize - RECENT_BYTES) {
    while (got < length) {
      const n = readSync(fh.fd, buf, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
  } else {
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
  }
  return got === length ? buf : buf.subarray(0, got);
}
