/**
 * A log segment (LogSegment.scala): three files named by the segment's base offset, padded to
 * 20 digits, in the partition directory `<log.dir>/<topic>-<partition>/`:
 *
 *   00000000000000000000.log        RecordBatch v2 batches back to back, exactly as appended
 *                                   (see protocol/records/record-batch.ts); offsets contiguous
 *   00000000000000000000.index      sparse offset index (offset-index.ts)
 *   00000000000000000000.timeindex  sparse time index (time-index.ts)
 *
 * With encryption at rest (log.encryption.key.file, encryption.ts) each batch is stored as an
 * encrypted frame: its 61-byte header in the clear (magic 0x7e, batchLength on disk), then key
 * id, nonce, AES-256-GCM ciphertext of its records and tag; indexes hold on-disk positions and
 * every header scan here works unchanged. A segment's batches share one key.
 *
 * A segment to be deleted is first renamed with a `.deleted` suffix (all three files) and
 * removed later. The file handle stays open for positional reads (pread); there is no
 * in-process cache of log bytes: the OS page cache serves reads.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { LOG_OVERHEAD, type BatchPosition, type RecordBatchHeader } from '../protocol/records/record-batch.js';
import { ENCRYPTED_MAGIC, MAGIC_OFFSET, encryptBatches, keyIdAt, type KeyRing } from './encryption.js';
import { RW_CREATE } from './index-file.js';
import { readAt, writeAllAt } from './inline-io.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const DELETED_SUFFIX = '.deleted';

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** Where a batch starts and what its header says (the fields the log needs). */
export interface BatchLocation {
  position: number;
  baseOffset: number;
  lastOffset: number;
  size: number;
  maxTimestamp: number;
}

/** Bytes of a header needed to know a batch's base offset, length, last offset, max timestamp. */
const SCAN_HEADER_BYTES = 43;
const SCAN_CHUNK = 16 * 1024;

export class LogSegment {
  readonly baseOffset: number;
  readonly dir: string;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  #fh: fsp.FileHandle;
  /** Bytes in the .log (only whole, written batches). */
  size: number;
  /** A write failed and the bytes it may have left past `size` are not cut yet. */
  #torn = false;
  /** The offset after the last batch. */
  nextOffset: number;
  /** Largest batch maxTimestamp in the segment, -1 if none. */
  maxTimestamp = -1;
  #maxTimestampOffset: number;
  /** When the segment was created or loaded (clock ms): drives segment.ms rolls. */
  created: number;
  #bytesSinceIndex = 0;
  readonly #indexInterval: number;
  /** The broker's keys (log.encryption.key.file): appends are encrypted with the current one. */
  readonly keys: KeyRing | undefined;

  private constructor(dir: string, baseOffset: number, fh: fsp.FileHandle, size: number, oi: OffsetIndex, ti: TimeIndex, indexInterval: number, now: number, keys: KeyRing | undefined) {
    this.keys = keys;
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.#fh = fh;
    this.size = size;
    this.nextOffset = baseOffset;
    this.#maxTimestampOffset = baseOffset;
    this.offsetIndex = oi;
    this.timeIndex = ti;
    this.#indexInterval = indexInterval;
    this.created = now;
  }

  /** Opens (or creates) the three files of a segment. nextOffset/maxTimestamp are the loader's job. */
  static async open(dir: string, baseOffset: number, cfg: { indexIntervalBytes: number; maxIndexSize: number }, now: number, keys?: KeyRing): Promise<LogSegment> {
    const fh = await fsp.open(path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX)), RW_CREATE, 0o644);
    try {
      const size = (await fh.stat()).size;
      const oi = await OffsetIndex.open(path.join(dir, segmentFileName(baseOffset, INDEX_SUFFIX)), baseOffset, cfg.maxIndexSize);
      const ti = await TimeIndex.open(path.join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX)), baseOffset, cfg.maxIndexSize);
      return new LogSegment(dir, baseOffset, fh, size, oi, ti, cfg.indexIntervalBytes, now, keys);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get logPath(): string {
    return path.join(this.dir, segmentFileName(this.baseOffset, LOG_SUFFIX));
  }
  get isEmpty(): boolean {
    return this.size === 0;
  }
  get fileHandle(): fsp.FileHandle {
    return this.#fh;
  }
  /** The .log file's descriptor while it is open (page-cache.ts drops its flushed pages). */
  get cacheFd(): number | undefined {
    const fd = this.#fh.fd;
    return fd >= 0 ? fd : undefined;
  }

  /** Index bookkeeping for one batch at `position` (used by append and by recovery). */
  indexBatch(position: number, h: RecordBatchHeader): void {
    if (h.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = h.maxTimestamp;
      this.#maxTimestampOffset = h.baseOffset;
    }
    if (this.#bytesSinceIndex > this.#indexInterval) {
      this.offsetIndex.append(h.baseOffset, position);
      if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.#maxTimestampOffset);
      this.#bytesSinceIndex = 0;
    }
    this.#bytesSinceIndex += h.batchLength + LOG_OVERHEAD;
    this.nextOffset = h.baseOffset + h.lastOffsetDelta + 1;
  }

  /** Forgets all index state (before a rebuild). */
  async resetIndexes(): Promise<void> {
    await this.offsetIndex.reset();
    await this.timeIndex.reset();
    this.#bytesSinceIndex = 0;
    this.maxTimestamp = -1;
    this.nextOffset = this.baseOffset;
  }

  /** Appends validated batches (their offsets already set) at the end of the .log. */
  async append(buf: Buffer, batches: readonly BatchPosition[]): Promise<void> {
    await this.appendMany([buf], [batches]);
  }

  /**
   * Appends several buffers of validated batches with one writev. With keys, each batch is
   * encrypted first (encryption.ts; the indexes get the on-disk positions).
   */
  async appendMany(bufs: readonly Buffer[], batches: readonly (readonly BatchPosition[])[]): Promise<void> {
    if (this.keys) return this.#appendEncrypted(bufs, batches, this.keys);
    const position = this.size;
    const total = bufs.reduce((n, b) => n + b.length, 0);
    await this.#write(bufs, position);
    let at = position;
    bufs.forEach((buf, i) => {
      for (const b of batches[i]!) this.indexBatch(at + b.at, b.header);
      at += buf.length;
    });
    this.size = position + total;
  }

  async #appendEncrypted(bufs: readonly Buffer[], batches: readonly (readonly BatchPosition[])[], keys: KeyRing): Promise<void> {
    const enc = bufs.map((b, i) => encryptBatches(keys, b, batches[i]!));
    const position = this.size;
    const total = enc.reduce((n, e) => n + e.buf.length, 0);
    await this.#write(enc.map((e) => e.buf), position);
    let at = position;
    enc.forEach((e, i) => {
      const list = batches[i]!;
      for (let j = 0; j < list.length; j++) this.indexBatch(at + e.positions[j]!, list[j]!.header);
      at += e.buf.length;
    });
    this.size = position + total;
  }

  /**
   * Writes at the end, first cutting what a failed write may have left there. A write that
   * fails part way (ENOSPC, EIO) can leave whole batches behind `size`; the next append, if
   * shorter, would not cover them all, and recovery after a crash would take them for batches
   * of the log. So the file is cut back to `size` at once, or before the next write if that
   * fails too.
   */
  async #write(bufs: readonly Buffer[], position: number): Promise<void> {
    if (this.#torn) {
      await this.#fh.truncate(position);
      this.#torn = false;
    }
    try {
      await writeAllAt(this.#fh, bufs, position);
    } catch (e) {
      this.#torn = true;
      await this.#fh.truncate(position).then(() => (this.#torn = false), () => undefined);
      throw e;
    }
  }

  /**
   * What encrypts the segment's first batch: its key id, 0 when it is plaintext, undefined
   * when the segment is empty.
   */
  async firstBatchKeyId(): Promise<number | undefined> {
    if (this.size < 65) return this.size === 0 ? undefined : 0;
    const head = await this.readAt(0, 65);
    if (head.length < 65) return undefined;
    return head[MAGIC_OFFSET] === ENCRYPTED_MAGIC ? keyIdAt(head, 0) : 0;
  }

  /** Reads up to `length` bytes at `position` (fewer at the end of the file), into `alloc(length)` if given. */
  readAt(position: number, length: number, alloc?: (n: number) => Buffer): Promise<Buffer> {
    return readAt(this.#fh, position, length, this.size, alloc);
  }

  /**
   * The first batch whose last offset is >= `offset`, starting from the index entry at or below
   * it (or from position `from`) and scanning headers up to `limit` bytes (default: the segment
   * size). undefined if none.
   */
  async findBatch(offset: number, limit = this.size, from?: number): Promise<BatchLocation | undefined> {
    let pos = from ?? this.offsetIndex.lookup(offset).position;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkAt = 0;
    while (pos + LOG_OVERHEAD <= limit) {
      if (pos + SCAN_HEADER_BYTES > chunkAt + chunk.length) {
        chunkAt = pos;
        chunk = await this.readAt(pos, Math.min(SCAN_CHUNK, limit - pos));
        if (chunk.length < SCAN_HEADER_BYTES) return undefined;
      }
      const at = pos - chunkAt;
      const baseOffset = chunk.readInt32BE(at) * 4294967296 + chunk.readUInt32BE(at + 4);
      const size = chunk.readInt32BE(at + 8) + LOG_OVERHEAD;
      const lastOffset = baseOffset + chunk.readInt32BE(at + 23);
      if (size < SCAN_HEADER_BYTES || pos + size > limit) return undefined;
      if (lastOffset >= offset) {
        const maxTimestamp = chunk.readInt32BE(at + 35) * 4294967296 + chunk.readUInt32BE(at + 39);
        return { position: pos, baseOffset, lastOffset, size, maxTimestamp };
      }
      pos += size;
    }
    return undefined;
  }

  /**
   * fdatasync of the .log. The index entries are not written here but at roll and close: the
   * indexes are in memory, and a segment that was neither rolled nor closed is one recovery
   * rebuilds after an unclean stop (it holds the recovery point or follows it), so writing its
   * entries on every flush bought nothing (with keyed records over 512 partitions it was a
   * sixth of the broker's main-thread time outside the pool, two writes per log and flush).
   */
  async flush(): Promise<void> {
    await this.#fh.datasync();
  }

  /** The index entries not yet written go to their files (not synced). */
  async persistIndexes(): Promise<void> {
    await Promise.all([this.offsetIndex.persist(), this.timeIndex.persist()]);
  }

  /** The log dir holding this segment's partition: one syncfs there covers it (flush-scheduler.ts). */
  get fsRoot(): string {
    return path.dirname(this.dir);
  }

  /** When the segment stops being the active one: final time index entry, indexes synced. */
  async onRoll(): Promise<void> {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.#maxTimestampOffset);
    await this.offsetIndex.syncAndRelease();
    await this.timeIndex.syncAndRelease();
  }

  /** Drops every batch containing an offset >= `offset`; returns the bytes removed. */
  async truncateTo(offset: number): Promise<number> {
    const loc = await this.findBatch(offset);
    if (!loc) {
      // nothing at or after `offset` (a compacted segment may end in a gap)
      this.nextOffset = Math.min(this.nextOffset, offset);
      return 0;
    }
    const removed = this.size - loc.position;
    await this.#fh.truncate(loc.position);
    await this.#fh.datasync();
    await this.offsetIndex.truncateTo(loc.baseOffset);
    await this.timeIndex.truncateTo(loc.baseOffset);
    this.size = loc.position;
    // the batch holding `offset` goes whole; a batch after a gap leaves the end at `offset`
    this.nextOffset = Math.min(loc.baseOffset, offset);
    // The largest timestamp may have been in the removed part: take the time index's.
    const last = this.timeIndex.lastEntry();
    this.maxTimestamp = last ? last.timestamp : -1;
    this.#maxTimestampOffset = last ? last.offset : this.baseOffset;
    this.#bytesSinceIndex = this.#indexInterval + 1; // index the next batch
    return removed;
  }

  /** Cuts the .log at `size` bytes (recovery). */
  async truncateFile(size: number): Promise<void> {
    await this.#fh.truncate(size);
    this.size = size;
  }

  async close(): Promise<void> {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.#maxTimestampOffset);
    await this.offsetIndex.close();
    await this.timeIndex.close();
    await this.#fh.close();
  }

  /**
   * What close() leaves on disk, without closing the files: for a process about to exit (the
   * system closes them), where closing 10,000 logs' handles one by one took a second.
   */
  async closeForExit(): Promise<void> {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.#maxTimestampOffset);
    await this.persistIndexes();
  }

  /** Renames the three files to `*.deleted` (the first step of a delete). */
  async markDeleted(): Promise<void> {
    for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
      const f = path.join(this.dir, segmentFileName(this.baseOffset, suffix));
      await fsp.rename(f, f + DELETED_SUFFIX).catch(ignoreMissing);
    }
  }

  /** Closes the handles and removes the `.deleted` files (the second step). */
  async deleteFiles(): Promise<void> {
    await this.offsetIndex.close().catch(() => undefined);
    await this.timeIndex.close().catch(() => undefined);
    await this.#fh.close().catch(() => undefined);
    for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
      const f = path.join(this.dir, segmentFileName(this.baseOffset, suffix));
      // only the renamed files: a segment swapped in by the cleaner may have the same base
      await fsp.rm(f + DELETED_SUFFIX, { force: true });
    }
  }

  /** The file's modification time, for retention when no timestamps are known. */
  async lastModified(): Promise<number> {
    return (await this.#fh.stat()).mtimeMs;
  }
}

function ignoreMissing(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
}
